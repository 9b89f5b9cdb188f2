"""The notifications page: open one, or mark every unread one read at once."""

import pytest
from django.urls import reverse

from core.models import Notification

pytestmark = pytest.mark.django_db


def test_marking_all_read_marks_only_ones_own_unread_and_says_how_many(roles, client_for):
    mine, theirs = roles["provider_a"], roles["provider_b"]
    Notification.objects.bulk_create(
        [Notification(recipient=mine, subject=f"整改通知 {n}") for n in range(3)]
        + [Notification(recipient=theirs, subject="别人的通知")]
    )
    client = client_for(mine)
    page = client.get(reverse("workbench:notifications")).content.decode()
    assert "将 3 条未读全部标为已读" in page

    response = client.post(reverse("workbench:notifications_read_all"), follow=True)
    body = response.content.decode()
    assert "已将 3 条通知标为已读。" in body
    assert "全部标为已读" not in body  # nothing unread: no button
    assert not Notification.objects.filter(recipient=mine, read_at__isnull=True).exists()
    assert Notification.objects.get(recipient=theirs).read_at is None


def test_marking_all_read_with_nothing_unread_says_nothing_and_a_get_is_refused(roles, client_for):
    client = client_for(roles["auditor"])  # an auditor may tidy their own messages
    response = client.post(reverse("workbench:notifications_read_all"), follow=True)
    assert response.status_code == 200 and "标为已读。" not in response.content.decode()
    assert client.get(reverse("workbench:notifications_read_all")).status_code == 405
