"""A second click, a second tab, a second administrator: the object has already moved on.

Services lock their row, re-read it, and when its state no longer allows the step they say so in
their own words, naming who moved it and when (``done_by``). ``transition`` is the net under that:
a viewflow FSM ``NoTransition`` a service did not foresee becomes a ``DomainError`` naming the
object's current state, never a 500.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

from django.db import models
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _
from viewflow.fsm import NoTransition

from .errors import DomainError
from .models import AuditEvent, User

ERR_ALREADY = _("Nothing was changed: this %(what)s is already “%(state)s” (%(who)s, %(when)s).")


def moment(at: datetime | None) -> str:
    """A time as the messages give it: the palace's local time, to the minute."""
    return date_format(timezone.localtime(at), "Y-m-d H:i") if at else "—"


def done_by(obj: models.Model, user: User | None = None, at: datetime | None = None) -> dict[str, str]:
    """``{"who", "when"}`` for a message: the given user and time, else the object's last audited change."""
    if user is None or at is None:
        event = (
            AuditEvent.objects.filter(object_type=obj._meta.label, object_id=str(obj.pk))
            .select_related("actor")
            .order_by("-seq")
            .first()
        )
        if event is not None:
            user = user or event.actor
            at = at or event.created_at
    return {"who": str(user) if user else str(_("the system")), "when": moment(at)}


def already(obj: models.Model, *, field: str = "state") -> DomainError:
    """The refusal for an object whose state no longer allows the step: its state, who, when."""
    state = getattr(obj, f"get_{field}_display")()
    return DomainError(ERR_ALREADY % {"what": obj._meta.verbose_name, "state": state, **done_by(obj)})


@contextmanager
def transition(obj: models.Model, *, field: str = "state") -> Iterator[None]:
    """Fire ``obj``'s FSM transitions inside; one no longer possible is a domain error, not a 500."""
    try:
        yield
    except NoTransition:
        raise already(obj, field=field) from None
