"""The provider's contract and report pages, each behaviour once through the page, as the provider sees it.

Pages render in Chinese by default. Messages the services own are compared with the
service's constant rendered in the page's language, so these tests hold before and
after the lead translates them. The clock stands at 20 May 2026 (Beijing): a contract
that started on 1 March owes March and April (overdue) and May (in progress).
"""

import html
import re
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils import translation

from contracts import services
from contracts.home import contract_panels
from contracts.imports import ImportRejected, parse_activities
from contracts.models import Activity, Contract, ReportAttachment, ReportVersion, ServiceReport
from contracts.services.reports import ERR_CONTRACT_NOT_IN_FORCE
from core.models import AuditEvent, StoredFile
from core.uploads import ERR_TOO_LARGE, ERR_TYPE

# The live server with the MEDIA_URL workaround, and where Chromium is, come from the browser tests.
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, SCREENSHOTS, live_server  # noqa: F401
from tests.contract_builders import active_contract, draft_contract
from tests.factories import PDF_BYTES, PNG_BYTES, UserFactory

pytestmark = pytest.mark.django_db

BEIJING = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 5, 20, 10, 0, tzinfo=BEIJING)
MAY = (date(2026, 5, 1), date(2026, 5, 31))


@pytest.fixture(autouse=True)
def may_2026():
    with time_machine.travel(NOW, tick=True):
        yield


def zh(message, **params) -> str:
    """A message as the Chinese page shows it (the English msgid until the lead translates it)."""
    with translation.override("zh-hans"):
        text = translation.gettext(message) if isinstance(message, str) else str(message)
        return text % params if params else text


def text(response) -> str:
    assert response.status_code == 200, response.status_code
    return html.unescape(response.content.decode())


def flashed(response) -> str:
    """The messages a redirect leaves for the next page, as one string."""
    with translation.override("zh-hans"):
        return " ".join(str(m) for m in get_messages(response.wsgi_request))


def media_files() -> list[Path]:
    media = Path(settings.MEDIA_ROOT)
    return [p for p in media.rglob("*") if p.is_file()] if media.exists() else []


@pytest.fixture
def contract(roles, wenshang):
    return active_contract(
        palace=wenshang,
        provider=roles["provider_a"].provider,
        provider_user=roles["provider_a"],
        admin=roles["admin"],
        starts_on=date(2026, 3, 1),
    )


@pytest.fixture
def may(contract) -> ServiceReport:
    return contract.reports.get(period_start=MAY[0])


@pytest.fixture
def provider(roles, client_for):
    return client_for(roles["provider_a"])


def edit_url(report) -> str:
    return reverse("contracts:report_edit", args=[report.pk])


def report_form(activities=(), *, narrative="五月开展书法与太极课程，职工反响良好。", action="save", **extra) -> dict:
    """POST data of the report page: the narrative, the activity rows as typed, the button pressed."""
    data = {
        "narrative": narrative,
        "action": action,
        "activities-TOTAL_FORMS": len(activities),
        "activities-INITIAL_FORMS": 0,
        "activities-MIN_NUM_FORMS": 0,
        "activities-MAX_NUM_FORMS": 100,
    }
    for i, row in enumerate(activities):
        for key, value in row.items():
            data[f"activities-{i}-{key}"] = value
    return data | extra


def activity(day="2026-05-06", title="职工书法兴趣班", category="culture", place="二楼书画室", participants=28):
    return {"date": day, "title": title, "category": category, "place": place, "participants": participants}


def pdf(name="签到表.pdf", salt="") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PDF_BYTES + salt.encode(), content_type="application/pdf")


def draft(may, roles, *, activities=None, **kwargs) -> ServiceReport:
    rows = (
        activities
        if activities is not None
        else [services.ActivityInput(date(2026, 5, 6), "职工书法兴趣班", "culture", "二楼书画室", 28)]
    )
    return services.report_save(
        actor=roles["provider_a"], report=may, narrative="五月工作小结", activities=rows, **kwargs
    )


# --- contracts ------------------------------------------------------------------------------------


