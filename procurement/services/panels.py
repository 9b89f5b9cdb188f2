"""Scoring panels: what every panel does alike, then the recruitment's panel (DOMAIN.md §1).

Two panels share ``procurement.models.PanelSeat``: the recruitment's (``PanelMember``,
scoring every applicant, below and in ``compilation.py``) and the final evaluation's panel review
(``evaluations.FinalPanelSeat``, scoring the one provider, in
``evaluations/services/final_panel.py``). Both name evaluators of the palace, replace a
recused seat by a new one, call the panel in when every seat that counts has submitted,
flag outliers with ``procurement.scoring.flag_outliers``, ask those evaluators to
justify them, and record the justifications. Those steps are here, once; each panel's
services keep what differs (what is declared and scored, what compiling does, and the
words and links of their notifications).

A seat's scores are rows with ``points``, ``is_outlier`` and ``justification`` under
``seat.scores``. The callers hold the locks (the panel's parent row, then the seat) and
the transaction.

The recruitment's own panel steps follow at the end (naming the panel, declaring
conflicts (回避), replacing a recused seat); its score sheets and their compilation are in
``compilation``.
"""

from collections.abc import Callable, Hashable, Iterable, Sequence
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Model, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core import audit
from core.errors import DomainError, NotPermitted
from core.models import Membership, Role, User
from core.notify import notify

from .. import scoring
from ..models import Declaration, PanelMember, PanelSeat, Recruitment
from .recruitment import (
    ERR_NOT_EVALUATING,
    lock_recruitment,
    palace_admins,
    panel_changed,
    require_admin,
    valid_applications,
)

ERR_NOT_EVALUATOR = _("%(name)s is not an evaluator of this palace.")
ERR_ALREADY_ON_PANEL = _("%(name)s is already on this panel.")
ERR_REPLACEMENT = _("Only a recused evaluator can be replaced.")
ERR_JUSTIFY = _("Write a justification for each flagged score.")
ERR_NOT_CLOSED = _("A panel can be assigned only after the recruitment has closed.")
ERR_PANEL_COUNT = _("Choose exactly %(size)d evaluators.")
ERR_DECLARE_ALL = _("Declare for every applicant.")
ERR_ALREADY_DECLARED = _("You have already declared.")
# xgettext:no-python-format
OUTLIER_BODY = _("Some of your scores are more than 30% of the maximum away from the panel median.")


def check_evaluators(palace_id: int, evaluators: Iterable[User], *, field: str = "evaluators") -> None:
    """Refuse anyone of ``evaluators`` who is not an evaluator of the palace."""
    allowed = set(Membership.objects.filter(palace_id=palace_id, role=Role.EVALUATOR).values_list("user_id", flat=True))
    for user in evaluators:
        if user.pk not in allowed:
            raise DomainError(ERR_NOT_EVALUATOR % {"name": user}, field=field)


def check_replacement(seat: PanelSeat, evaluator: User, *, palace_id: int, panel: QuerySet) -> None:
    """A recused seat, not yet replaced, may take ``evaluator``: of the palace, not on ``panel`` yet."""
    if seat.state != PanelSeat.State.RECUSED or hasattr(seat, "replaced_by"):
        raise DomainError(ERR_REPLACEMENT)
    check_evaluators(palace_id, [evaluator])
    if panel.filter(evaluator=evaluator).exists():
        raise DomainError(ERR_ALREADY_ON_PANEL % {"name": evaluator}, field="evaluator")


def active_seats(panel: QuerySet) -> QuerySet:
    """The seats whose scores count: every seat but the recused (their replacements count instead)."""
    return panel.exclude(state=PanelSeat.State.RECUSED)


def panel_in(seats: Sequence[PanelSeat], size: int) -> bool:
    """Whether the whole panel has submitted: ``size`` seats that count, each with its sheet in."""
    return len(seats) >= size and all(s.state == PanelSeat.State.SUBMITTED for s in seats)


def mark_outliers(
    scores: Sequence[Model],
    *,
    seat_of: Callable[[Any], Hashable],
    cell_of: Callable[[Any], Hashable],
    max_points_of: Callable[[Any], Decimal],
) -> set[Hashable]:
    """Set each score's ``is_outlier`` from the whole panel's sheet; return the seats left to justify.

    A seat is left to justify when one of its outliers has no justification yet. Only the
    scores whose flag changes are written, in one statement.
    """
    flagged = scoring.flag_outliers(
        {(seat_of(s), cell_of(s)): s.points for s in scores}, {cell_of(s): max_points_of(s) for s in scores}
    )
    changed, to_justify = [], set()
    for s in scores:
        is_outlier = (seat_of(s), cell_of(s)) in flagged
        if s.is_outlier != is_outlier:
            s.is_outlier = is_outlier
            changed.append(s)
        if is_outlier and not s.justification:
            to_justify.add(seat_of(s))
    if changed:
        type(changed[0])._base_manager.bulk_update(changed, ["is_outlier"])
    return to_justify


def ask_justifications(
    seats: Iterable[PanelSeat], *, action: str, palace_id: int, subject: str, url_of: Callable[[PanelSeat], str]
) -> None:
    """Send each of ``seats`` back to justify its outliers: the transition, an audit event, a notification."""
    for seat in seats:
        seat.ask_justification()
        seat.save()
        audit.record(actor=None, action=action, obj=seat, palace=palace_id, after={"state": seat.state})
        notify([seat.evaluator], subject=subject, body=OUTLIER_BODY, url=url_of(seat))


