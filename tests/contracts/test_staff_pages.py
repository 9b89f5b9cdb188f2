"""The staff's contract pages, each behaviour once through its page, as the user sees it.

Pages render in Chinese by default. Messages the services own are compared with the
service's constant rendered in the page's language, so these tests hold before and
after the lead translates them.
"""

import csv
import html
import io
import re
from decimal import Decimal

import openpyxl
import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone, translation

from contracts import services
from contracts.models import Contract, ContractKpiTarget, Milestone, ServiceReport
from core.models import Notification
from procurement.models import KpiMetric
from tests.contract_builders import draft_contract
from tests.factories import ProviderFactory, UserFactory, pdf_upload

from .test_selectors import NOW, TODAY, contract_of, deliver, report_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def on_day():
    """Today is 2026-03-10: the contracts run 2026-01-01 – 2026-12-31, periods 1 and 2 are overdue."""
    with time_machine.travel(NOW, tick=False):
        yield NOW.date()


def zh(message, **params) -> str:
    """A message as the Chinese page shows it (the English msgid until the lead translates it)."""
    with translation.override("zh-hans"):
        text = translation.gettext(message) if isinstance(message, str) else str(message)
        return text % params if params else text


def zh_n(singular, plural, n, **params) -> str:
    with translation.override("zh-hans"):
        return translation.ngettext(singular, plural, n) % params


def page(response) -> str:
    assert response.status_code == 200, response.status_code
    return html.unescape(response.content.decode())


def get(client, name, *args) -> str:
    return page(client.get(reverse(name, args=args)))


def followed(response) -> str:
    """The page a redirect leads to, with its messages."""
    assert response.status_code == 302, response.status_code
    return page(response.client.get(response["Location"]))


@pytest.fixture
def superuser(db):
    return UserFactory(username="t-root", is_superuser=True, is_staff=True)


# --- the contracts table ------------------------------------------------------------------------


def test_contract_table_shows_the_palace_contracts_to_its_staff_in_chinese(
    roles, wenshang, foshan, superuser, client_for, on_day
):
    contract = contract_of(roles, wenshang, amount=Decimal("96000"))
    deliver(
        report_of(contract, 1), roles["provider_a"], roles["admin"], activities=[("training", 20)], score=Decimal(88)
    )
    for role in ("admin", "evaluator", "auditor"):
        body = get(client_for(roles[role]), "contracts:contract_list")
        assert '<html lang="zh-hans"' in body
        assert "合作协议" in body  # the page title, from the catalogue
        assert contract.number in body and "汶上县心理学会" in body and "¥96,000.00" in body
        assert "2026-01-01" in body and "2026-12-31" in body
        assert "88.0" in body  # the average report score
        assert "汶上县工人文化宫" not in body  # one palace: no palace column, no palace filter
    assert contract.number not in get(client_for(roles["other_admin"]), "contracts:contract_list")
    body = get(client_for(superuser), "contracts:contract_list")
    assert contract.number in body and "汶上县工人文化宫" in body  # every palace: the palace is shown
    assert client_for(roles["provider_a"]).get(reverse("contracts:contract_list")).status_code == 403
    assert "/accounts/login/" in client_for().get(reverse("contracts:contract_list"))["Location"]


def test_contract_table_filters_by_state_provider_and_search(roles, wenshang, client_for, on_day):
    active = contract_of(roles, wenshang)
    draft = draft_contract(palace=wenshang, provider=roles["provider_b"].provider)
    client = client_for(roles["admin"])
    url = reverse("contracts:contract_list")
    body = page(client.get(url, {"state": Contract.State.DRAFT}))
    assert draft.number in body and active.number not in body
    body = page(client.get(url, {"provider": roles["provider_a"].provider.pk}))
    assert active.number in body and draft.number not in body
    body = page(client.get(url, {"q": "筑安"}))
    assert draft.number in body and active.number not in body
    body = page(client.get(url, {"project": active.project_id}))
    assert active.number in body and draft.number not in body


