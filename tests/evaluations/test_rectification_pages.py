"""The rectification pages as their users meet them: the orders table, the order page with the
provider's answer and the evaluator's re-inspection, and the termination review."""

from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from contracts.models import Contract
from evaluations import services
from evaluations.models import Evidence, Finding, RectificationOrder, TerminationReview
from tests.contract_builders import active_contract
from tests.factories import evidence_for, pdf_upload, png_upload

pytestmark = pytest.mark.django_db


def at(y, m, d, h=10):
    return timezone.make_aware(datetime(y, m, d, h))


@pytest.fixture(autouse=True)
def _long_sessions(settings):
    # The tests travel in time; a session saved in March must still hold later.
    settings.SESSION_COOKIE_AGE = 3 * 365 * 24 * 3600


@pytest.fixture
def client_for(client_for):
    """Clients that read the pages in English, the msgids' language."""

    def make(user=None):
        client = client_for(user)
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
        return client

    return make


@pytest.fixture
def contract(roles, wenshang):
    return active_contract(
        palace=wenshang,
        provider=roles["provider_a"].provider,
        provider_user=roles["provider_a"],
        admin=roles["admin"],
        starts_on=date(2026, 1, 1),
    )


@pytest.fixture
def checklist(roles, wenshang):
    return services.checklist_create(
        actor=roles["admin"],
        palace_id=wenshang.pk,
        category="training",
        name="培训服务现场检查表",
        items=[
            services.ChecklistItemInput("师资到位、按课表授课", Decimal(40)),
            services.ChecklistItemInput("场地安全、消防通道畅通", Decimal(30)),
            services.ChecklistItemInput("签到记录真实完整", Decimal(30)),
        ],
    )


def failing_inspection(roles, contract, checklist, day: date) -> RectificationOrder:
    """An inspection that pulls the month under 60: a score order with a finding per failed item."""
    inspection = services.inspection_assign(
        actor=roles["admin"],
        contract=contract,
        checklist=checklist,
        inspector=roles["evaluator"],
        due_on=day,
        now=at(day.year, day.month, day.day, 8),
    )
    items = {
        item.pk: services.ItemScoreInput(Decimal(p), "签到表缺页" if p < 60 else "")
        for item, p in zip(checklist.items.all(), [40, 70, 20], strict=True)
    }
    services.inspection_submit(
        actor=roles["evaluator"],
        inspection=inspection,
        items=items,
        inspected_on=day,
        notes="现场检查",
        now=at(day.year, day.month, day.day, 15),
    )
    return RectificationOrder.objects.get(contract=contract, trigger="score")


def red_line_order(actor, contract, day: date, text: str) -> RectificationOrder:
    line = services.red_line_record(
        actor=actor,
        contract=contract,
        category="charging",
        occurred_on=day,
        description=text,
        now=at(day.year, day.month, day.day, 15),
    )
    return RectificationOrder.objects.get(red_line=line)


def page(client, order) -> str:
    response = client.get(reverse("evaluations:order", args=[order.pk]))
    assert response.status_code == 200
    return response.content.decode()


def answer_data(order, text="已整改") -> dict:
    data = {f"response_{f.pk}": f"{text}（第 {f.position} 项）" for f in order.findings.all()}
    return data | {f"evidence_{pk}": files for pk, files in evidence_for(order).items()}


