"""A service report through the real UI, in headless Chromium (issue 4).

The provider, on a phone-sized screen, imports its activities from a venue's check-in
export, writes the narrative and submits the report; the palace's administrator opens
it and accepts it with a score. Elements are found by name and CSS, never by English
text: the UI is Chinese. Screenshots: artifacts/screenshots/report-*.png.
"""

import re
from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse

from contracts.models import ServiceReport
from tests.contract_builders import active_contract

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "hezuo-demo"
PHONE = {"width": 390, "height": 844}
CHECKIN = (
    "序号,签到日期,活动名称,活动类别,活动室,签到人数\n"
    "1,2026-10-09,职工电工技能培训,培训,一楼培训教室,36\n"
    "2,2026-10-16,职工合唱排练,文化,多功能厅,48\n"
    "3,2026-10-23,职工篮球友谊赛,体育,篮球场,60\n"
)


def log_in(page, live_server, username: str):
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("form button[type=submit]")
    page.wait_for_url(re.compile(r"/app/workbench/$"))


def test_provider_imports_and_submits_a_report_and_the_admin_accepts_it(
    roles, wenshang, open_page, screenshot, live_server, tmp_path
):
    contract = active_contract(
        palace=wenshang,
        provider=roles["provider_a"].provider,
        provider_user=roles["provider_a"],
        admin=roles["admin"],
        starts_on=date(2026, 1, 1),
    )
    report = contract.reports.get(period_start=date(2026, 10, 1))
    export = tmp_path / "签到导出.csv"
    export.write_bytes(CHECKIN.encode("gb18030"))

    page = open_page(PHONE)
    log_in(page, live_server, roles["provider_a"].username)
    page.goto(live_server.url + reverse("contracts:report_edit", args=[report.pk]))
    page.set_input_files("#import input[type=file]", str(export))
    page.click("#import button[type=submit]")
    page.wait_for_load_state()
    # The three imported activities are in the form now.
    assert page.locator("input[value='职工篮球友谊赛']").count() == 1
    page.fill("textarea[name=narrative]", "十月开展培训、文化、体育活动各一场，共服务 144 人次。")
    screenshot(page, "report-edit-imported-phone")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the form scrolls sideways on a phone ({width}px)"
    page.click("button[name=action][value=submit]")
    page.wait_for_load_state()
    assert len(page.confirmations) == 1  # submitting cannot be undone, so the page asked first
    report.refresh_from_db()
    assert report.state == ServiceReport.State.SUBMITTED
    assert report.activities.count() == 3 and sum(report.activities.values_list("participants", flat=True)) == 144
    assert not page.bad_responses, page.bad_responses

    admin_page = open_page()
    log_in(admin_page, live_server, roles["admin"].username)
    admin_page.goto(live_server.url + reverse("contracts:report_detail", args=[report.pk]))
    assert "职工合唱排练" in admin_page.content()
    admin_page.check("input[name=decision][value=accept]")
    admin_page.fill("input[name=score]", "91.5")
    screenshot(admin_page, "report-review-admin")
    admin_page.click("form[action$='/review/'] button[type=submit]")
    admin_page.wait_for_load_state()
    report.refresh_from_db()
    assert (report.state, report.score) == (ServiceReport.State.ACCEPTED, Decimal("91.5"))
    assert "91.5" in admin_page.content()
    screenshot(admin_page, "report-accepted-admin")
    assert not admin_page.bad_responses, admin_page.bad_responses