def test_contract_export_escapes_a_provider_name_a_spreadsheet_would_run(roles, wenshang, client_for):
    evil = ProviderFactory(palace=wenshang, verified=True, name='=HYPERLINK("http://evil.example","点我")')
    contract = draft_contract(palace=wenshang, provider=evil, amount=Decimal("120000"))
    client = client_for(roles["auditor"])

    response = client.get(reverse("contracts:contract_list"), {"_export": "csv"})
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.getvalue().decode("utf-8-sig"))))
    row = next(r for r in rows[1:] if r[0] == contract.number)
    assert row[1] == "'" + evil.name
    assert "120000.00" in row  # money exports as a number, not as formatted text

    response = client.get(reverse("contracts:contract_list"), {"_export": "xlsx"})
    sheet = openpyxl.load_workbook(io.BytesIO(response.getvalue())).active
    cells = [c.value for c in next(r for r in sheet.iter_rows() if r[0].value == contract.number)]
    assert cells[1] == "'" + evil.name


# --- overdue reports ----------------------------------------------------------------------------


def test_overdue_reports_show_days_overdue_and_export(roles, wenshang, client_for, on_day):
    contract = contract_of(roles, wenshang)
    deliver(report_of(contract, 1), roles["provider_a"], accept=None, activities=[("training", 20)])
    client = client_for(roles["evaluator"])
    body = get(client, "contracts:overdue_reports")
    assert contract.number in body and "2026-02-01 – 2026-02-28" in body and "2026-03-06" in body
    assert "2026-01-01 – 2026-01-31" not in body  # submitted: no longer outstanding
    assert reverse("contracts:report_detail", args=[report_of(contract, 2).pk]) in body

    response = client.get(reverse("contracts:overdue_reports"), {"_export": "csv"})
    rows = list(csv.reader(io.StringIO(response.getvalue().decode("utf-8-sig"))))
    assert len(rows) == 2
    assert rows[1][:2] == [contract.number, "汶上县心理学会"]
    assert "4" in rows[1]  # days overdue: due 2026-03-06, today 2026-03-10

    assert contract.number not in get(client_for(roles["other_admin"]), "contracts:overdue_reports")
    assert client_for(roles["provider_a"]).get(reverse("contracts:overdue_reports")).status_code == 403


# --- the contract page --------------------------------------------------------------------------


def test_draft_contract_page_offers_the_administrator_edit_and_sign(roles, wenshang, superuser, client_for):
    contract = draft_contract(palace=wenshang, provider=roles["provider_a"].provider)
    edit_url = reverse("contracts:contract_edit", args=[contract.pk])
    sign_url = reverse("contracts:contract_sign", args=[contract.pk])
    body = get(client_for(roles["admin"]), "contracts:contract_detail", contract.pk)
    assert '<html lang="zh-hans"' in body and "草稿" in body
    assert edit_url in body and sign_url in body
    # Nothing can be paid or measured before the contract is in force.
    assert reverse("contracts:milestone_release", args=[contract.pk, contract.milestones.first().pk]) not in body
    assert (
        zh(
            "Progress is measured once the contract is in force: the activities of accepted reports against "
            "the targets above, in proportion to the term gone by."
        )
        in body
    )
    for reader in (roles["evaluator"], roles["auditor"], superuser, roles["provider_a"]):
        body = get(client_for(reader), "contracts:contract_detail", contract.pk)
        assert contract.number in body and "汶上县心理学会" in body and "¥120,000.00" in body
        assert edit_url not in body and sign_url not in body
    # Before the palace signs there is nothing for the provider to accept.
    assert reverse("contracts:contract_accept", args=[contract.pk]) not in body
    for outsider in ("provider_b", "other_admin", "other_auditor"):
        assert (
            client_for(roles[outsider]).get(reverse("contracts:contract_detail", args=[contract.pk])).status_code == 403
        )


def test_administrator_signs_and_the_provider_is_asked_to_accept(roles, wenshang, client_for):
    contract = draft_contract(palace=wenshang, provider=roles["provider_a"].provider)
    url = reverse("contracts:contract_sign", args=[contract.pk])
    assert client_for(roles["admin"]).get(url).status_code == 405

    body = followed(client_for(roles["admin"]).post(url))
    assert zh("Signed for the palace. %(provider)s is asked to accept the contract.", provider="汶上县心理学会") in body
    contract.refresh_from_db()
    assert contract.signed_by == roles["admin"] and contract.state == Contract.State.DRAFT
    assert reverse("contracts:contract_edit", args=[contract.pk]) not in body
    assert (
        zh(
            "Signed by the palace on %(date)s. Waiting for the provider to accept the contract; it is in force "
            "from the acceptance.",
            date=f"{timezone.localdate():%Y-%m-%d}",
        )
        in body
    )

    provider_page = get(client_for(roles["provider_a"]), "contracts:contract_detail", contract.pk)
    assert f'action="{reverse("contracts:contract_accept", args=[contract.pk])}"' in provider_page
    assert zh("Accept the contract") in provider_page
    # Signing twice is refused with the service's message.
    again = followed(client_for(roles["admin"]).post(url))
    assert zh(services.contracts.ERR_ALREADY_SIGNED) in again