def test_provider_accepts_the_signed_contract_from_its_contracts_page(roles, wenshang, provider):
    contract = draft_contract(palace=wenshang, provider=roles["provider_a"].provider, starts_on=date(2026, 6, 1))
    services.contract_sign(actor=roles["admin"], contract=contract)

    body = text(provider.get(reverse("contracts:my_contracts")))
    assert contract.project.name in body and contract.number in body
    assert reverse("contracts:contract_detail", args=[contract.pk]) in body  # the call to action: read, then accept

    assert provider.get(reverse("contracts:contract_accept", args=[contract.pk])).status_code == 405
    response = provider.post(reverse("contracts:contract_accept", args=[contract.pk]))
    assert response.status_code == 302
    assert response["Location"] == reverse("contracts:contract_detail", args=[contract.pk])
    assert contract.number in flashed(response)
    contract.refresh_from_db()
    assert contract.state == Contract.State.ACTIVE and contract.accepted_by == roles["provider_a"]
    assert contract.reports.count() == 12

    body = text(provider.get(reverse("contracts:my_contracts")))
    assert "2026-06-01" in body and "2026-05-31" not in body  # the term, and no acceptance asked any more
    assert AuditEvent.objects.filter(action="contract.accepted").count() == 1


def test_accepting_before_the_palace_signs_is_refused_with_the_reason(roles, wenshang, provider):
    contract = draft_contract(palace=wenshang, provider=roles["provider_a"].provider)
    response = provider.post(reverse("contracts:contract_accept", args=[contract.pk]))
    assert response.status_code == 302
    assert zh(services.ERR_NOT_SIGNED) in flashed(response)
    contract.refresh_from_db()
    assert contract.state == Contract.State.DRAFT and not contract.reports.exists()


def test_only_the_contracted_provider_may_accept(roles, wenshang, client_for):
    contract = draft_contract(palace=wenshang, provider=roles["provider_a"].provider)
    services.contract_sign(actor=roles["admin"], contract=contract)
    for role in ("provider_b", "admin", "evaluator"):
        response = client_for(roles[role]).post(reverse("contracts:contract_accept", args=[contract.pk]))
        assert response.status_code == 403, role
    contract.refresh_from_db()
    assert contract.state == Contract.State.DRAFT


def test_staff_are_refused_the_provider_pages(roles, client_for, contract):
    for role in ("admin", "auditor"):
        client = client_for(roles[role])
        assert client.get(reverse("contracts:my_contracts")).status_code == 403
        assert client.get(reverse("contracts:my_reports")).status_code == 403


# --- my reports -----------------------------------------------------------------------------------


def test_my_reports_groups_returned_overdue_due_and_history(roles, contract, may, provider):
    march, april = contract.reports.get(sequence=1), contract.reports.get(sequence=2)
    services.report_save(
        actor=roles["provider_a"],
        report=march,
        narrative="三月小结",
        activities=[services.ActivityInput(date(2026, 3, 9), "太极拳晨练", "sports", "体育馆", 40)],
    )
    services.report_submit(actor=roles["provider_a"], report=march)
    services.report_review(actor=roles["admin"], report=march, accept=True, score=Decimal("86.5"))

    body = text(provider.get(reverse("contracts:my_reports")))
    overdue = body[body.index('id="overdue"') : body.index('id="due"')]
    assert "2026-04-01 – 2026-04-30" in overdue and edit_url(april) in overdue
    days = (date(2026, 5, 20) - april.due_on).days
    assert f"{april.due_on:%Y-%m-%d}" in overdue and str(days) in overdue
    due = body[body.index('id="due"') : body.index('id="history"')]
    assert "2026-05-01 – 2026-05-31" in due and edit_url(may) in due and f"{may.due_on:%Y-%m-%d}" in due
    assert "2026-06-01" not in body  # periods not begun are not listed
    history = body[body.index('id="history"') :]
    assert "86.5" in history and reverse("contracts:report_detail", args=[march.pk]) in history


# --- writing a report -----------------------------------------------------------------------------


def test_edit_page_shows_period_due_date_and_overdue_state(roles, contract, provider):
    april = contract.reports.get(sequence=2)
    body = text(provider.get(edit_url(april)))
    assert "2026-04-01 – 2026-04-30" in body
    assert f"{april.due_on:%Y-%m-%d}" in body
    assert str((date(2026, 5, 20) - april.due_on).days) in body
    assert contract.project.name in body
    assert 'name="activities-0-date"' in body and 'name="activities-2-date"' in body  # blank rows without JS
    assert 'type="file"' in body and "multiple" in body


