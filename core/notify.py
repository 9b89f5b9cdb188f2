"""In-app notifications, mirrored by e-mail once the transaction commits."""

from collections.abc import Iterable

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction

from .models import Notification, User


def notify(users: Iterable[User], *, subject: str, body: str = "", url: str = "") -> None:
    recipients = [u for u in users if u is not None]
    Notification.objects.bulk_create(
        [Notification(recipient=u, subject=str(subject)[:200], body=str(body), url=url) for u in recipients]
    )
    emails = [u.email for u in recipients if u.email]
    if emails:
        link = f"\n\n{settings.HEZUO_PUBLIC_URL}{url}" if url else ""
        transaction.on_commit(lambda: send_mail(str(subject), f"{body}{link}", None, emails, fail_silently=True))