def test_sign_is_disabled_with_its_reason_until_the_start_date_is_set(roles, wenshang, client_for):
    contract = draft_contract(palace=wenshang, provider=roles["provider_a"].provider)
    Contract.objects.filter(pk=contract.pk).update(starts_on=None, ends_on=None)
    body = get(client_for(roles["admin"]), "contracts:contract_detail", contract.pk)
    assert zh(services.ERR_NO_START) in body
    assert re.search(r"<button[^>]*\bdisabled\b[^>]*>\s*" + re.escape(zh("Sign for the palace")), body)


def test_administrator_edits_the_draft_terms_and_kpi_targets(roles, wenshang, client_for):
    contract = draft_contract(palace=wenshang, provider=roles["provider_a"].provider)
    client = client_for(roles["admin"])
    url = reverse("contracts:contract_edit", args=[contract.pk])
    form = get(client, "contracts:contract_edit", contract.pk)
    assert 'name="kpi-1-target"' in form and 'name="kpi-2-metric"' in form  # two targets and a blank row

    data = {
        "amount": "150000",
        "term_months": "24",
        "starts_on": "2026-02-01",
        "report_schedule": "quarterly",
        "kpi-TOTAL_FORMS": "3",
        "kpi-INITIAL_FORMS": "2",
        "kpi-MIN_NUM_FORMS": "0",
        "kpi-MAX_NUM_FORMS": "12",
        "kpi-0-metric": "sessions",
        "kpi-0-category": "",
        "kpi-0-label": "",
        "kpi-0-target": "48",
        "kpi-0-unit": "场",
        "kpi-1-metric": "participant_visits",
        "kpi-1-category": "",
        "kpi-1-label": "",
        "kpi-1-target": "600",
        "kpi-1-unit": "人次",
        "kpi-1-DELETE": "on",
        "kpi-2-metric": "sessions",
        "kpi-2-category": "culture",
        "kpi-2-label": "文化活动",
        "kpi-2-target": "12",
        "kpi-2-unit": "场",
    }
    body = followed(client.post(url, data))
    assert zh("The draft contract is saved. Sign it for the palace when the terms are agreed.") in body
    assert "¥150,000.00" in body and "2026-02-01 – 2028-01-31" in body
    contract.refresh_from_db()
    assert (contract.term_months, contract.report_schedule) == (24, Contract.ReportSchedule.QUARTERLY)
    assert [(k.metric, k.category, k.target) for k in contract.kpi_targets.all()] == [
        (KpiMetric.SESSIONS, "", 48),
        (KpiMetric.SESSIONS, "culture", 12),
    ]
    # The milestones follow the amount: 30/40/30 of ¥150,000.
    assert [m.amount for m in contract.milestones.all()] == [Decimal(45000), Decimal(60000), Decimal(45000)]


def test_a_term_of_37_months_is_refused_with_the_service_message_and_nothing_changes(roles, wenshang, client_for):
    contract = draft_contract(palace=wenshang, provider=roles["provider_a"].provider)
    data = {
        "amount": "150000",
        "term_months": "37",
        "starts_on": "2026-02-01",
        "report_schedule": "monthly",
        "kpi-TOTAL_FORMS": "1",
        "kpi-INITIAL_FORMS": "1",
        "kpi-MIN_NUM_FORMS": "0",
        "kpi-MAX_NUM_FORMS": "12",
        "kpi-0-metric": "sessions",
        "kpi-0-category": "",
        "kpi-0-label": "",
        "kpi-0-target": "48",
        "kpi-0-unit": "场",
    }
    body = page(client_for(roles["admin"]).post(reverse("contracts:contract_edit", args=[contract.pk]), data))
    assert zh(services.ERR_TERM, max=36, months=37) in body
    contract.refresh_from_db()
    assert (contract.amount, contract.term_months, contract.kpi_targets.count()) == (Decimal("120000.00"), 12, 2)