def test_save_draft_with_typed_activities(roles, may, provider):
    rows = [activity(), activity("2026-05-13", "太极拳晨练", "sports", "体育馆", 40), {}]
    response = provider.post(edit_url(may), report_form(rows))
    assert response.status_code == 302 and response["Location"] == edit_url(may)
    may.refresh_from_db()
    assert may.state == ServiceReport.State.DRAFT and may.narrative.startswith("五月开展")
    assert [(a.title, a.participants, a.source) for a in may.activities.all()] == [
        ("职工书法兴趣班", 28, Activity.Source.TYPED),
        ("太极拳晨练", 40, Activity.Source.TYPED),
    ]

    body = text(provider.get(edit_url(may)))
    assert "职工书法兴趣班" in body and "太极拳晨练" in body and "五月开展书法与太极课程" in body
    assert 'value="2026-05-13"' in body


def test_ticked_rows_are_removed_and_a_bare_save_keeps_the_list(roles, may, provider):
    draft(
        may,
        roles,
        activities=[
            services.ActivityInput(date(2026, 5, 6), "书法", "culture", "书画室", 20),
            services.ActivityInput(date(2026, 5, 7), "合唱", "culture", "报告厅", 30),
        ],
    )
    rows = [activity(title="书法"), activity(title="合唱") | {"DELETE": "on"}]
    assert provider.post(edit_url(may), report_form(rows)).status_code == 302
    assert [a.title for a in may.activities.all()] == ["书法"]
    # Without the rows (as when the list is too long to be a form), the list is left as it is.
    assert provider.post(edit_url(may), {"narrative": "只改小结", "action": "save"}).status_code == 302
    may.refresh_from_db()
    assert may.narrative == "只改小结" and [a.title for a in may.activities.all()] == ["书法"]


def test_activity_outside_the_period_is_refused_with_its_number_and_nothing_saved(roles, may, provider):
    rows = [activity(), activity("2026-04-30", "劳动节前夕讲座")]
    body = text(provider.post(edit_url(may), report_form(rows)))
    expected = zh(services.reports.ERR_OUT_OF_PERIOD, n=2, date="2026-04-30", start="2026-05-01", end="2026-05-31")
    assert expected in body
    assert "劳动节前夕讲座" in body  # the rows come back as typed, numbered as the message counts them
    may.refresh_from_db()
    assert may.state == ServiceReport.State.PENDING and may.narrative == "" and not may.activities.exists()


def test_participants_must_be_a_whole_number_not_below_zero(roles, may, provider):
    response = provider.post(edit_url(may), report_form([activity(participants=-3), activity(participants="很多")]))
    assert response.status_code == 200
    formset = response.context["formset"]
    assert formset.forms[0].errors["participants"] and formset.forms[1].errors["participants"]
    may.refresh_from_db()
    assert may.state == ServiceReport.State.PENDING and not may.activities.exists()


def test_submit_saves_then_submits_for_review(roles, may, provider):
    response = provider.post(edit_url(may), report_form([activity()], action="submit"))
    assert response.status_code == 302
    assert response["Location"] == reverse("contracts:report_detail", args=[may.pk])
    assert flashed(response)
    may.refresh_from_db()
    assert may.state == ServiceReport.State.SUBMITTED and may.version == 1
    version = ReportVersion.objects.get(report=may)
    assert version.activities[0]["title"] == "职工书法兴趣班"


def test_refused_submission_keeps_the_draft_and_says_why(roles, may, provider):
    response = provider.post(edit_url(may), report_form([activity()], narrative="", action="submit"))
    assert response.status_code == 302 and response["Location"] == edit_url(may)
    assert zh(services.ERR_NO_NARRATIVE) in flashed(response)
    may.refresh_from_db()
    assert may.state == ServiceReport.State.DRAFT and may.activities.count() == 1
    assert not ReportVersion.objects.exists()


