"""A worker rates an activity from its QR link on a phone; the administrator's board moves (issue 5).

The month already has an inspection and 29 ratings, so the worker's rating is the 30th:
satisfaction starts to count and the month's score on the standing board changes.
Screenshots: artifacts/screenshots/rating-*.png.
"""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from contracts import services as contract_services
from evaluations import services
from evaluations.models import PeriodScore
from tests.contract_builders import active_contract

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "hezuo-demo"
PHONE = {"width": 390, "height": 844}


def log_in(page, live_server, username: str):
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("form button[type=submit]")
    page.wait_for_url(re.compile(r"/app/workbench/$"))


def board_score(page, live_server, contract) -> str:
    page.goto(live_server.url + reverse("evaluations:dashboard"))
    row = page.locator("tr", has=page.locator(f"text={contract.number}"))
    return row.locator("td.hz-num").first.inner_text().strip()


def test_a_worker_rates_from_the_qr_link_and_the_board_changes(roles, wenshang, open_page, screenshot, live_server):
    now = timezone.now()
    today = timezone.localdate(now)
    contract = active_contract(
        palace=wenshang,
        provider=roles["provider_a"].provider,
        provider_user=roles["provider_a"],
        admin=roles["admin"],
        starts_on=today.replace(day=1) - timedelta(days=200),
    )
    checklist = services.checklist_create(
        actor=roles["admin"],
        palace_id=wenshang.pk,
        category="training",
        name="培训服务现场检查表",
        items=[services.ChecklistItemInput("按课表授课", Decimal(100))],
    )
    inspection = services.inspection_assign(
        actor=roles["admin"], contract=contract, checklist=checklist, inspector=roles["evaluator"], due_on=today
    )
    activity_day = max(today - timedelta(days=1), today.replace(day=1))
    services.inspection_submit(
        actor=roles["evaluator"],
        inspection=inspection,
        inspected_on=activity_day,
        items={checklist.items.get().pk: services.ItemScoreInput(Decimal(70))},
    )
    report = contract.reports.get(period_start__lte=activity_day, period_end__gte=activity_day)
    contract_services.report_save(
        actor=roles["provider_a"],
        report=report,
        narrative="本月活动",
        activities=[contract_services.ActivityInput(activity_day, "职工合唱排练", "culture", "多功能厅", 45)],
    )
    activity = report.activities.get()
    link = services.rating_link_for(activity)
    for n in range(29):
        services.rating_submit(token=link.token, stars=5, comment="", device_id=f"earlier-phone-{n}")

    admin = open_page()
    log_in(admin, live_server, roles["admin"].username)
    assert board_score(admin, live_server, contract) == "70.00"  # 29 ratings: satisfaction not counted yet

    worker = open_page(PHONE)
    worker.goto(live_server.url + reverse("rate", args=[link.token]))
    assert "职工合唱排练" in worker.content()
    worker.click("label[for=star-4]")
    worker.fill("textarea[name=comment]", "排练很有收获")
    screenshot(worker, "rating-phone")
    assert worker.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    worker.click("button.rate-submit")
    worker.wait_for_load_state()
    assert "感谢" in worker.content()
    screenshot(worker, "rating-thanks-phone")

    period = PeriodScore.objects.get(contract=contract, month=activity_day.replace(day=1))
    assert period.ratings_count == 30
    expected = f"{period.score:.2f}"
    assert expected != "70.00"
    assert board_score(admin, live_server, contract) == expected
    screenshot(admin, "rating-board-admin")
    assert not worker.bad_responses and not admin.bad_responses, (worker.bad_responses, admin.bad_responses)