def test_add_a_row_shows_one_more_blank_kpi_row_and_saves_nothing(roles, wenshang, client_for):
    contract = draft_contract(palace=wenshang, provider=roles["provider_a"].provider)
    data = {
        "amount": "99000",
        "term_months": "12",
        "starts_on": "2026-01-01",
        "report_schedule": "monthly",
        "kpi-TOTAL_FORMS": "1",
        "kpi-INITIAL_FORMS": "1",
        "kpi-MIN_NUM_FORMS": "0",
        "kpi-MAX_NUM_FORMS": "12",
        "kpi-0-metric": "sessions",
        "kpi-0-category": "",
        "kpi-0-label": "",
        "kpi-0-target": "24",
        "kpi-0-unit": "场",
        "add_row": "1",
    }
    body = page(client_for(roles["admin"]).post(reverse("contracts:contract_edit", args=[contract.pk]), data))
    assert 'name="kpi-1-metric"' in body and 'name="kpi-2-metric"' not in body
    contract.refresh_from_db()
    assert contract.amount == Decimal("120000.00")


def test_a_signed_contract_can_no_longer_be_edited(roles, wenshang, client_for):
    contract = draft_contract(palace=wenshang, provider=roles["provider_a"].provider)
    services.contract_sign(actor=roles["admin"], contract=contract)
    body = followed(client_for(roles["admin"]).get(reverse("contracts:contract_edit", args=[contract.pk])))
    assert zh(services.ERR_NOT_DRAFT) in body


def test_contract_in_force_shows_kpi_progress_reports_and_milestones(roles, wenshang, client_for, on_day):
    contract = contract_of(roles, wenshang)
    ContractKpiTarget.objects.create(contract=contract, metric=KpiMetric.SATISFACTION, target=85, unit="%")
    deliver(
        report_of(contract, 1),
        roles["provider_a"],
        roles["evaluator"],
        activities=[("training", 30)] * 3,
        score=Decimal(92),
    )
    # Period 2 is left undone (overdue since 2026-03-06); period 3 is submitted and awaits review.
    deliver(report_of(contract, 3), roles["provider_a"], accept=None, activities=[("culture", 40)])
    for role in ("admin", "auditor", "provider_a"):
        body = get(client_for(roles[role]), "contracts:contract_detail", contract.pk)
        kpi = body.split('id="kpi"')[1].split('id="milestones"')[0]
        assert "只有已通过报告中的活动才计为已完成" in kpi  # only activities of accepted reports count
        # Sessions: 3 delivered of 4.47 due to date; participant-visits 90 of 111.78.
        assert "4.47" in kpi and "111.78" in kpi and ">90<" in kpi
        # Satisfaction is not counted from activities: no number, and the page says why.
        assert zh("Measured by the workers' ratings, not by the activities: see the real-time score.") in kpi
        assert (
            zh_n(
                "%(counter)s activity in reports not yet accepted is not counted.",
                "%(counter)s activities in reports not yet accepted are not counted.",
                1,
                counter=1,
            )
            in kpi
        )
        reports = body.split('id="reports"')[1]
        assert "2026-02-01 – 2026-02-28" in reports and ">92<" in reports
        assert reverse("contracts:report_detail", args=[report_of(contract, 3).pk]) in reports
        assert reports.count(zh("Overdue")) == 1
        assert body.count(roles["admin"].full_name) >= 1  # who signed for the palace


def test_mid_term_release_button_is_disabled_with_its_reason(roles, wenshang, client_for, on_day):
    contract = contract_of(roles, wenshang)
    signing, mid_term, final = contract.milestones.order_by("position")
    reason = services.milestone_problem(mid_term, TODAY)
    assert reason == zh("Mid-term is %(date)s; it has not been reached.", date="2026-07-01")

    client = client_for(roles["admin"])
    body = get(client, "contracts:contract_detail", contract.pk)
    release = reverse("contracts:milestone_release", args=[contract.pk, mid_term.pk])
    form = body.split(f'action="{release}"')[1].split("</form>")[0]
    assert " disabled " in form and reason in form
    form = body.split(f'action="{reverse("contracts:milestone_release", args=[contract.pk, signing.pk])}"')[1]
    assert " disabled " not in form.split("</form>")[0]
    # Nobody else sees a release button.
    assert release not in get(client_for(roles["auditor"]), "contracts:contract_detail", contract.pk)

    # The service refuses it too, if the button is forced.
    body = followed(client.post(release))
    assert reason in body
    mid_term.refresh_from_db()
    assert mid_term.released_at is None
    assert client.get(release).status_code == 405


