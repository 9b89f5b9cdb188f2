"""The final evaluation's pages as their users meet them: the table, the evaluation's page for each role,
the provider's appeal, the administrator's decision, sign-off, the second confirmation of a 差, renewal,
and the palace's weights. Refusals come back as the service's message on the page.

The evaluations are built through the services (tests/final_builders.py). Most use a term with
nothing recorded, whose points come from the KPI (0) and the panel alone and so rate 差: an
appeal adjusted to other points gives the other ratings cheaply. The default term's evaluation
opens on 2026-12-01, is proposed on 2026-12-08, and may be appealed until 2026-12-15.
"""

from datetime import date, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.conf import settings
from django.urls import reverse

from contracts.models import Contract
from core.documents import documents_for_subject
from core.models import Role
from evaluations import services
from evaluations.models import Appeal, Evidence, FinalEvaluation, FinalWeights, RectificationOrder
from tests.factories import pdf_upload, png_upload, staff
from tests.final_builders import (
    PROPOSED,
    after_window,
    at,
    opened_evaluation,
    panel_assigned,
    proposed_evaluation,
    term_contract,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _long_sessions(settings):
    # The tests travel in time; a session saved today must still hold in December.
    settings.SESSION_COOKIE_AGE = 3 * 365 * 24 * 3600


@pytest.fixture
def client_for(client_for):
    """Clients that read the pages in English, the msgids' language."""

    def make(user=None):
        client = client_for(user)
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
        return client

    return make


def build(roles, wenshang, **kwargs):
    return {
        "palace": wenshang,
        "provider": roles["provider_a"].provider,
        "provider_user": roles["provider_a"],
        "admin": roles["admin"],
        "term": None,
    } | kwargs


@pytest.fixture
def proposed(roles, wenshang) -> FinalEvaluation:
    """Proposed on 2026-12-08: 差, 38.57 points (the panel's 90 × 42.86%; no other input)."""
    return proposed_evaluation(**build(roles, wenshang))


def detail(client, ev) -> str:
    response = client.get(reverse("evaluations:final_detail", args=[ev.pk]))
    assert response.status_code == 200
    return response.content.decode()


def fresh(ev) -> FinalEvaluation:
    return FinalEvaluation.objects.get(pk=ev.pk)


def appeal(roles, ev, grounds="满意度与课时统计有误，请复核。"):
    return services.appeal_lodge(actor=roles["provider_a"], evaluation=ev, grounds=grounds, now=at(PROPOSED, 15))


def decide(client, ev, **data):
    return client.post(reverse("evaluations:final_appeal_decide", args=[ev.pk]), data, follow=True)


# --- who sees what -----------------------------------------------------------------------------


def test_while_the_panel_works_the_provider_sees_only_that_it_is_under_way(roles, wenshang, client_for):
    ev = opened_evaluation(**build(roles, wenshang))
    panel_assigned(ev, admin=roles["admin"], declare=False)
    with time_machine.travel(at(PROPOSED), tick=False):
        body = detail(client_for(roles["provider_a"]), ev)
        assert "The palace is evaluating your contract&#x27;s term" in body
        assert "How the points are made" not in body and "Lodge an appeal" not in body
        assert reverse("evaluations:final_panel_assign", args=[ev.pk]) not in body
        staff_body = detail(client_for(roles["admin"]), ev)
        assert "0 of 3 evaluators have submitted their scores" in staff_body
        assert reverse("evaluations:final_panel_assign", args=[ev.pk]) in staff_body
        # The contract's page leads to it, without a rating yet.
        contract_page = (
            client_for(roles["provider_a"])
            .get(reverse("contracts:contract_detail", args=[ev.contract_id]))
            .content.decode()
        )
        assert reverse("evaluations:final_detail", args=[ev.pk]) in contract_page
        assert "Proposed rating" not in contract_page
        # The table says the same: under way, no rating.
        rows = client_for(roles["provider_a"]).get(reverse("evaluations:final_list")).content.decode()
        assert ev.contract.number in rows and "Panel review" in rows


def test_each_role_reads_the_proposed_rating_and_only_the_provider_may_appeal(roles, wenshang, proposed, client_for):
    with time_machine.travel(at(PROPOSED, 11), tick=False):
        body = detail(client_for(roles["provider_a"]), proposed)
        assert "Poor (差)" in body and "38.57" in body
        assert "Final panel review" in body and "42.86%" in body and "(set 15%)" in body
        assert "No input in the term: its weight is shared out among the others." in body
        assert "2026-12-15" in body and "5 working days left after today" in body
        assert reverse("evaluations:final_appeal", args=[proposed.pk]) in body
        assert "hz-chart" in body  # the term's monthly scores
        contract_page = (
            client_for(roles["provider_a"])
            .get(reverse("contracts:contract_detail", args=[proposed.contract_id]))
            .content.decode()
        )
        assert reverse("evaluations:final_detail", args=[proposed.pk]) in contract_page and "38.57" in contract_page

        admin = detail(client_for(roles["admin"]), proposed)
        assert "The provider may appeal until 2026-12-15; after that an administrator signs the rating off" in admin
        assert reverse("evaluations:final_sign_off", args=[proposed.pk]) not in admin  # not while the window is open
        assert reverse("evaluations:final_appeal", args=[proposed.pk]) not in admin

        auditor = detail(client_for(roles["auditor"]), proposed)
        assert "38.57" in auditor and 'method="post"' not in auditor.split('id="state"')[1]
        assert detail(client_for(roles["evaluator"]), proposed)  # on the panel

        for who in ("provider_b", "other_admin", "other_auditor"):
            response = client_for(roles[who]).get(reverse("evaluations:final_detail", args=[proposed.pk]))
            assert response.status_code == 403, who
        outsider = staff(wenshang, Role.EVALUATOR, "t-ws-eval-off-panel")
        assert client_for(outsider).get(reverse("evaluations:final_detail", args=[proposed.pk])).status_code == 403


def test_the_breakdown_shows_the_points_unrounded_and_says_the_total_is_rounded_once(
    roles, wenshang, proposed, client_for
):
    """The panel's 90 takes the whole 15 + 20 it shares with the KPI's 0: 90 × 15 ÷ 35 = 38.571428…"""
    with time_machine.travel(at(PROPOSED, 11), tick=False):
        for who in ("admin", "provider_a"):
            body = detail(client_for(roles[who]), proposed)
            panel_row = body.split('id="component-panel"')[1].split("</tr>")[0]
            assert "38.5714<" in panel_row  # to 4 places, not 38.57
            sum_row = body.split("Sum of the components")[1].split("</tr>")[0]
            assert "38.5714…" in sum_row  # cut short: the exact sum recurs
            assert "Proposed points" in body and "38.57" in body.split("Proposed points")[1].split("</tr>")[0]
            assert (
                "The components' points are not rounded to the cent; only their sum less the deduction "
                "is, once (half up), and the rating is read from that total."
            ) in body


def test_the_deduction_names_the_failed_orders_and_the_red_line_cap_is_explained(roles, wenshang, client_for):
    """A red line in March issues an order that nobody answers: it fails, takes off 5 points, and caps at 差."""
    contract = term_contract(**build(roles, wenshang))
    services.red_line_record(
        actor=roles["evaluator"],
        contract=contract,
        category="charging",
        occurred_on=date(2026, 3, 10),
        description="向参训职工收取资料费每人 50 元",
        now=at(date(2026, 3, 10), 15),
    )
    order = RectificationOrder.objects.get(contract=contract)
    services.orders_fail_overdue(at(order.deadline + timedelta(days=1)))
    ev = proposed_evaluation(evaluation=opened_evaluation(contract=contract, **build(roles, wenshang)))
    assert (ev.failed_orders, ev.red_lines, ev.deduction) == (1, 1, Decimal("5.00"))
    appeal(roles, ev)
    admin = client_for(roles["admin"])
    with time_machine.travel(at(PROPOSED + timedelta(days=1)), tick=False):
        decide(admin, ev, decision="adjusted", adjusted_total="85", reason="补计漏记的活动后为 85 分。")
        body = detail(admin, ev)
    assert "1 failed order × 5 points" in body and order.number in body
    assert reverse("evaluations:order", args=[order.pk]) in body and "−5.00" in body
    assert "1 red line was recorded in the term, so the rating is capped at 差 whatever the points." in body
    assert "On points alone it would be Good (良好)." in body
    assert "Ready for sign-off: Poor (差), 85.00 points" in body


# --- the appeal -----------------------------------------------------------------------------------


def test_the_provider_appeals_with_grounds_and_evidence_once(roles, wenshang, proposed, client_for):
    provider = client_for(roles["provider_a"])
    target = reverse("evaluations:final_appeal", args=[proposed.pk])
    with time_machine.travel(at(PROPOSED + timedelta(days=1)), tick=False):
        form = provider.get(target)
        assert form.status_code == 200 and "Lodge the appeal" in form.content.decode()

        # No grounds: the service's message on the form, and nothing saved.
        response = provider.post(target, {"grounds": "  ", "evidence": [png_upload("签到表.png")]})
        body = response.content.decode()
        assert response.status_code == 200 and "State the grounds of the appeal." in body
        assert "the files you chose were not kept" in body
        assert not Appeal.objects.exists() and fresh(proposed).state == FinalEvaluation.State.PROPOSED

        response = provider.post(
            target,
            {
                "grounds": "第三季度满意度评价漏计两场活动。",
                "evidence": [png_upload("签到表.png"), pdf_upload("活动记录.pdf")],
            },
            follow=True,
        )
        body = response.content.decode()
        assert "Your appeal is lodged" in body and "You appealed on 2026-12-09" in body
        assert "第三季度满意度评价漏计两场活动。" in body and "签到表.png" in body and "活动记录.pdf" in body
        assert fresh(proposed).state == FinalEvaluation.State.APPEALED
        files = Evidence.objects.filter(appeal__evaluation=proposed)
        assert files.count() == 2
        # The evidence opens for the palace's administrator and the provider, and for no one else.
        download = reverse("file_download", args=[files.first().file_id])
        assert download in body
        assert client_for(roles["admin"]).get(download).status_code == 200
        assert provider.get(download).status_code == 200
        assert client_for(roles["provider_b"]).get(download).status_code == 403
        # The auditor reads it; an evaluator of the palace, who cannot open the evaluation, does not.
        assert client_for(roles["auditor"]).get(download).status_code == 200
        assert client_for(roles["evaluator"]).get(download).status_code == 403

        # A second appeal: refused, on the page, whether by the link or by a form kept open.
        response = provider.get(target, follow=True)
        assert "a proposed rating can be appealed only once" in response.content.decode()
        response = provider.post(target, {"grounds": "再次申诉"}, follow=True)
        assert "a proposed rating can be appealed only once" in response.content.decode()
    assert Appeal.objects.filter(evaluation=proposed).count() == 1


def test_an_appeal_after_the_window_is_refused_on_the_page(roles, wenshang, proposed, client_for):
    provider = client_for(roles["provider_a"])
    target = reverse("evaluations:final_appeal", args=[proposed.pk])
    with time_machine.travel(at(PROPOSED + timedelta(days=7), 16), tick=False):  # the last day: still open
        assert "today is the last day" in detail(provider, proposed)
    with time_machine.travel(after_window(proposed), tick=False):
        body = detail(provider, proposed)
        assert reverse("evaluations:final_appeal", args=[proposed.pk]) not in body
        response = provider.get(target, follow=True)
        assert response.status_code == 200
        assert "The appeal window closed on 2026-12-15" in response.content.decode()
        response = provider.post(target, {"grounds": "逾期申诉", "evidence": [png_upload()]}, follow=True)
        assert response.status_code == 200
        assert "The appeal window closed on 2026-12-15" in response.content.decode()
        # The administrator may sign off at once, without waiting for the scheduler.
        admin = detail(client_for(roles["admin"]), proposed)
        assert "The appeal window closed on 2026-12-15 without an appeal: sign the rating off" in admin
        assert reverse("evaluations:final_sign_off", args=[proposed.pk]) in admin
    assert not Appeal.objects.exists() and fresh(proposed).state == FinalEvaluation.State.PROPOSED


def test_the_administrator_adjusts_on_appeal_signs_off_and_renews_once(roles, wenshang, proposed, client_for):
    appeal(roles, proposed)
    admin = client_for(roles["admin"])
    with time_machine.travel(at(PROPOSED + timedelta(days=2)), tick=False):
        body = detail(admin, proposed)
        assert "Read the grounds and evidence below" in body and "满意度与课时统计有误" in body
        assert reverse("evaluations:final_appeal_decide", args=[proposed.pk]) in body
        assert reverse("evaluations:final_appeal_decide", args=[proposed.pk]) not in detail(
            client_for(roles["auditor"]), proposed
        )

        # Adjusted without a reason: the page again, with the service's message; nothing decided.
        response = admin.post(
            reverse("evaluations:final_appeal_decide", args=[proposed.pk]),
            {"decision": "adjusted", "adjusted_total": "91", "reason": ""},
        )
        assert response.status_code == 200 and "Give the reason for the decision." in response.content.decode()
        assert fresh(proposed).state == FinalEvaluation.State.APPEALED

        body = decide(
            admin,
            proposed,
            decision="adjusted",
            adjusted_total="91.00",
            reason="经核实，漏计的 6 场活动签到记录真实，满意度与课时应予补计。",
        ).content.decode()
        assert "the points are adjusted to 91.00" in body
        assert "Ready for sign-off: Excellent (优秀), 91.00 points" in body
        assert "38.57" in body and "91.00" in body  # before → after
        provider_body = detail(client_for(roles["provider_a"]), proposed)
        assert "Rating adjusted" in provider_body and "漏计的 6 场活动签到记录真实" in provider_body

        response = admin.post(reverse("evaluations:final_sign_off", args=[proposed.pk]), follow=True)
        body = response.content.decode()
        assert "the rating Excellent (优秀) is final" in body and "Final since 2026-12-10" in body
        assert reverse("evaluations:final_renew", args=[proposed.pk]) in body

        response = admin.post(reverse("evaluations:final_renew", args=[proposed.pk]))
        renewal = Contract.objects.get(renewal_of=proposed.contract)
        assert response.status_code == 302
        assert response["Location"] == reverse("contracts:contract_detail", args=[renewal.pk])
        assert renewal.state == Contract.State.DRAFT and renewal.starts_on == proposed.contract.ends_on + timedelta(1)
        body = detail(admin, proposed)
        assert renewal.number in body and reverse("evaluations:final_renew", args=[proposed.pk]) not in body

        # A second renewal (a form kept open in another tab) is refused on the page.
        body = admin.post(reverse("evaluations:final_renew", args=[proposed.pk]), follow=True).content.decode()
        assert "The outcome of this evaluation is already decided" in body
    assert Contract.objects.filter(renewal_of=proposed.contract).count() == 1


def test_renewing_a_pass_is_refused_on_the_page(roles, wenshang, proposed, client_for):
    appeal(roles, proposed)
    admin = client_for(roles["admin"])
    with time_machine.travel(at(PROPOSED + timedelta(days=2)), tick=False):
        decide(admin, proposed, decision="adjusted", adjusted_total="70", reason="补计漏记活动后为 70 分。")
        body = admin.post(reverse("evaluations:final_sign_off", args=[proposed.pk]), follow=True).content.decode()
        assert "the rating Pass (合格) is final" in body
        assert "The service is re-tendered when the term ends on 2026-12-31" in body
        assert reverse("evaluations:final_renew", args=[proposed.pk]) not in body
        body = admin.post(reverse("evaluations:final_renew", args=[proposed.pk]), follow=True).content.decode()
        assert "Only a final rating of 优秀 or 良好 may be renewed without re-tender" in body
    assert not Contract.objects.filter(renewal_of=proposed.contract).exists()


def test_a_poor_rating_is_final_only_once_a_second_administrator_confirms(
    roles, wenshang, proposed, client_for, django_capture_on_commit_callbacks
):
    appeal(roles, proposed)
    admin, second = client_for(roles["admin"]), client_for(staff(wenshang, Role.ADMIN, "t-ws-admin2"))
    with time_machine.travel(at(PROPOSED + timedelta(days=2)), tick=False):
        # Upheld needs a reason too.
        body = decide(admin, proposed, decision="upheld", reason="").content.decode()
        assert "Give the reason for the decision." in body
        body = decide(
            admin, proposed, decision="upheld", reason="补充材料不足以改变评分：签到表与系统记录不一致。"
        ).content.decode()
        assert "the proposed rating is upheld" in body
        assert "A 差 ends the partnership: another administrator of the palace must confirm it after you." in body

        body = admin.post(reverse("evaluations:final_sign_off", args=[proposed.pk]), follow=True).content.decode()
        assert "it now awaits confirmation by another administrator" in body
        assert "awaits confirmation by another administrator of the palace" in body
        assert reverse("evaluations:final_confirm", args=[proposed.pk]) not in body  # not for the signer
        assert fresh(proposed).state == FinalEvaluation.State.CONFIRMING

        # The signer cannot confirm their own 差, even by posting.
        body = admin.post(reverse("evaluations:final_confirm", args=[proposed.pk]), follow=True).content.decode()
        assert "a different administrator must confirm it" in body
        assert fresh(proposed).state == FinalEvaluation.State.CONFIRMING

        body = detail(second, proposed)
        assert "As a second administrator, confirm it to make it final" in body
        with django_capture_on_commit_callbacks(execute=True):
            response = second.post(reverse("evaluations:final_confirm", args=[proposed.pk]), follow=True)
        body = response.content.decode()
        assert "Confirmed: the rating 差 is final" in body and "Final since 2026-12-10" in body
        assert "Confirmed by " in body and "a second administrator." in body  # the approval trail
        # Issued on commit: the page then links the assessment report, and the exit.
        body = detail(second, proposed)
        doc = documents_for_subject(fresh(proposed)).get()
        assert reverse("document_download", args=[doc.pk]) in body
        assert reverse("evaluations:exit_detail", args=[fresh(proposed).exit.pk]) in body
    ev = fresh(proposed)
    assert (ev.state, ev.rating, ev.outcome) == (FinalEvaluation.State.FINAL, "poor", FinalEvaluation.Outcome.EXITED)
    assert ev.signed_off_by == roles["admin"] and ev.confirmed_by.username == "t-ws-admin2"


# --- the table ------------------------------------------------------------------------------------


def test_the_table_shows_each_viewer_its_own_in_a_flat_number_of_queries(
    roles, wenshang, foshan, proposed, client_for, django_assert_max_num_queries
):
    admin = client_for(roles["admin"])
    target = reverse("evaluations:final_list")
    with time_machine.travel(at(PROPOSED, 11), tick=False):
        with django_assert_max_num_queries(20) as one:
            assert admin.get(target).status_code == 200
        more = [opened_evaluation(**build(roles, wenshang)) for _ in range(3)]
        with django_assert_max_num_queries(len(one.captured_queries)):
            body = admin.get(target).content.decode()
        assert all(e.contract.number in body for e in [proposed, *more])
        assert "Poor (差)" in body and "2026-12-15" in body

        body = admin.get(target, {"state": "proposed"}).content.decode()
        assert proposed.contract.number in body and more[0].contract.number not in body
        body = admin.get(target, {"rating": "poor"}).content.decode()
        assert proposed.contract.number in body and more[0].contract.number not in body

        export = admin.get(target, {"_export": "csv"})
        assert export.status_code == 200
        text = export.getvalue().decode("utf-8-sig")
        assert proposed.contract.number in text and "38.57" in text

        assert proposed.contract.number not in client_for(roles["provider_b"]).get(target).content.decode()
        assert proposed.contract.number not in client_for(roles["other_admin"]).get(target).content.decode()
        assert proposed.contract.number in client_for(roles["provider_a"]).get(target).content.decode()


# --- the weights ----------------------------------------------------------------------------------


def test_the_administrator_changes_the_weights_and_others_read_them(roles, wenshang, client_for):
    admin = client_for(roles["admin"])
    target = reverse("evaluations:final_weights")
    body = admin.get(target).content.decode()
    assert "the defaults" in body and "Save" in body

    response = admin.post(
        target, {"period_scores": 40, "kpi": 30, "satisfaction": 30, "panel": 10, "exclusion_years": 1}
    )
    assert response.status_code == 200
    assert "The weights add up to 110; they must add up to 100." in response.content.decode()
    response = admin.post(
        target, {"period_scores": 40, "kpi": 20, "satisfaction": 30, "panel": 10, "exclusion_years": 4}
    )
    assert response.status_code == 200 and "Select a valid choice" in response.content.decode()
    assert not FinalWeights.objects.exists()

    response = admin.post(
        target, {"period_scores": 40, "kpi": 25, "satisfaction": 20, "panel": 15, "exclusion_years": 2}, follow=True
    )
    assert "are saved" in response.content.decode()
    row = FinalWeights.objects.get(palace=wenshang)
    assert (row.period_scores, row.kpi, row.satisfaction, row.panel, row.exclusion_years) == (40, 25, 20, 15, 2)

    auditor = client_for(roles["auditor"])
    body = auditor.get(target).content.decode()
    assert "Only the palace's administrators change these settings." in body
    assert "for 2 years" in body and 'name="period_scores"' not in body
    assert (
        auditor.post(
            target, {"period_scores": 50, "kpi": 20, "satisfaction": 15, "panel": 15, "exclusion_years": 1}
        ).status_code
        == 403
    )
    assert FinalWeights.objects.get(palace=wenshang).period_scores == 40
    # The checklists page leads to it.
    assert target in admin.get(reverse("evaluations:checklist_list")).content.decode()