def record_justifications(seat: PanelSeat, justifications: dict[int, str]) -> dict[str, str]:
    """Write the justification of each of the seat's unexplained outliers, keyed by score id.

    Every flagged score needs a non-blank text. Returns what was written, for the audit event;
    the caller moves the seat on (``seat.submit()``).
    """
    flagged = {s.pk: s for s in seat.scores.filter(is_outlier=True, justification="")}
    if set(flagged) - {pk for pk, text in justifications.items() if text.strip()}:
        raise DomainError(ERR_JUSTIFY, field="justifications")
    for pk, score in flagged.items():
        score.justification = justifications[pk].strip()
        score.save(update_fields=["justification"])
    return {str(k): v.strip() for k, v in justifications.items()}


# --- the recruitment's panel ----------------------------------------------------------------------


def active_members(recruitment: Recruitment):
    """The recruitment's seats whose scores count."""
    return active_seats(recruitment.panel)


@transaction.atomic
def panel_assign(*, actor: User, recruitment: Recruitment, evaluators: Sequence[User]) -> list[PanelMember]:
    """The administrator names the panel; evaluation starts and each evaluator gets a task."""
    recruitment = lock_recruitment(recruitment)
    require_admin(actor, recruitment)
    if recruitment.state != Recruitment.State.CLOSED:
        raise DomainError(ERR_NOT_CLOSED)
    if len({u.pk for u in evaluators}) != recruitment.panel_size:
        raise DomainError(ERR_PANEL_COUNT % {"size": recruitment.panel_size}, field="evaluators")
    check_evaluators(recruitment.palace_id, evaluators)
    members = [PanelMember.objects.create(recruitment=recruitment, evaluator=u) for u in evaluators]
    before = audit.snapshot(recruitment, ["state"])
    recruitment.start_evaluation()
    recruitment.save()
    audit.record(
        actor=actor,
        action="panel.assigned",
        obj=recruitment,
        palace=recruitment.palace_id,
        before=before,
        after={"state": recruitment.state, "panel": [u.get_username() for u in evaluators]},
    )
    for member in members:
        _notify_assignment(member)
    panel_changed.send(sender=Recruitment, recruitment=recruitment)
    return members


def _notify_assignment(member: PanelMember) -> None:
    notify(
        [member.evaluator],
        subject=_("You are on the panel for %(number)s") % {"number": member.recruitment.number},
        body=_("Declare any conflict of interest, then score the applications."),
        url=reverse("procurement:panel_task", args=[member.pk]),
    )


@transaction.atomic
def panel_declare(*, actor: User, member: PanelMember, conflicts: dict[int, tuple[str, str]]) -> PanelMember:
    """回避: for each applicant, conflict kind and details. Any conflict recuses the evaluator."""
    member = PanelMember.objects.select_for_update().select_related("recruitment").get(pk=member.pk)
    if member.evaluator_id != actor.pk:
        raise NotPermitted
    if member.recruitment.state != Recruitment.State.EVALUATING:
        raise DomainError(ERR_NOT_EVALUATING)
    if member.state != PanelMember.State.ASSIGNED:
        raise DomainError(ERR_ALREADY_DECLARED)
    applications = list(valid_applications(member.recruitment))
    if {a.pk for a in applications} != set(conflicts):
        raise DomainError(ERR_DECLARE_ALL)
    for kind, _note in conflicts.values():
        if kind not in Declaration.Conflict.values:
            raise DomainError(ERR_DECLARE_ALL)
    Declaration.objects.bulk_create(
        [
            Declaration(member=member, application_id=pk, conflict=kind, note=note.strip()[:500])
            for pk, (kind, note) in conflicts.items()
        ]
    )
    conflicted = [pk for pk, (kind, _n) in conflicts.items() if kind != Declaration.Conflict.NONE]
    before = audit.snapshot(member, ["state"])
    if conflicted:
        member.recuse()
    else:
        member.declare_clear()
    member.declared_at = timezone.now()
    member.save()
    audit.record(
        actor=actor,
        action="panel.recused" if conflicted else "panel.declared",
        obj=member,
        palace=member.recruitment.palace_id,
        before=before,
        after={"state": member.state, "declarations": {str(k): v[0] for k, v in conflicts.items()}},
    )
    if conflicted:
        notify(
            palace_admins(member.recruitment.palace_id),
            subject=_("%(name)s recused from %(number)s; appoint a replacement")
            % {"name": member.evaluator, "number": member.recruitment.number},
            url=reverse("procurement:recruitment_detail", args=[member.recruitment_id]),
        )
    panel_changed.send(sender=Recruitment, recruitment=member.recruitment)
    return member


@transaction.atomic
def panel_replace(*, actor: User, member: PanelMember, evaluator: User) -> PanelMember:
    member = PanelMember.objects.select_for_update().select_related("recruitment").get(pk=member.pk)
    require_admin(actor, member.recruitment)
    check_replacement(member, evaluator, palace_id=member.recruitment.palace_id, panel=member.recruitment.panel)
    replacement = PanelMember.objects.create(recruitment=member.recruitment, evaluator=evaluator, replaces=member)
    audit.record(
        actor=actor,
        action="panel.replaced",
        obj=replacement,
        palace=member.recruitment.palace_id,
        before={"evaluator": member.evaluator.get_username()},
        after={"evaluator": evaluator.get_username()},
    )
    _notify_assignment(replacement)
    panel_changed.send(sender=Recruitment, recruitment=member.recruitment)
    return replacement