def test_double_submit_is_refused_and_makes_one_version(roles, may, provider):
    data = report_form([activity()], action="submit")
    assert provider.post(edit_url(may), data).status_code == 302
    second = provider.post(edit_url(may), data)
    assert second.status_code == 302
    assert second["Location"] == reverse("contracts:report_detail", args=[may.pk])
    assert zh(services.ERR_ALREADY_SUBMITTED) in flashed(second)
    # The report page's own submit button: refused the same way.
    third = provider.post(reverse("contracts:report_submit", args=[may.pk]))
    assert third.status_code == 302 and zh(services.ERR_ALREADY_SUBMITTED) in flashed(third)
    assert ReportVersion.objects.filter(report=may).count() == 1
    may.refresh_from_db()
    assert may.version == 1


def test_submit_button_of_the_report_page(roles, may, provider):
    assert provider.get(reverse("contracts:report_submit", args=[may.pk])).status_code == 405
    refused = provider.post(reverse("contracts:report_submit", args=[may.pk]))
    assert refused.status_code == 302 and zh(services.ERR_NO_NARRATIVE) in flashed(refused)
    draft(may, roles)
    response = provider.post(reverse("contracts:report_submit", args=[may.pk]))
    assert response["Location"] == reverse("contracts:report_detail", args=[may.pk])
    may.refresh_from_db()
    assert may.state == ServiceReport.State.SUBMITTED


def test_returned_report_shows_the_comments_and_is_resubmitted_as_version_two(roles, may, provider):
    draft(may, roles)
    services.report_submit(actor=roles["provider_a"], report=may)
    services.report_review(actor=roles["evaluator"], report=may, accept=False, comment="请补充5月6日签到表照片。")

    assert "请补充5月6日签到表照片。" in text(provider.get(reverse("contracts:my_reports")))
    body = text(provider.get(edit_url(may)))
    assert "请补充5月6日签到表照片。" in body and 'class="hz-review"' in body
    assert "职工书法兴趣班" in body

    response = provider.post(edit_url(may), report_form([activity()], action="submit", attachments=[pdf()]))
    assert response.status_code == 302
    may.refresh_from_db()
    assert may.state == ServiceReport.State.SUBMITTED and may.version == 2
    assert list(ReportVersion.objects.filter(report=may).values_list("number", "outcome")) == [
        (1, ServiceReport.State.RETURNED),
        (2, ""),
    ]


def test_report_not_editable_sends_the_provider_to_the_report_page(roles, contract, may, provider):
    draft(may, roles)
    services.report_submit(actor=roles["provider_a"], report=may)
    response = provider.get(edit_url(may))
    assert response["Location"] == reverse("contracts:report_detail", args=[may.pk])
    assert zh(services.ERR_ALREADY_SUBMITTED) in flashed(response)

    april = contract.reports.get(sequence=2)
    Contract.objects.filter(pk=contract.pk).update(state=Contract.State.COMPLETED)
    response = provider.get(edit_url(april))
    assert response["Location"] == reverse("contracts:report_detail", args=[april.pk])
    assert zh(ERR_CONTRACT_NOT_IN_FORCE) in flashed(response)


# --- importing activities -------------------------------------------------------------------------