def test_the_provider_answers_and_the_evaluator_re_inspects_through_the_pages(roles, contract, checklist, client_for):
    provider, evaluator = client_for(roles["provider_a"]), client_for(roles["evaluator"])
    with time_machine.travel(at(2026, 3, 10), tick=False) as traveller:
        order = failing_inspection(roles, contract, checklist, date(2026, 3, 10))
        findings = list(order.findings.all())
        assert len(findings) == 3  # two checklist items below 60, and the inspections indicator

        # The provider sees the findings, the deadline and the form, with what happens next.
        body = page(provider, order)
        assert "签到记录真实完整" in body and "2026-03-24" in body
        assert "Send the rectification report" in body
        assert "If any finding is not fully resolved, the order fails" in body
        assert reverse("evaluations:order_reinspect", args=[order.pk]) not in body  # not the provider's step
        # The evaluator sees the order waiting for the provider, with no form of theirs yet.
        staff_body = page(evaluator, order)
        assert "Waiting for the provider&#x27;s answer, due by 2026-03-24" in staff_body
        assert "Send the rectification report" not in staff_body and "Record the re-inspection" not in staff_body

        # An answer missing a finding is refused with the service's message, and nothing is saved.
        data = answer_data(order)
        data[f"response_{findings[0].pk}"] = ""
        response = provider.post(reverse("evaluations:order_respond", args=[order.pk]), data)
        assert response.status_code == 200
        assert "Answer every finding" in response.content.decode()
        order.refresh_from_db()
        assert order.state == RectificationOrder.State.OPEN

        # The full answer, with a photo and a PDF as evidence of the first finding.
        traveller.move_to(at(2026, 3, 16))
        data = answer_data(order, "已补齐签到表并更换授课教师")
        data[f"evidence_{findings[0].pk}"] = [png_upload("签到表.png"), pdf_upload("整改说明.pdf")]
        response = provider.post(reverse("evaluations:order_respond", args=[order.pk]), data, follow=True)
        assert response.status_code == 200
        body = response.content.decode()
        assert "Your answer is sent" in body and "You answered on 2026-03-16" in body
        assert "整改说明.pdf" in body and "Send the rectification report" not in body
        order.refresh_from_db()
        assert order.state == RectificationOrder.State.RESPONDED
        assert Evidence.objects.filter(finding=findings[0]).count() == 2

        # The re-inspector judges every finding through the form: all resolved → passed.
        body = page(evaluator, order)
        assert "Record the re-inspection" in body and "已补齐签到表并更换授课教师" in body
        traveller.move_to(at(2026, 3, 20))
        data = {f"outcome_{f.pk}": Finding.Outcome.RESOLVED for f in findings}
        data |= {f"note_{f.pk}": "现场核实已整改" for f in findings}
        response = evaluator.post(reverse("evaluations:order_reinspect", args=[order.pk]), data, follow=True)
        body = response.content.decode()
        assert "every finding is resolved, so the order passed" in body
        assert "Passed on 2026-03-20" in body and "现场核实已整改" in body
    order.refresh_from_db()
    contract.refresh_from_db()
    assert order.state == RectificationOrder.State.PASSED
    assert contract.state == Contract.State.ACTIVE  # no order open: back in force


def test_a_partly_resolved_finding_fails_the_order(roles, contract, client_for):
    with time_machine.travel(at(2026, 4, 8), tick=False):
        order = red_line_order(roles["evaluator"], contract, date(2026, 4, 7), "向参训职工收取资料费每人 50 元")
        client_for(roles["provider_a"]).post(reverse("evaluations:order_respond", args=[order.pk]), answer_data(order))
        finding = order.findings.get()
        evaluator = client_for(roles["evaluator"])
        response = evaluator.post(
            reverse("evaluations:order_reinspect", args=[order.pk]),
            {f"outcome_{finding.pk}": "partly", f"note_{finding.pk}": "仅退还部分职工"},
            follow=True,
        )
    body = response.content.decode()
    assert "not every finding is resolved, so the order failed" in body
    assert "1 failed order in this contract&#x27;s term; at 2, the palace&#x27;s administrator decides" in body
    order.refresh_from_db()
    contract.refresh_from_db()
    assert order.state == RectificationOrder.State.FAILED
    assert contract.state == Contract.State.ACTIVE


def test_a_re_inspection_missing_a_judgement_is_refused(roles, contract, client_for):
    with time_machine.travel(at(2026, 4, 8), tick=False):
        order = red_line_order(roles["evaluator"], contract, date(2026, 4, 7), "课程现场无安全员")
        services.order_respond(
            actor=roles["provider_a"],
            order=order,
            evidence=evidence_for(order),
            responses={f.pk: "已配备安全员" for f in order.findings.all()},
        )
        response = client_for(roles["evaluator"]).post(reverse("evaluations:order_reinspect", args=[order.pk]), {})
    assert response.status_code == 200
    assert "Judge every finding" in response.content.decode()
    order.refresh_from_db()
    assert order.state == RectificationOrder.State.RESPONDED