def test_administrator_releases_the_signing_milestone(roles, wenshang, client_for, on_day):
    contract = contract_of(roles, wenshang)
    signing = contract.milestones.get(position=1)
    body = followed(
        client_for(roles["admin"]).post(reverse("contracts:milestone_release", args=[contract.pk, signing.pk]))
    )
    assert zh("Milestone %(position)d released: ¥%(amount)s.", position=1, amount="36,000.00") in body
    signing.refresh_from_db()
    assert signing.released_by == roles["admin"]
    assert reverse("contracts:milestone_release", args=[contract.pk, signing.pk]) not in body
    assert Notification.objects.filter(recipient=roles["provider_a"], subject__contains="36,000.00").exists()
    again = followed(
        client_for(roles["admin"]).post(reverse("contracts:milestone_release", args=[contract.pk, signing.pk]))
    )
    assert zh(services.contracts.ERR_RELEASED) in again
    assert Milestone.objects.filter(contract=contract, released_at__isnull=False).count() == 1


# --- the report page ----------------------------------------------------------------------------


def test_report_page_shows_the_report_to_staff_and_its_provider_only(roles, wenshang, superuser, client_for, on_day):
    contract = contract_of(roles, wenshang)
    report = deliver(
        report_of(contract, 1), roles["provider_a"], accept=None, activities=[("training", 30), ("culture", 45)]
    )
    for user in (roles["admin"], roles["evaluator"], roles["auditor"], superuser, roles["provider_a"]):
        body = get(client_for(user), "contracts:report_detail", report.pk)
        assert '<html lang="zh-hans"' in body
        assert "2026-01-01 – 2026-01-31" in body and "2026-02-06" in body
        assert "活动1" in body and "二楼教室" in body and "培训" in body and ">75<" in body  # the total
        assert "本月按计划开展培训。" in body
    for outsider in ("provider_b", "other_admin", "other_auditor"):
        assert client_for(roles[outsider]).get(reverse("contracts:report_detail", args=[report.pk])).status_code == 403


def test_review_form_is_for_the_evaluators_and_administrators_of_a_submitted_report(
    roles, wenshang, superuser, client_for, on_day
):
    contract = contract_of(roles, wenshang)
    submitted = deliver(report_of(contract, 1), roles["provider_a"], accept=None, activities=[("training", 30)])
    review = reverse("contracts:report_review", args=[submitted.pk])
    for role in ("admin", "evaluator"):
        assert review in get(client_for(roles[role]), "contracts:report_detail", submitted.pk)
    for user in (roles["auditor"], superuser, roles["provider_a"]):
        assert review not in get(client_for(user), "contracts:report_detail", submitted.pk)
    # A report not submitted has no review form; its provider has the link to write it.
    pending = report_of(contract, 2)
    assert reverse("contracts:report_review", args=[pending.pk]) not in get(
        client_for(roles["admin"]), "contracts:report_detail", pending.pk
    )
    body = get(client_for(roles["provider_a"]), "contracts:report_detail", pending.pk)
    assert reverse("contracts:report_edit", args=[pending.pk]) in body
    assert reverse("contracts:report_edit", args=[pending.pk]) not in get(
        client_for(roles["admin"]), "contracts:report_detail", pending.pk
    )