def csv_upload(lines: list[str], name="签到导出.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, ("\n".join(lines) + "\n").encode("utf-8"), content_type="text/csv")


HEADER = "签到日期,活动名称,活动类别,活动室,签到人数"


def test_valid_check_in_export_is_imported_and_shows_in_the_form(roles, may, provider):
    upload = csv_upload(
        [
            HEADER,
            "2026-05-03,职工合唱团排练,文化,三楼排练厅,32",
            "2026/5/10,电工技能培训,培训,培训室201,25",
            "2026-05-17,乒乓球友谊赛,体育,体育馆,48",
        ]
    )
    response = provider.post(reverse("contracts:report_import", args=[may.pk]), {"file": upload})
    assert response.status_code == 302 and response["Location"] == edit_url(may)
    assert "3" in flashed(response)
    assert [(a.title, a.source) for a in may.activities.all()] == [
        ("职工合唱团排练", "imported"),
        ("电工技能培训", "imported"),
        ("乒乓球友谊赛", "imported"),
    ]
    body = text(provider.get(edit_url(may)))
    assert 'value="职工合唱团排练"' in body and 'value="2026-05-10"' in body and 'value="48"' in body


def test_invalid_export_lists_every_bad_row_and_saves_nothing(roles, may, provider):
    draft(may, roles)
    lines = [
        HEADER,
        "2026-05-03,职工合唱团排练,文化,三楼排练厅,32",
        "2026-04-28,四月的活动,文化,书画室,20",
        "2026-05-10,电工技能培训,培训,培训室201,-5",
        "2026-05-12,美食节,美食,食堂,30",
        "2026-05-13,,培训,培训室201,12",
    ]
    response = provider.post(reverse("contracts:report_import", args=[may.pk]), {"file": csv_upload(lines)})
    body = text(response)
    with translation.override("zh-hans"), pytest.raises(ImportRejected) as rejected:
        parse_activities(csv_upload(lines), period_start=MAY[0], period_end=MAY[1])
    assert {row for row, _message in rejected.value.errors} == {3, 4, 5, 6}
    for row, message in rejected.value.errors:
        assert message in body
        assert f'data-row="{row}"' in body
    assert zh(rejected.value.message) in body
    assert [a.title for a in may.activities.all()] == ["职工书法兴趣班"]  # the list as it was
    assert not AuditEvent.objects.filter(action="report.imported").exists()


def test_import_without_a_file_asks_for_one(roles, may, provider):
    response = provider.post(reverse("contracts:report_import", args=[may.pk]))
    assert response.status_code == 200
    assert response.context["import_form"].errors["file"]
    assert provider.get(reverse("contracts:report_import", args=[may.pk])).status_code == 405


# --- attachments ----------------------------------------------------------------------------------


def assert_nothing_stored(report):
    report.refresh_from_db()
    assert report.state == ServiceReport.State.PENDING and report.narrative == ""
    assert not StoredFile.objects.exists() and not ReportAttachment.objects.exists()
    assert media_files() == []


def test_attachments_are_listed_with_download_links_and_can_be_removed(roles, may, provider):
    response = provider.post(
        edit_url(may),
        report_form(
            [activity()], attachments=[pdf(), SimpleUploadedFile("现场照片.png", PNG_BYTES, content_type="image/png")]
        ),
    )
    assert response.status_code == 302
    sheet, photo = may.attachments.order_by("pk")
    body = text(provider.get(edit_url(may)))
    for attachment in (sheet, photo):
        assert attachment.file.original_name in body
        assert reverse("file_download", args=[attachment.file.pk]) in body
    assert provider.get(reverse("file_download", args=[sheet.file.pk])).status_code == 200

    assert provider.post(edit_url(may), report_form([activity()], remove_attachments=[photo.pk])).status_code == 302
    assert [a.file.original_name for a in may.attachments.all()] == ["签到表.pdf"]


def test_fifty_megabyte_attachment_is_refused_and_nothing_stored(roles, may, provider):
    big = SimpleUploadedFile("现场录像.pdf", PDF_BYTES + b"0" * (50 * 1024 * 1024), content_type="application/pdf")
    body = text(provider.post(edit_url(may), report_form([activity()], attachments=[big])))
    with translation.override("zh-hans"):
        expected = str(
            ERR_TOO_LARGE
            % {"name": "现场录像.pdf", "size": filesizeformat(big.size), "limit": filesizeformat(10 * 1024 * 1024)}
        )
    assert expected in body
    assert_nothing_stored(may)


def test_program_renamed_as_pdf_is_refused_by_its_content(roles, may, provider):
    exe = SimpleUploadedFile(
        "签到表.pdf",
        b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 600,
        content_type="application/pdf",
    )
    body = text(provider.post(edit_url(may), report_form([activity()], attachments=[exe])))
    assert zh(ERR_TYPE, name="签到表.pdf", allowed="JPEG、PDF、PNG") in body
    assert_nothing_stored(may)


def multipart(fields: dict, files: list[tuple[str, str, bytes]], boundary="hezuoBoundary7MA4YWxk") -> bytes:
    """A multipart body written by hand, so the file name reaches the server exactly as given."""
    parts = []
    for name, value in fields.items():
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
    for name, filename, content in files:
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
            f"Content-Type: application/pdf\r\n\r\n".encode()
            + content
            + b"\r\n"
        )
    return b"".join(parts) + f"--{boundary}--\r\n".encode()