def test_another_provider_cannot_answer_the_order(roles, contract, client_for):
    with time_machine.travel(at(2026, 4, 8), tick=False):
        order = red_line_order(roles["evaluator"], contract, date(2026, 4, 7), "向参训职工收取资料费")
        other = client_for(roles["provider_b"])
        assert other.get(reverse("evaluations:order", args=[order.pk])).status_code == 403
        response = other.post(reverse("evaluations:order_respond", args=[order.pk]), answer_data(order))
        assert response.status_code == 403
        # Staff cannot answer for the provider either.
        assert (
            client_for(roles["admin"])
            .post(reverse("evaluations:order_respond", args=[order.pk]), answer_data(order))
            .status_code
            == 403
        )
    order.refresh_from_db()
    assert order.state == RectificationOrder.State.OPEN and order.responded_at is None
    assert not order.findings.exclude(response="").exists()


def test_after_the_deadline_the_provider_is_told_and_the_answer_refused(roles, contract, client_for):
    with time_machine.travel(at(2026, 4, 8), tick=False) as traveller:
        order = red_line_order(roles["evaluator"], contract, date(2026, 4, 7), "向参训职工收取资料费")
        provider = client_for(roles["provider_a"])
        stale_form = page(provider, order)  # opened before the deadline…
        assert "Send the rectification report" in stale_form
        traveller.move_to(
            timezone.make_aware(datetime.combine(order.deadline + timedelta(days=1), datetime.min.time()))
            + timedelta(hours=9)
        )
        # …posted after it: refused, with the deadline's date in the message.
        response = provider.post(reverse("evaluations:order_respond", args=[order.pk]), answer_data(order), follow=True)
        body = response.content.decode()
        deadline = f"{order.deadline:%Y-%m-%d}"
        assert f"The deadline ({deadline}) has passed" in body
        assert "Send the rectification report" not in body
        assert "the order will be failed" in body
    order.refresh_from_db()
    assert order.state == RectificationOrder.State.OPEN and order.responded_at is None


def test_the_orders_table_shows_each_viewer_their_orders(roles, contract, client_for, foshan):
    with time_machine.travel(at(2026, 4, 8, 16), tick=False):
        order = red_line_order(roles["evaluator"], contract, date(2026, 4, 8), "向参训职工收取资料费")
        admin = client_for(roles["admin"]).get(reverse("evaluations:order_list")).content.decode()
        assert order.number in admin and "Red line: Charging workers for a free service" in admin
        assert "2026-04-22" in admin and "14 days left" in admin  # ten working days, fourteen calendar days
        mine = client_for(roles["provider_a"]).get(reverse("evaluations:order_list")).content.decode()
        assert order.number in mine
        for role in ("provider_b", "other_admin"):
            response = client_for(roles[role]).get(reverse("evaluations:order_list"))
            assert response.status_code == 200 and order.number not in response.content.decode()
        export = client_for(roles["auditor"]).get(reverse("evaluations:order_list") + "?_export=csv")
        assert export.status_code == 200
        rows = export.getvalue().decode()
        assert order.number in rows and "2026-04-22 (14 days left)" in rows
        filtered = client_for(roles["admin"]).get(reverse("evaluations:order_list") + "?state=passed")
        assert order.number not in filtered.content.decode()