def test_evaluator_accepts_a_report_with_a_score(roles, wenshang, client_for, on_day):
    contract = contract_of(roles, wenshang)
    report = deliver(report_of(contract, 1), roles["provider_a"], accept=None, activities=[("training", 30)])
    response = client_for(roles["evaluator"]).post(
        reverse("contracts:report_review", args=[report.pk]),
        {"decision": "accept", "score": "87.5", "comment": "组织有序"},
    )
    body = followed(response)
    assert zh("The report is accepted with a score of %(score)s; the provider is notified.", score="87.5") in body
    report.refresh_from_db()
    assert (report.state, report.score, report.reviewed_by) == (
        ServiceReport.State.ACCEPTED,
        Decimal("87.5"),
        roles["evaluator"],
    )
    assert "组织有序" in body and "87.5" in body
    assert reverse("contracts:report_review", args=[report.pk]) not in body  # reviewed: no form any more


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({"decision": "accept", "score": "", "comment": "很好"}, services.ERR_SCORE),
        ({"decision": "accept", "score": "101"}, services.ERR_SCORE),
        ({"decision": "return", "score": "", "comment": "  "}, services.ERR_RETURN_COMMENT),
    ],
)
def test_a_review_the_service_refuses_changes_nothing(roles, wenshang, client_for, on_day, data, error):
    contract = contract_of(roles, wenshang)
    report = deliver(report_of(contract, 1), roles["provider_a"], accept=None, activities=[("training", 30)])
    response = client_for(roles["admin"]).post(reverse("contracts:report_review", args=[report.pk]), data)
    # The page comes back with the reason inside the review form, and what was typed kept.
    body = response.content.decode()
    assert response.status_code == 200
    review = body.split('id="review"')[1]
    assert zh(error) in review
    if data.get("comment", "").strip():
        assert data["comment"] in review
    report.refresh_from_db()
    assert (report.state, report.score, report.reviewed_at) == (ServiceReport.State.SUBMITTED, None, None)


def test_a_returned_report_keeps_its_versions_with_the_review(roles, wenshang, client_for, on_day):
    contract = contract_of(roles, wenshang)
    report = deliver(report_of(contract, 1), roles["provider_a"], accept=None, activities=[("training", 30)])
    body = followed(
        client_for(roles["admin"]).post(
            reverse("contracts:report_review", args=[report.pk]), {"decision": "return", "comment": "请补充签到表"}
        )
    )
    assert zh("The report is returned for revision; the provider is notified.") in body
    deliver(
        ServiceReport.objects.get(pk=report.pk),
        roles["provider_a"],
        roles["admin"],
        activities=[("training", 30), ("sports", 22)],
        score=Decimal(90),
    )
    body = get(client_for(roles["auditor"]), "contracts:report_detail", report.pk)
    versions = body.split('id="versions"')[1]
    assert "请补充签到表" in versions and "90" in versions
    assert versions.count('<details class="hz-version">') == 2
    assert "体育" in versions  # the frozen activity list of version 2, with its category's name


def test_report_page_links_its_attachments_and_says_it_is_overdue(roles, wenshang, client_for, on_day):
    contract = contract_of(roles, wenshang)
    report = report_of(contract, 2)  # due 2026-03-06, not submitted: 4 days overdue on 2026-03-10
    services.report_save(
        actor=roles["provider_a"], report=report, narrative="草稿", attachments=[pdf_upload("签到表.pdf")]
    )
    stored = report.attachments.get().file
    body = get(client_for(roles["auditor"]), "contracts:report_detail", report.pk)
    assert f'href="{reverse("file_download", args=[stored.pk])}"' in body and "签到表.pdf" in body
    assert (
        zh_n(
            "Overdue: it was due on %(date)s, %(days)s day ago.",
            "Overdue: it was due on %(date)s, %(days)s days ago.",
            4,
            date="2026-03-06",
            days=4,
        )
        in body
    )


def test_report_page_escapes_html_in_titles_and_narrative(roles, wenshang, client_for, on_day):
    contract = contract_of(roles, wenshang)
    report = report_of(contract, 1)
    services.report_save(
        actor=roles["provider_a"],
        report=report,
        narrative="<script>alert('n')</script>",
        activities=[
            services.ActivityInput(report.period_start, "<script>alert('t')</script>", "training", "<b>礼堂</b>", 10)
        ],
    )
    services.report_submit(actor=roles["provider_a"], report=report)
    raw = client_for(roles["admin"]).get(reverse("contracts:report_detail", args=[report.pk])).content.decode()
    assert "<script>alert(" not in raw and "<b>礼堂" not in raw
    assert "&lt;script&gt;alert(" in raw and "&lt;b&gt;礼堂" in raw
