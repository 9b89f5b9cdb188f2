"""The audit desk through the real UI, in headless Chromium (issue 7).

The province's auditor (``prov-auditor``) audits two palaces. Each has a finished term whose
assessment report was issued. The auditor opens the desk's final evaluations, filters them to
汶上县, downloads one assessment report, goes to the documents table, takes a ZIP of every
assessment of 汶上县, and checks the downloaded PDF by uploading it to the public verification
page. Elements are found by name, test id and CSS, never by English text: the UI is Chinese.
Screenshots: artifacts/screenshots/desk-*.png.
"""

import csv
import hashlib
import io
import re
import zipfile

import pytest
from django.urls import reverse

from core.models import IssuedDocument, Role
from tests.factories import ProviderFactory, provider_user, staff
from tests.final_builders import EXCELLENT_TERM, GOOD_TERM, final_evaluation

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "hezuo-demo"


def log_in(page, live_server, username: str):
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("form button[type=submit]")
    page.wait_for_url(re.compile(r"/app/workbench/$"))


def test_the_province_auditor_filters_downloads_zips_and_verifies(
    roles, wenshang, foshan, open_page, screenshot, live_server, tmp_path
):
    ours = [
        final_evaluation(
            palace=wenshang,
            provider=roles["provider_a"].provider,
            provider_user=roles["provider_a"],
            admin=roles["admin"],
            term=GOOD_TERM,
        ),
        final_evaluation(
            palace=wenshang,
            provider=roles["provider_b"].provider,
            provider_user=roles["provider_b"],
            admin=roles["admin"],
            term=EXCELLENT_TERM,
        ),
    ]
    foshan_provider = ProviderFactory(palace=foshan, verified=True, name="佛山市粤韵艺术团")
    theirs = final_evaluation(
        palace=foshan,
        provider=foshan_provider,
        provider_user=provider_user(foshan_provider),
        admin=roles["other_admin"],
        term=GOOD_TERM,
    )
    reports = IssuedDocument.objects.filter(kind=IssuedDocument.Kind.ASSESSMENT_REPORT)
    assert reports.filter(palace=wenshang).count() == 2 and reports.filter(palace=foshan).count() == 1
    auditor = staff(wenshang, Role.AUDITOR, "prov-auditor")
    auditor.memberships.create(palace=foshan, role=Role.AUDITOR)

    page = open_page()
    log_in(page, live_server, auditor.username)
    page.goto(live_server.url + reverse("desk:table", args=["finals"]))
    body = page.inner_text("main") if page.locator("main").count() else page.inner_text("body")
    assert theirs.contract.number in body and all(e.contract.number in body for e in ours)

    # Filter to 汶上县: Foshan's term goes.
    page.select_option("select[name=palace]", str(wenshang.pk))
    page.click("form.hz-filter button[type=submit]")
    page.wait_for_url(re.compile(r"palace="))
    body = page.inner_text("body")
    assert all(e.contract.number in body for e in ours) and theirs.contract.number not in body
    screenshot(page, "desk-finals-wenshang")
    assert not page.bad_responses

    # One assessment report, from its row.
    row = page.locator("tr", has_text=ours[0].contract.number)
    with page.expect_download() as info:
        row.locator("[data-testid=assessment-report]").click()
    pdf_path = tmp_path / info.value.suggested_filename
    info.value.save_as(pdf_path)
    pdf = pdf_path.read_bytes()
    report = reports.get(palace=wenshang, object_id=str(ours[0].pk))
    assert pdf.startswith(b"%PDF") and hashlib.sha256(pdf).hexdigest() == report.sha256

    # A ZIP of every assessment of 汶上县, from the documents table filtered the same way.
    page.goto(live_server.url + reverse("desk:table", args=["documents"]))
    page.select_option("select[name=status]", IssuedDocument.Kind.ASSESSMENT_REPORT)
    page.select_option("select[name=palace]", str(wenshang.pk))
    page.click("form.hz-filter button[type=submit]")
    page.wait_for_url(re.compile(r"status=assessment_report"))
    screenshot(page, "desk-documents-assessments")
    with page.expect_download() as info:
        page.click("[data-testid=documents-zip]")
    zip_path = tmp_path / "assessments.zip"
    info.value.save_as(zip_path)
    with zipfile.ZipFile(zip_path) as archive:
        names = archive.namelist()
        pdfs = [n for n in names if n.lower().endswith(".pdf")]
        assert len(pdfs) == 2, names
        manifest_name = next(n for n in names if n.lower().endswith(".csv"))
        manifest = list(csv.reader(io.StringIO(archive.read(manifest_name).decode("utf-8-sig"))))
        digests = {hashlib.sha256(archive.read(n)).hexdigest() for n in pdfs}
    assert digests == set(reports.filter(palace=wenshang).values_list("sha256", flat=True))
    assert {row[1] for row in manifest[1:]} == digests  # file name, SHA-256, …
    assert all(any("\u4e00" <= ch <= "\u9fff" for ch in n) for n in pdfs)  # readable in Chinese

    # The downloaded PDF, checked by uploading it to the public verification page.
    page.goto(live_server.url + reverse("verify_upload"))
    page.set_input_files("input[type=file][name=file]", str(pdf_path))
    page.locator("input[type=file][name=file]").evaluate("input => input.form.requestSubmit()")
    page.wait_for_selector("[data-verdict]")
    assert page.get_attribute("[data-verdict]", "data-verdict") == "genuine"
    assert report.title in page.inner_text("body")
    screenshot(page, "desk-verify-genuine")
    assert not page.bad_responses