@pytest.mark.parametrize("filename", ["../../etc/passwd.pdf", "..\\..\\windows\\passwd.pdf"])
def test_path_in_an_uploaded_file_name_never_reaches_the_disk_or_the_page(roles, may, provider, filename):
    body = multipart({"narrative": "附签到表", "action": "save"}, [("attachments", filename, PDF_BYTES)])
    response = provider.post(edit_url(may), body, content_type="multipart/form-data; boundary=hezuoBoundary7MA4YWxk")
    assert response.status_code == 302
    stored = may.attachments.get().file
    assert stored.original_name == "passwd.pdf"
    assert stored.file.name.startswith("uploads/") and "passwd" not in stored.file.name and ".." not in stored.file.name
    assert all(Path(settings.MEDIA_ROOT) in p.resolve().parents for p in media_files())
    page = text(provider.get(edit_url(may)))
    assert "passwd.pdf" in page and "../" not in page and "..\\" not in page
    download = provider.get(reverse("file_download", args=[stored.pk]))
    assert 'filename="passwd.pdf"' in download["Content-Disposition"]


def test_html_in_a_title_is_shown_escaped(roles, may, provider):
    title = '<script>alert("x")</script>书法课'
    assert provider.post(edit_url(may), report_form([activity(title=title)])).status_code == 302
    assert may.activities.get().title == title
    for url in (edit_url(may), reverse("contracts:my_reports")):
        raw = provider.get(url).content.decode()
        assert '<script>alert("x")' not in raw
    raw = provider.get(edit_url(may)).content.decode()
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;书法课" in raw


# --- other providers --------------------------------------------------------------------------------


def test_provider_b_cannot_open_or_change_provider_a_reports(roles, may, client_for):
    draft(may, roles, attachments=[pdf()])
    other = client_for(roles["provider_b"])
    assert other.get(edit_url(may)).status_code == 403
    assert other.post(edit_url(may), report_form([activity(title="篡改")])).status_code == 403
    assert (
        other.post(
            reverse("contracts:report_import", args=[may.pk]),
            {"file": csv_upload([HEADER, "2026-05-03,篡改,文化,书画室,1"])},
        ).status_code
        == 403
    )
    assert other.post(reverse("contracts:report_submit", args=[may.pk])).status_code == 403
    assert other.get(reverse("contracts:report_detail", args=[may.pk])).status_code in (403, 404)
    assert "职工书法兴趣班" not in other.get(reverse("contracts:my_reports")).content.decode()
    may.refresh_from_db()
    assert may.state == ServiceReport.State.DRAFT and [a.title for a in may.activities.all()] == ["职工书法兴趣班"]


def test_report_attachment_downloads_only_for_the_provider_and_the_palace_staff(roles, may, client_for):
    draft(may, roles, attachments=[pdf()])
    url = reverse("file_download", args=[may.attachments.get().file.pk])
    superuser = UserFactory(username="t-root", is_superuser=True, is_staff=True)
    for user in (roles["provider_a"], roles["admin"], roles["evaluator"], roles["auditor"], superuser):
        assert client_for(user).get(url).status_code == 200, user
    for role in ("provider_b", "other_admin", "other_auditor"):
        assert client_for(roles[role]).get(url).status_code in (403, 404), role
    assert "/accounts/login/" in client_for().get(url)["Location"]


def test_attachment_removed_after_submission_stays_readable_with_its_version(roles, may, provider, client_for):
    draft(may, roles, attachments=[pdf()])
    services.report_submit(actor=roles["provider_a"], report=may)
    services.report_review(actor=roles["admin"], report=may, accept=False, comment="照片不清晰")
    attachment = may.attachments.get()
    draft(may, roles, remove_attachments=[attachment.pk])
    url = reverse("file_download", args=[attachment.file_id])
    assert provider.get(url).status_code == 200
    assert client_for(roles["auditor"]).get(url).status_code == 200
    assert client_for(roles["provider_b"]).get(url).status_code == 403


# --- home panels ------------------------------------------------------------------------------------


