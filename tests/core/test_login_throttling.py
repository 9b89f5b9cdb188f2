"""Login throttling: 30 wrong passwords lock the account (from that address), until the cool-off or an unlock."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from core.models import AuditEvent

LOGIN = "/accounts/login/"
SHANGHAI = ZoneInfo("Asia/Shanghai")
START = datetime(2025, 12, 8, 10, 15, tzinfo=SHANGHAI)


def phone(ip="198.51.100.7", language=None) -> Client:
    client = Client(REMOTE_ADDR=ip)
    if language:
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    return client


def attack(client, username, times=30):
    for _ in range(times):
        response = client.post(LOGIN, {"username": username, "password": "wrong-password"})
    return response


def log_in(client, username):
    return client.post(LOGIN, {"username": username, "password": "hezuo-demo"})


def logged_in(response) -> bool:
    return response.status_code == 302 and "_auth_user_id" in response.client.session


@pytest.fixture
def clock():
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


def test_thirty_wrong_passwords_lock_the_account_with_a_message_saying_until_when(roles, clock):
    client = phone()
    response = attack(client, "t-ws-admin")
    assert response.status_code == 429
    text = response.content.decode()
    assert "登录失败次数过多，账号已暂时锁定，请于 12月8日 10:45 后再试，或请管理员解锁。" in text
    assert 'name="username"' in text  # the login page itself, not a bare refusal

    response = log_in(client, "t-ws-admin")
    assert response.status_code == 429
    assert not logged_in(response)


def test_the_lock_message_in_english(roles, clock):
    client = phone(language="en")
    response = attack(client, "t-ws-admin", times=settings.AXES_FAILURE_LIMIT)
    assert response.status_code == 429
    assert (
        "Too many failed logins: the account is locked for now. Try again after December 8 10:45, "
        "or ask an administrator to unlock it." in response.content.decode()
    )


def test_fewer_failures_than_the_limit_do_not_lock(roles, clock):
    client = phone()
    response = attack(client, "t-ws-admin", times=settings.AXES_FAILURE_LIMIT - 1)
    assert response.status_code == 200
    assert logged_in(log_in(client, "t-ws-admin"))


def test_after_the_cool_off_the_right_password_logs_in(roles, clock):
    client = phone()
    attack(client, "t-ws-admin")
    clock.move_to(START + timedelta(minutes=29))
    assert not logged_in(log_in(client, "t-ws-admin"))
    # A failure during the lock restarts the cool-off: 30 minutes from 10:44.
    clock.move_to(START + timedelta(minutes=29 + 31))
    assert logged_in(log_in(client, "t-ws-admin"))


def test_a_lock_from_one_address_does_not_lock_the_user_from_another(roles, clock):
    attack(phone("198.51.100.7"), "t-ws-admin")
    assert logged_in(log_in(phone("203.0.113.20"), "t-ws-admin"))


def test_an_administrator_unlocks_a_person_of_their_palace_who_then_logs_in_at_once(roles, clock, client_for):
    client = phone()
    attack(client, "t-ws-eval")
    admin = client_for(roles["admin"])
    page = admin.get(reverse("workbench:login_locks"))
    assert page.status_code == 200
    assert "t-ws-eval" in page.content.decode()
    assert "198.51.100.7" in page.content.decode()

    response = admin.post(reverse("workbench:login_lock_clear", args=[roles["evaluator"].pk]))
    assert response.status_code == 302
    assert "t-ws-eval" not in admin.get(reverse("workbench:login_locks")).content.decode()
    assert logged_in(log_in(client, "t-ws-eval"))
    event = AuditEvent.objects.get(action="login_lock.cleared")
    assert event.actor == roles["admin"]
    assert event.object_repr == str(roles["evaluator"])
    assert event.before["locked_from"] == ["198.51.100.7"]


def test_another_palaces_administrator_neither_sees_nor_unlocks_the_lock(roles, clock, client_for):
    attack(phone(), "t-ws-eval")
    other = client_for(roles["other_admin"])
    assert "t-ws-eval" not in other.get(reverse("workbench:login_locks")).content.decode()
    assert other.post(reverse("workbench:login_lock_clear", args=[roles["evaluator"].pk])).status_code == 404
    assert not logged_in(log_in(phone(), "t-ws-eval"))


def test_the_superuser_sees_every_lock_and_an_administrator_their_providers(roles, clock, client_for):
    from tests.factories import UserFactory

    attack(phone(), "t-prov-a")
    attack(phone(), "t-fs-admin")
    root = client_for(UserFactory(username="t-root", is_superuser=True, is_staff=True))
    seen = root.get(reverse("workbench:login_locks")).content.decode()
    assert "t-prov-a" in seen and "t-fs-admin" in seen
    seen = client_for(roles["admin"]).get(reverse("workbench:login_locks")).content.decode()
    assert "t-prov-a" in seen and "t-fs-admin" not in seen


def test_an_evaluator_cannot_unlock(roles, clock, client_for):
    attack(phone(), "t-ws-admin")
    evaluator = client_for(roles["evaluator"])
    assert evaluator.get(reverse("workbench:login_locks")).status_code == 403
    assert evaluator.post(reverse("workbench:login_lock_clear", args=[roles["admin"].pk])).status_code == 403
    assert not logged_in(log_in(phone(), "t-ws-admin"))


def test_axes_reset_username_unlocks_from_the_command_line(roles, clock):
    attack(phone(), "t-ws-admin")
    call_command("axes_reset_username", "t-ws-admin")
    assert logged_in(log_in(phone(), "t-ws-admin"))


def test_an_auditor_still_logs_in_and_out(roles):
    client = phone()
    assert logged_in(log_in(client, "t-ws-auditor"))
    assert client.post(reverse("logout")).status_code == 302
    assert "_auth_user_id" not in client.session


def test_the_client_address_comes_from_the_proxy_header_only_when_configured(roles, clock, settings):
    forged = {"HTTP_X_REAL_IP": "192.0.2.99"}
    attack(phone("198.51.100.7"), "t-ws-admin", times=settings.AXES_FAILURE_LIMIT)
    # Without a proxy the header is the client's own word: ignored, so the lock still holds.
    assert not logged_in(
        phone("198.51.100.7").post(LOGIN, {"username": "t-ws-admin", "password": "hezuo-demo"}, **forged)
    )
    # Behind the proxy the header is the address: another client behind the same proxy is not locked.
    settings.HEZUO_CLIENT_IP_HEADER = "HTTP_X_REAL_IP"
    assert logged_in(phone("198.51.100.7").post(LOGIN, {"username": "t-ws-admin", "password": "hezuo-demo"}, **forged))
