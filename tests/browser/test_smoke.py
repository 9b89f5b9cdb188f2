"""Smoke test in a real browser: every role logs in through the form and lands on its own home page.

Screenshots go to artifacts/screenshots/ for a person to look at. Assertions are
on data (names of palaces, people and organisations), which reads the same
whether or not the Chinese translations are compiled yet.
"""

import re

import pytest

from tests.factories import ProviderFactory, ServiceProjectFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "hezuo-demo"  # what the factories give every user
PHONE = {"width": 390, "height": 844}
WENSHANG = "汶上县工人文化宫"
FOSHAN = "佛山市工人文化宫"
WS_PENDING = "汶上县普法志愿服务中心"
FS_PENDING = "佛山市粤韵文化艺术培训中心"
WS_PROJECT = "电子商务培训"
FS_PROJECT = "粤剧兴趣班"
PENDING_PANEL = re.compile("Registrations to verify|待核验的登记")

# role → (text the home page must show, text it must not show)
EXPECTED = {
    "admin": ([WENSHANG, WS_PENDING, WS_PROJECT], [FS_PENDING, FS_PROJECT]),
    "evaluator": ([WENSHANG, WS_PROJECT], [WS_PENDING, FS_PROJECT]),
    "auditor": ([WENSHANG, WS_PROJECT], [WS_PENDING, FS_PROJECT]),
    "other_admin": ([FOSHAN, FS_PENDING, FS_PROJECT], [WS_PENDING, WS_PROJECT]),
    "other_auditor": ([FOSHAN, FS_PROJECT], [FS_PENDING, WS_PROJECT]),
    "provider_a": (["汶上县心理学会"], ["筑安技术培训中心", WS_PENDING, WS_PROJECT]),
    "provider_b": (["筑安技术培训中心"], ["汶上县心理学会", WS_PENDING, WS_PROJECT]),
}
SEES_PENDING_PANEL = {"admin", "other_admin"}


@pytest.fixture
def world(roles, wenshang, foshan):
    """The roles fixture plus one pending registration and one service project per palace."""
    ProviderFactory(palace=wenshang, name=WS_PENDING)
    ProviderFactory(palace=foshan, name=FS_PENDING)
    ServiceProjectFactory(palace=wenshang, name=WS_PROJECT)
    ServiceProjectFactory(palace=foshan, name=FS_PROJECT)
    return roles


def log_in(page, live_server, username: str):
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("form button[type=submit]")
    page.wait_for_url(re.compile(r"/app/workbench/$"))


@pytest.mark.parametrize("role", list(EXPECTED))
def test_each_role_logs_in_and_sees_its_own_home(role, world, open_page, screenshot, live_server):
    user = world[role]
    page = open_page()
    log_in(page, live_server, user.username)
    page.wait_for_load_state("networkidle")
    screenshot(page, f"home-{role}")

    header = page.locator(".hz-toolbar-user")
    assert header.inner_text().strip() == str(user)
    content = page.locator(".hz-content").inner_text()
    must_show, must_not_show = EXPECTED[role]
    for text in must_show:
        assert text in content, f"{role}'s home page should show {text!r}"
    body = page.locator("body").inner_text()
    for text in must_not_show:
        assert text not in body, f"{role}'s home page must not show {text!r}"
    assert bool(PENDING_PANEL.search(content)) == (role in SEES_PENDING_PANEL)
    assert page.bad_responses == []


def test_wrong_password_stays_on_the_login_page(world, open_page, live_server):
    page = open_page()
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", world["admin"].username)
    page.fill("input[name=password]", "not-the-password")
    page.click("form button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert "/accounts/login/" in page.url
    assert page.locator(".hz-toolbar-user").count() == 0


def test_login_page_on_a_phone(db, open_page, screenshot, live_server):
    page = open_page(viewport=PHONE)
    page.goto(f"{live_server.url}/accounts/login/")
    page.wait_for_load_state("networkidle")
    screenshot(page, "login-phone")
    assert page.locator("input[name=username]").is_visible()
    assert page.locator("input[name=password]").is_visible()
    assert page.locator("a[href='/register/']").count() == 1
    assert page.bad_responses == []


def test_public_registration_page_on_a_phone(wenshang, foshan, open_page, screenshot, live_server):
    page = open_page(viewport=PHONE)
    page.goto(f"{live_server.url}/register/")
    page.wait_for_load_state("networkidle")
    screenshot(page, "register-phone")
    assert page.locator("input[name=credit_code]").is_visible()
    options = page.locator("select[name=palace] option").all_inner_texts()
    assert WENSHANG in options and FOSHAN in options
    # Nothing is wider than the phone: no sideways scrolling.
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert page.bad_responses == []


def test_a_provider_marks_all_its_notifications_read(world, open_page, screenshot, live_server):
    from core.models import Notification

    user = world["provider_a"]
    Notification.objects.bulk_create(
        [
            Notification(recipient=user, subject="整改通知：请于 2026-12-21 前提交整改报告", body="汶上县工人文化宫"),
            Notification(recipient=user, subject="服务报告已退回修改", body="请按审核意见补充活动照片"),
            Notification(recipient=user, subject="合作协议已签署"),
        ]
    )
    page = open_page()
    log_in(page, live_server, user.username)
    page.goto(f"{live_server.url}/app/workbench/notifications/")
    screenshot(page, "notifications-unread")
    with page.expect_navigation():
        page.get_by_role("button", name="将 3 条未读全部标为已读").click()
    assert "已将 3 条通知标为已读。" in page.locator("body").inner_text()
    assert page.get_by_role("button", name=re.compile("全部标为已读")).count() == 0
    assert page.get_by_role("button", name="标为已读").count() == 0  # each is read: nothing left to mark
    screenshot(page, "notifications-read")
    assert not Notification.objects.filter(recipient=user, read_at__isnull=True).exists()
    assert page.bad_responses == []
