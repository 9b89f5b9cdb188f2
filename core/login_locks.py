"""Login throttling (django-axes): who is locked out, the message they see, and unlocking.

django-axes counts the wrong passwords per user name and client address
(settings.AXES_LOCKOUT_PARAMETERS) and refuses the login once AXES_FAILURE_LIMIT is reached, until
AXES_COOLOFF_TIME has passed since the last failure. Here: the login page's message when it does,
the locked accounts an administrator sees, and ``login_lock_clear`` to unlock one sooner.
"""

from dataclasses import dataclass
from datetime import datetime

from axes.helpers import get_client_username, get_cool_off
from axes.models import AccessAttempt
from axes.utils import reset
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.db import transaction
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.formats import date_format, time_format
from django.utils.translation import gettext as _

from . import audit
from .errors import NotPermitted
from .middleware import client_ip
from .models import Role, User
from .permissions import palace_ids
from .registry import palace_people_q


@dataclass(frozen=True)
class LoginLock:
    user: User
    addresses: list[str]
    until: datetime


def _locked_attempts(*, username: str | None = None, ip: str | None = None):
    attempts = AccessAttempt.objects.filter(
        failures_since_start__gte=settings.AXES_FAILURE_LIMIT,
        attempt_time__gte=timezone.now() - get_cool_off(),
    )
    if username is not None:
        attempts = attempts.filter(username=username)
    if ip is not None:
        attempts = attempts.filter(ip_address=ip)
    return attempts


def locked_until(*, username: str, ip: str | None) -> datetime | None:
    """When the lock of ``username`` from ``ip`` ends (the last failure plus the cool-off), or None."""
    last = _locked_attempts(username=username, ip=ip).order_by("-attempt_time").first()
    return last.attempt_time + get_cool_off() if last else None


def lock_message(until: datetime | None) -> str:
    if until is None:
        return _("Too many failed logins: the account is locked for now. Try again later, or ask an administrator.")
    local = timezone.localtime(until)
    return _(
        "Too many failed logins: the account is locked for now. Try again after %(when)s, "
        "or ask an administrator to unlock it."
    ) % {"when": f"{date_format(local, 'MONTH_DAY_FORMAT')} {time_format(local, 'H:i')}"}


def lockout_response(request, original_response=None, credentials=None):
    """settings.AXES_LOCKOUT_CALLABLE: the login page again, saying until when (palace time) the lock holds."""
    username = get_client_username(request, credentials) or ""
    message = lock_message(locked_until(username=username, ip=client_ip(request)))
    context = getattr(original_response, "context_data", None) or {}
    form_class = type(context["form"]) if "form" in context else AuthenticationForm
    form = form_class(request, initial={"username": username})
    template = getattr(original_response, "template_name", None) or "registration/login.html"
    response = TemplateResponse(
        request,
        template,
        {**context, "form": form, "lockout_message": message},
        status=settings.AXES_HTTP_RESPONSE_CODE,
    )
    return response.render()  # the handler has rendered the view's response already; this one comes later


def can_clear_login_locks(user) -> bool:
    """The locked-accounts page: palace administrators (their palace's people) and the superuser (all)."""
    return user.is_authenticated and (user.is_superuser or bool(palace_ids(user, Role.ADMIN)))


def people_for(actor: User):
    """The users whose login locks ``actor`` may see and clear."""
    if actor.is_superuser:
        return User.objects.all()
    return User.objects.filter(palace_people_q(palace_ids(actor, Role.ADMIN))).distinct()


def login_locks_for(*, actor: User) -> list[LoginLock]:
    if not can_clear_login_locks(actor):
        return []
    by_username: dict[str, list[AccessAttempt]] = {}
    for attempt in _locked_attempts().order_by("username", "-attempt_time"):
        by_username.setdefault(attempt.username, []).append(attempt)
    users = people_for(actor).filter(username__in=by_username.keys()).order_by("username")
    cool_off = get_cool_off()
    return [
        LoginLock(
            user=user,
            addresses=sorted({a.ip_address or "?" for a in by_username[user.username]}),
            until=by_username[user.username][0].attempt_time + cool_off,
        )
        for user in users
    ]


@transaction.atomic
def login_lock_clear(*, actor: User, user: User) -> int:
    """Unlock ``user``'s logins from every address at once (as ``manage.py axes_reset_username``)."""
    if not can_clear_login_locks(actor) or not people_for(actor).filter(pk=user.pk).exists():
        raise NotPermitted
    addresses = sorted(
        {ip or "?" for ip in _locked_attempts(username=user.username).values_list("ip_address", flat=True)}
    )
    removed = reset(username=user.username)
    if not removed:
        return 0  # nothing was counted against this user: nothing to record
    admin_palaces = palace_ids(actor, Role.ADMIN)
    audit.record(
        actor=actor,
        action="login_lock.cleared",
        obj=user,
        palace=next(iter(admin_palaces)) if len(admin_palaces) == 1 else None,
        before={"locked_from": addresses, "attempts": removed},
    )
    return removed
