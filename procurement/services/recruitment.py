"""Recruitment, from draft notice to award (DOMAIN.md §1): what every step shares.

Each step has its module: ``drafting`` (the notice and its criteria), ``publishing``
(publish, cancel, re-issue, close or fail at the deadline), ``applying`` (apply, resubmit,
withdraw), ``panels`` (naming the panel, declarations, replacements), ``compilation``
(score sheets, compiling, corrections) and ``award`` (proposal, publicity, objections,
award). A re-tender is drafted in ``retender``.

Every write checks permission, validates, moves state through the model's FSM and writes
one audit event in one transaction. Times are passed in as ``now`` by the scheduler and
tests; views leave it to default to the clock.
"""

from datetime import datetime

from django.dispatch import Signal
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.errors import NotPermitted
from core.models import Role, User

from ..models import Recruitment
from ..permissions import can_manage_recruitment

ERR_NOT_EVALUATING = _("This recruitment is not under evaluation.")

# Sent with the awarded Recruitment once the award is final; contracts drafts a contract.
recruitment_awarded = Signal()
# Sent with the Recruitment, inside the transaction, after each change to its panel (assigned,
# declared, replaced, scores submitted or justified) and when it is cancelled. The panel
# workflow (procurement/flows.py) follows the domain state from here, whoever called.
panel_changed = Signal()


def now_or_clock(now: datetime | None) -> datetime:
    return now or timezone.now()


def palace_admins(palace_id: int):
    return User.objects.filter(memberships__palace_id=palace_id, memberships__role=Role.ADMIN)


def require_admin(actor: User, recruitment: Recruitment) -> None:
    if not can_manage_recruitment(actor, recruitment):
        raise NotPermitted


def lock_recruitment(recruitment: Recruitment) -> Recruitment:
    return Recruitment.objects.select_for_update().select_related("project", "palace").get(pk=recruitment.pk)


def valid_applications(recruitment: Recruitment):
    return recruitment.applications.filter(is_valid=True).select_related("provider").order_by("first_submitted_at")
