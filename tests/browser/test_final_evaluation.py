"""The final evaluation's appeal and sign-off through the real UI, in headless Chromium (issue 6).

A term of weak delivery, poor ratings and a poor panel review is proposed 差 today. The
provider, on a phone, reads the breakdown and lodges its one appeal with grounds and a photo
of a sign-in sheet; the administrator reads it and upholds the rating with a reason, then
signs it off; a 差 ends the partnership, so it waits for a second administrator, who confirms
it. Elements are found by name and CSS, never by English text: the UI is Chinese.
Screenshots: artifacts/screenshots/final-*.png.
"""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from contracts.models import Contract
from contracts.services import add_months
from core.models import Role
from evaluations.models import Appeal, Evidence, FinalEvaluation
from tests.factories import PNG_BYTES, staff
from tests.final_builders import POOR_TERM, proposed_evaluation

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "hezuo-demo"
PHONE = {"width": 390, "height": 844}


def log_in(page, live_server, username: str):
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("form button[type=submit]")
    page.wait_for_url(re.compile(r"/app/workbench/$"))


def no_sideways_scroll(page, viewport):
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= viewport["width"], f"the page scrolls sideways ({width}px)"


def test_the_provider_appeals_and_two_administrators_make_the_poor_rating_final(
    roles, wenshang, open_page, screenshot, live_server, tmp_path
):
    # A term ending 23 days from now: its evaluation opened a week ago and is proposed today.
    today = timezone.localdate()
    ev = proposed_evaluation(
        palace=wenshang,
        provider=roles["provider_a"].provider,
        provider_user=roles["provider_a"],
        admin=roles["admin"],
        term=POOR_TERM,
        panel_points=[20, 25, 22],
        proposed_on=today,
        starts_on=add_months(today + timedelta(days=24), -12),
    )
    assert ev.state == FinalEvaluation.State.PROPOSED and ev.proposed_rating == "poor"
    second_admin = staff(wenshang, Role.ADMIN, "t-ws-admin2")
    page_url = live_server.url + reverse("evaluations:final_detail", args=[ev.pk])
    photo = tmp_path / "三季度签到表.png"
    photo.write_bytes(PNG_BYTES)

    # The provider, on a phone: the proposed rating with its breakdown, then the appeal.
    provider = open_page(PHONE)
    log_in(provider, live_server, roles["provider_a"].username)
    provider.goto(page_url)
    assert provider.locator("#breakdown table tr").count() >= 7  # four components, sum, deduction, total
    assert "差" in provider.locator("#rating").inner_text()
    no_sideways_scroll(provider, PHONE)
    screenshot(provider, "final-1-provider-proposed-phone")
    provider.click(f"a[href$='{reverse('evaluations:final_appeal', args=[ev.pk])}']")
    provider.wait_for_load_state()
    provider.fill(
        "textarea[name=grounds]", "第三季度有 6 场培训因系统故障未能录入签到，附纸质签到表，请复核课时完成情况。"
    )
    provider.set_input_files("input[name=evidence]", str(photo))
    no_sideways_scroll(provider, PHONE)
    screenshot(provider, "final-2-provider-appeal-form-phone")
    provider.click("#appeal-form button[type=submit]")
    provider.wait_for_url(re.compile(r"/final/\d+/$"))
    assert len(provider.confirmations) == 1  # an appeal cannot be withdrawn, so the page asked first
    assert "三季度签到表.png" in provider.locator("#appeal").inner_text()
    screenshot(provider, "final-3-provider-appealed-phone")
    appeal = Appeal.objects.get(evaluation=ev)
    assert Evidence.objects.filter(appeal=appeal).count() == 1
    assert not provider.bad_responses, provider.bad_responses

    # The administrator reads the grounds and evidence, and upholds the rating with a reason. (Its
    # login replaces the provider's: the pages of one test share their cookies.)
    admin = open_page()
    log_in(admin, live_server, roles["admin"].username)
    admin.goto(page_url)
    assert "第三季度有 6 场培训" in admin.locator("#appeal").inner_text()
    admin.check("input[name=decision][value=upheld]")
    admin.fill("textarea[name=reason]", "纸质签到表与系统签到记录、活动照片均不一致，不予采信；维持原评定。")
    screenshot(admin, "final-4-admin-decides")
    admin.click("#decide button[type=submit]")
    admin.wait_for_load_state()
    appeal.refresh_from_db()
    assert (appeal.decision, appeal.decided_by) == (Appeal.Decision.UPHELD, roles["admin"])
    screenshot(admin, "final-5-admin-decided")

    # The sign-off: a 差 now waits for another administrator, and this one cannot confirm it.
    admin.click("#sign-off button[type=submit]")
    admin.wait_for_load_state()
    ev.refresh_from_db()
    assert ev.state == FinalEvaluation.State.CONFIRMING and ev.signed_off_by == roles["admin"]
    assert admin.locator("#confirm").count() == 0
    screenshot(admin, "final-6-admin-awaits-confirmation")
    # The table shows it among the palace's evaluations, awaiting the second confirmation.
    admin.goto(live_server.url + reverse("evaluations:final_list"))
    assert ev.contract.number in admin.locator("table").inner_text()
    screenshot(admin, "final-6b-admin-list")
    admin.goto(live_server.url + reverse("evaluations:final_weights"))
    assert admin.locator("input[name=period_scores]").input_value() == "50"
    screenshot(admin, "final-6c-admin-weights")
    assert not admin.bad_responses, admin.bad_responses

    # The second administrator confirms: final, and the provider exits.
    second = open_page()
    log_in(second, live_server, second_admin.username)
    second.goto(page_url)
    screenshot(second, "final-7-second-admin-confirms")
    second.click("#confirm button[type=submit]")
    second.wait_for_load_state()
    ev.refresh_from_db()
    assert (ev.state, ev.rating, ev.confirmed_by) == (FinalEvaluation.State.FINAL, "poor", second_admin)
    assert Contract.objects.get(pk=ev.contract_id).state == Contract.State.TERMINATED
    assert len(admin.confirmations) == 2 and len(second.confirmations) == 1
    second.reload()  # the assessment report is issued on commit
    assert second.locator("#links a[href*='/documents/']").count() >= 1
    screenshot(second, "final-8-final")
    assert not second.bad_responses, second.bad_responses

    # The provider sees the final rating and the decision's reason (the pages share one cookie jar: log in again).
    log_in(provider, live_server, roles["provider_a"].username)
    provider.goto(page_url)
    assert provider.locator("#actions").count() == 0
    assert "不予采信" in provider.locator("#appeal").inner_text()
    no_sideways_scroll(provider, PHONE)
    screenshot(provider, "final-9-provider-final-phone")
    provider.goto(live_server.url + reverse("evaluations:final_list"))
    assert ev.contract.number in provider.locator("table").inner_text()
    screenshot(provider, "final-10-provider-list-phone")
    provider.goto(live_server.url + reverse("contracts:contract_detail", args=[ev.contract_id]))
    assert provider.locator(f"#final-evaluation a[href$='{reverse('evaluations:final_detail', args=[ev.pk])}']").count()
    screenshot(provider, "final-11-provider-contract-phone")
    assert not provider.bad_responses, provider.bad_responses