def _two_failed_orders(roles, contract):
    first = red_line_order(roles["evaluator"], contract, date(2026, 4, 7), "向参训职工收取资料费")
    services.order_respond(
        actor=roles["provider_a"],
        order=first,
        evidence=evidence_for(first),
        responses={f.pk: "已退还" for f in first.findings.all()},
        now=at(2026, 4, 9),
    )
    services.order_reinspect(
        actor=roles["evaluator"],
        order=first,
        outcomes={f.pk: ("not_resolved", "未退还") for f in first.findings.all()},
        now=at(2026, 4, 10),
    )
    second = red_line_order(roles["evaluator"], contract, date(2026, 4, 14), "活动现场安全通道堵塞")
    services.orders_fail_overdue(
        timezone.make_aware(datetime.combine(second.deadline + timedelta(days=1), datetime.min.time()))
    )
    return TerminationReview.objects.get(contract=contract)


def test_the_administrator_decides_the_termination_review(roles, contract, client_for):
    with time_machine.travel(at(2026, 5, 8), tick=False):
        review = _two_failed_orders(roles, contract)
        url = reverse("evaluations:termination_review", args=[review.pk])
        admin, evaluator, provider = (client_for(roles[r]) for r in ("admin", "evaluator", "provider_a"))
        body = admin.get(url).content.decode()
        assert "Decide whether to terminate it early" in body and "Record the decision" in body
        assert "No answer by the deadline" in body and "Not every finding resolved on re-inspection" in body
        # The evaluator reads, cannot decide; the provider sees nothing until the decision.
        body = evaluator.get(url).content.decode()
        assert "Waiting for the palace&#x27;s administrator to decide" in body and "Record the decision" not in body
        assert evaluator.post(url, {"decision": "terminate", "reason": "x"}).status_code == 403
        assert provider.get(url).status_code == 403
        # No reason: refused with the service's message.
        response = admin.post(url, {"decision": "terminate", "reason": ""})
        assert response.status_code == 200 and "Give the reason for the decision" in response.content.decode()
        response = admin.post(url, {"decision": "terminate", "reason": "同一合作期内两次整改不合格。"}, follow=True)
        assert "The decision is recorded: Terminate early" in response.content.decode()
        body = provider.get(url).content.decode()
        assert "terminate the contract early" in body and "同一合作期内两次整改不合格。" in body
        assert "Record the decision" not in body
    review.refresh_from_db()
    assert review.decision == "terminate" and review.decided_by == roles["admin"]


def test_the_order_page_links_the_notice_pdf(roles, contract, client_for, django_capture_on_commit_callbacks):
    with time_machine.travel(at(2026, 4, 8), tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            order = red_line_order(roles["evaluator"], contract, date(2026, 4, 7), "向参训职工收取资料费")
        body = page(client_for(roles["provider_a"]), order)
    from core.models import IssuedDocument

    notice = IssuedDocument.objects.get(kind=IssuedDocument.Kind.RECTIFICATION_NOTICE)
    assert reverse("document_download", args=[notice.pk]) in body
    assert reverse("evaluations:red_line", args=[order.red_line_id]) in body
    assert client_for(roles["provider_a"]).get(reverse("document_download", args=[notice.pk])).status_code == 200
    assert client_for(roles["provider_b"]).get(reverse("document_download", args=[notice.pk])).status_code == 403


def test_the_contract_page_lists_the_orders_and_the_monthly_summaries(roles, contract, client_for):
    from evaluations.standing.summaries import close_periods

    with time_machine.travel(at(2026, 4, 8), tick=False):
        order = red_line_order(roles["evaluator"], contract, date(2026, 4, 7), "向参训职工收取资料费")
    close_periods(at(2026, 5, 16))
    for role in ("admin", "provider_a"):
        body = client_for(roles[role]).get(reverse("contracts:contract_detail", args=[contract.pk])).content.decode()
        assert "Rectification and monthly summaries" in body
        assert reverse("evaluations:order", args=[order.pk]) in body and "2026-04" in body
    from core.models import IssuedDocument

    summary = IssuedDocument.objects.get(kind=IssuedDocument.Kind.MONTHLY_SUMMARY)
    assert reverse("document_download", args=[summary.pk]) in body
    assert client_for(roles["provider_a"]).get(reverse("document_download", args=[summary.pk])).status_code == 200
    assert client_for(roles["provider_b"]).get(reverse("document_download", args=[summary.pk])).status_code == 403