def test_home_panels_for_the_provider_and_the_staff(
    roles, wenshang, contract, may, client_for, django_assert_max_num_queries
):
    awaiting = draft_contract(palace=wenshang, provider=roles["provider_a"].provider, starts_on=date(2026, 7, 1))
    services.contract_sign(actor=roles["admin"], contract=awaiting)
    draft(may, roles)
    services.report_submit(actor=roles["provider_a"], report=may)

    body = text(client_for(roles["provider_a"]).get(reverse("workbench:index")))
    assert awaiting.number in body and reverse("contracts:my_reports") in body
    user = roles["provider_a"]
    with django_assert_max_num_queries(3):
        panels = contract_panels(user)
    counts = next(p for p in panels if p.template.endswith("provider_reports.html")).context["counts"]
    assert (counts["overdue"], counts["due"], counts["returned"]) == (2, 0, 0)  # March and April; May submitted

    body = text(client_for(roles["admin"]).get(reverse("workbench:index")))
    assert reverse("contracts:overdue_reports") in body
    admin = roles["admin"]
    with django_assert_max_num_queries(2):
        panels = contract_panels(admin)
    assert panels[0].context["counts"]["overdue"] == 2 and panels[0].context["counts"]["waiting"] == 1
    other = contract_panels(roles["other_admin"])[0].context["counts"]
    assert (other["overdue"], other["waiting"]) == (0, 0)
    assert contract_panels(roles["provider_b"]) == []


# --- on a phone, in a real browser ------------------------------------------------------------------

PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="module")
def phone():
    """A phone-sized browser context in its own Chromium, closed with this module.

    Not the browser package's fixture: that one lives as long as its package, and two
    Playwright instances cannot run at once in one thread, whichever package runs first.
    """
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is not installed")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport=PHONE, locale="zh-CN", timezone_id="Asia/Shanghai")
        context.set_default_timeout(15_000)
        yield context
        browser.close()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_report_form_fits_a_phone_and_adds_rows(roles, wenshang, phone, live_server):  # noqa: F811
    user = roles["provider_a"]
    contract = active_contract(
        palace=wenshang, provider=user.provider, provider_user=user, admin=roles["admin"], starts_on=date(2026, 3, 1)
    )
    may = contract.reports.get(period_start=MAY[0])
    page = phone.new_page()
    bad_responses = []
    page.on(
        "response",
        lambda r: r.status >= 400 and r.url.startswith(live_server.url) and bad_responses.append(f"{r.status} {r.url}"),
    )
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", user.username)
    page.fill("input[name=password]", "hezuo-demo")
    page.click("form button[type=submit]")
    page.wait_for_url(re.compile(r"/app/workbench/$"))
    page.goto(live_server.url + edit_url(may))
    page.wait_for_load_state("networkidle")

    # One blank row to type into (the other blank rows are for browsers without JS), and another on demand.
    assert page.locator("[data-row]").count() == 1
    page.fill("[name=narrative]", "五月开展书法与太极课程。")
    page.fill("[name=activities-0-date]", "2026-05-06")
    page.fill("[name=activities-0-title]", "职工书法兴趣班")
    page.select_option("[name=activities-0-category]", "culture")
    page.fill("[name=activities-0-place]", "二楼书画室")
    page.fill("[name=activities-0-participants]", "28")
    page.click("#hz-add-activity")
    page.fill("[name=activities-1-date]", "2026-05-13")
    page.fill("[name=activities-1-title]", "太极拳晨练")
    page.select_option("[name=activities-1-category]", "sports")
    page.fill("[name=activities-1-place]", "体育馆")
    page.fill("[name=activities-1-participants]", "40")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "report-edit-phone.png"), full_page=True)

    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]  # no sideways scrolling
    for button in ("button[value=save]", "button[value=submit]", "#hz-add-activity"):
        box = page.locator(button).bounding_box()
        assert box["height"] >= 44 and box["width"] >= PHONE["width"] * 0.8, button
    page.click("button[value=save]")
    page.wait_for_url(re.compile(re.escape(edit_url(may)) + "$"))
    assert [(a.title, a.participants) for a in may.activities.all()] == [("职工书法兴趣班", 28), ("太极拳晨练", 40)]
    assert bad_responses == []
    page.close()
