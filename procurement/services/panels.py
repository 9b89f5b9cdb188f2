"""What every scoring panel does alike, whichever panel it is.

Two panels share ``procurement.models.PanelSeat``: the recruitment's (``PanelMember``,
scoring every applicant, in ``recruitment.py``) and the final evaluation's panel review
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
"""

from collections.abc import Callable, Hashable, Iterable, Sequence
from decimal import Decimal
from typing import Any

from django.db.models import Model, QuerySet
from django.utils.translation import gettext_lazy as _

from core import audit
from core.errors import DomainError
from core.models import Membership, Role, User
from core.notify import notify

from .. import scoring
from ..models import PanelSeat

ERR_NOT_EVALUATOR = _("%(name)s is not an evaluator of this palace.")
ERR_ALREADY_ON_PANEL = _("%(name)s is already on this panel.")
ERR_REPLACEMENT = _("Only a recused evaluator can be replaced.")
ERR_JUSTIFY = _("Write a justification for each flagged score.")
# xgettext:no-python-format
OUTLIER_BODY = _("Some of your scores are more than 30% of the maximum away from the panel median.")


def check_evaluators(palace_id: int, evaluators: Iterable[User], *, field: str = "evaluators") -> None:
    """Refuse anyone of ``evaluators`` who is not an evaluator of the palace."""
    allowed = set(Membership.objects.filter(palace_id=palace_id, role=Role.EVALUATOR)
                  .values_list("user_id", flat=True))
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


def mark_outliers(scores: Sequence[Model], *, seat_of: Callable[[Any], Hashable],
                  cell_of: Callable[[Any], Hashable], max_points_of: Callable[[Any], Decimal]) -> set[Hashable]:
    """Set each score's ``is_outlier`` from the whole panel's sheet; return the seats left to justify.

    A seat is left to justify when one of its outliers has no justification yet. Only the
    scores whose flag changes are written, in one statement.
    """
    flagged = scoring.flag_outliers({(seat_of(s), cell_of(s)): s.points for s in scores},
                                    {cell_of(s): max_points_of(s) for s in scores})
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


def ask_justifications(seats: Iterable[PanelSeat], *, action: str, palace_id: int, subject: str,
                       url_of: Callable[[PanelSeat], str]) -> None:
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
