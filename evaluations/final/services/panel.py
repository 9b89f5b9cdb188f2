"""The final evaluation's panel review (DOMAIN.md §5): the recruitment panel's way, on one provider.

The palace's administrator names 3 or more evaluators of the palace. Each declares a
conflict of interest with the provider or none (any conflict recuses the evaluator, and
the administrators are asked to appoint a replacement), then submits a sealed sheet: one
score per ``ReviewCriterion``, 0 to its maximum (40/30/30), with a comment. When every
seat that counts has submitted, a score further than 30% of the criterion's maximum from
the panel's median is an outlier its evaluator must justify; when none is left
unexplained the panel compiles: ``panel_value`` is the sum over the criteria of the
criterion means (``procurement.scoring.criterion_mean``), and
``evaluations.services.final.final_panel_compiled`` computes the other components and
proposes the rating.

The steps both panels take alike (naming evaluators, replacing a recused seat, calling
the panel in, flagging outliers, recording justifications) are
``procurement.services.panels``'s, and the seat's states and transitions are
``procurement.models.PanelSeat``'s. Every service locks the contract, then the
evaluation, then the seat, writes one audit event and sends ``final_changed``.
"""

from collections.abc import Mapping, Sequence
from datetime import datetime
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from contracts.models import Contract
from core import audit
from core.errors import DomainError, NotPermitted
from core.models import Role, User
from core.notify import notify
from evaluations.final.models import (
    REVIEW_MAXIMA,
    FinalEvaluation,
    FinalPanelScore,
    FinalPanelSeat,
    ReviewCriterion,
)
from evaluations.final.permissions import can_name_final_panel
from evaluations.final.scoring import panel_means
from evaluations.final.services.evaluation import final_panel_compiled
from evaluations.final.signals import final_changed
from procurement import scoring
from procurement.models import Declaration
from procurement.permissions import can_work_panel_seat
from procurement.services import panels

MIN_PANEL = 3

ERR_NOT_PANEL = _("The panel review of this evaluation is over; nothing was changed.")
ERR_PANEL_NAMED = _("The panel of this evaluation is already named; replace a recused evaluator instead.")
ERR_PANEL_SIZE = _("Choose at least %(min)d different evaluators.")
ERR_CONFLICT = _("Choose whether you have a conflict of interest with the provider.")
ERR_ALREADY_DECLARED = _("You have already declared.")
ERR_DECLARE_FIRST = _("Declare your conflicts of interest before scoring.")
ERR_RECUSED = _("You are recused from this panel; your seat has nothing more to do.")
ERR_ALREADY_SUBMITTED = _("Your scores are already submitted.")
ERR_SCORE_MISSING = _("Score every criterion.")
ERR_SCORE_RANGE = _("%(criterion)s: points must be between 0 and %(max)s.")
ERR_NOT_JUSTIFYING = _("None of your scores is waiting for a justification.")
# The shared panel messages, importable from here like the others.
ERR_NOT_EVALUATOR = panels.ERR_NOT_EVALUATOR
ERR_ALREADY_ON_PANEL = panels.ERR_ALREADY_ON_PANEL
ERR_REPLACEMENT = panels.ERR_REPLACEMENT
ERR_JUSTIFY = panels.ERR_JUSTIFY


def _admins(palace_id: int):
    return User.objects.filter(memberships__palace_id=palace_id, memberships__role=Role.ADMIN, is_active=True)


def _lock(evaluation_id: int) -> FinalEvaluation:
    """Lock the contract, then the evaluation: the order every final-evaluation service keeps."""
    contract_id = FinalEvaluation.objects.values_list("contract_id", flat=True).get(pk=evaluation_id)
    list(Contract.objects.select_for_update(no_key=True).filter(pk=contract_id).values_list("pk", flat=True))
    return (
        FinalEvaluation.objects.select_for_update(of=("self",))
        .select_related("contract", "contract__provider")
        .get(pk=evaluation_id)
    )


def _lock_seat(seat: FinalPanelSeat) -> tuple[FinalEvaluation, FinalPanelSeat]:
    """Lock the contract, the evaluation, then the seat."""
    evaluation = _lock(seat.evaluation_id)
    seat = FinalPanelSeat.objects.select_for_update(of=("self",)).select_related("evaluator").get(pk=seat.pk)
    seat.evaluation = evaluation
    return evaluation, seat


def _require_panel(evaluation: FinalEvaluation) -> None:
    if evaluation.state != FinalEvaluation.State.PANEL:
        raise DomainError(ERR_NOT_PANEL)


def _seat_url(seat: FinalPanelSeat) -> str:
    return reverse("evaluations:final_seat", args=[seat.pk])


def _notify_assignment(seat: FinalPanelSeat, evaluation: FinalEvaluation) -> None:
    contract = evaluation.contract
    notify(
        [seat.evaluator],
        subject=_("You are on the final panel review of %(number)s") % {"number": contract.number},
        body=_("Declare any conflict of interest with %(provider)s, then score its term.")
        % {"provider": contract.provider.name},
        url=_seat_url(seat),
    )


def _changed(evaluation: FinalEvaluation) -> None:
    final_changed.send(sender=FinalEvaluation, evaluation=evaluation)


@transaction.atomic
def final_panel_assign(*, actor: User, evaluation: FinalEvaluation, evaluators: Sequence[User]) -> list[FinalPanelSeat]:
    """The administrator names the panel: 3 or more evaluators of the palace, each of whom gets a seat.

    The panel's size is the number named; each evaluator is notified and finds the seat in
    the final evaluation's inbox.
    """
    evaluation = _lock(evaluation.pk)
    if not can_name_final_panel(actor, evaluation):
        raise NotPermitted
    _require_panel(evaluation)
    if evaluation.panel.exists():
        raise DomainError(ERR_PANEL_NAMED)
    distinct = list({u.pk: u for u in evaluators}.values())
    if len(distinct) < MIN_PANEL:
        raise DomainError(ERR_PANEL_SIZE % {"min": MIN_PANEL}, field="evaluators")
    panels.check_evaluators(evaluation.contract.palace_id, distinct)
    seats = [FinalPanelSeat.objects.create(evaluation=evaluation, evaluator=u) for u in distinct]
    before = audit.snapshot(evaluation, ["panel_size"])
    evaluation.panel_size = len(seats)
    evaluation.save(update_fields=["panel_size"])
    audit.record(
        actor=actor,
        action="final_panel.assigned",
        obj=evaluation,
        palace=evaluation.contract.palace_id,
        before=before,
        after={"panel_size": evaluation.panel_size, "panel": [u.get_username() for u in distinct]},
    )
    for seat in seats:
        _notify_assignment(seat, evaluation)
    _changed(evaluation)
    return seats


@transaction.atomic
def final_panel_declare(
    *, actor: User, seat: FinalPanelSeat, conflict: str, note: str = "", now: datetime | None = None
) -> FinalPanelSeat:
    """回避: the evaluator declares a conflict of interest with the provider, or none.

    Any conflict recuses the evaluator, and the palace's administrators are asked to
    appoint a replacement; none opens the scoring sheet.
    """
    evaluation, seat = _lock_seat(seat)
    if not can_work_panel_seat(actor, seat):
        raise NotPermitted
    _require_panel(evaluation)
    if seat.state != FinalPanelSeat.State.ASSIGNED:
        raise DomainError(ERR_ALREADY_DECLARED)
    if conflict not in Declaration.Conflict.values:
        raise DomainError(ERR_CONFLICT, field="conflict")
    recused = conflict != Declaration.Conflict.NONE
    before = audit.snapshot(seat, ["state"])
    if recused:
        seat.recuse()
    else:
        seat.declare_clear()
    seat.conflict, seat.conflict_note = conflict, note.strip()[:500]
    seat.declared_at = now or timezone.now()
    seat.save()
    audit.record(
        actor=actor,
        action="final_panel.recused" if recused else "final_panel.declared",
        obj=seat,
        palace=evaluation.contract.palace_id,
        before=before,
        after={"state": seat.state, "conflict": conflict, "note": seat.conflict_note},
    )
    if recused:
        notify(
            _admins(evaluation.contract.palace_id),
            subject=_("%(name)s recused from the final review of %(number)s; appoint a replacement")
            % {"name": seat.evaluator, "number": evaluation.contract.number},
            url=reverse("evaluations:final_panel_assign", args=[evaluation.pk]),
        )
    _changed(evaluation)
    return seat


@transaction.atomic
def final_panel_replace(*, actor: User, seat: FinalPanelSeat, evaluator: User) -> FinalPanelSeat:
    """The administrator appoints ``evaluator`` in place of a recused seat; the new seat starts afresh."""
    evaluation, seat = _lock_seat(seat)
    if not can_name_final_panel(actor, evaluation):
        raise NotPermitted
    _require_panel(evaluation)
    panels.check_replacement(seat, evaluator, palace_id=evaluation.contract.palace_id, panel=evaluation.panel)
    replacement = FinalPanelSeat.objects.create(evaluation=evaluation, evaluator=evaluator, replaces=seat)
    audit.record(
        actor=actor,
        action="final_panel.replaced",
        obj=replacement,
        palace=evaluation.contract.palace_id,
        before={"evaluator": seat.evaluator.get_username()},
        after={"evaluator": evaluator.get_username()},
    )
    _notify_assignment(replacement, evaluation)
    _changed(evaluation)
    return replacement


def _points(value) -> Decimal | None:
    try:
        points = value if isinstance(value, Decimal) else Decimal(str(value))
    except (InvalidOperation, TypeError, ValueError):
        return None
    return points if points.is_finite() else None


@transaction.atomic
def final_panel_submit(
    *, actor: User, seat: FinalPanelSeat, scores: Mapping[str, tuple[Decimal, str]], now: datetime | None = None
) -> FinalPanelSeat:
    """Submit the seat's whole sheet: points and a comment on every review criterion. Sealed.

    No evaluator sees another's points before the panel compiles. A second submission (a
    double click, a second tab) is refused. The last sheet in flags outliers or compiles.
    """
    evaluation, seat = _lock_seat(seat)
    if not can_work_panel_seat(actor, seat):
        raise NotPermitted
    _require_panel(evaluation)
    State = FinalPanelSeat.State
    if seat.state == State.ASSIGNED:
        raise DomainError(ERR_DECLARE_FIRST)
    if seat.state == State.RECUSED:
        raise DomainError(ERR_RECUSED)
    if seat.state != State.DECLARED:
        raise DomainError(ERR_ALREADY_SUBMITTED)
    if set(scores) != set(ReviewCriterion.values):
        raise DomainError(ERR_SCORE_MISSING, field="scores")
    rows = []
    for criterion in ReviewCriterion:
        raw, comment = scores[criterion.value]
        top = REVIEW_MAXIMA[criterion]
        points = _points(raw)
        if points is None or not (0 <= points <= top):
            raise DomainError(
                ERR_SCORE_RANGE % {"criterion": criterion.label, "max": f"{top.normalize():f}"}, field="scores"
            )
        rows.append(
            FinalPanelScore(
                seat=seat, criterion=criterion.value, points=scoring.q(points), comment=(comment or "").strip()[:1000]
            )
        )
    FinalPanelScore.objects.bulk_create(rows)
    before = audit.snapshot(seat, ["state"])
    seat.submit()
    seat.submitted_at = now or timezone.now()
    seat.save()
    audit.record(
        actor=actor,
        action="final_panel.submitted",
        obj=seat,
        palace=evaluation.contract.palace_id,
        before=before,
        after={"state": seat.state, "scores": {r.criterion: r.points for r in rows}},
    )
    _changed(_after_submission(evaluation, now))
    return seat


@transaction.atomic
def final_panel_justify(
    *, actor: User, seat: FinalPanelSeat, justifications: Mapping[int, str], now: datetime | None = None
) -> FinalPanelSeat:
    """The evaluator explains each score flagged as an outlier (keyed by score id); the sheet counts again."""
    evaluation, seat = _lock_seat(seat)
    if not can_work_panel_seat(actor, seat):
        raise NotPermitted
    _require_panel(evaluation)
    if seat.state != FinalPanelSeat.State.JUSTIFYING:
        raise DomainError(ERR_NOT_JUSTIFYING)
    written = panels.record_justifications(seat, dict(justifications))
    before = audit.snapshot(seat, ["state"])
    seat.submit()
    seat.save()
    audit.record(
        actor=actor,
        action="final_panel.justified",
        obj=seat,
        palace=evaluation.contract.palace_id,
        before=before,
        after={"state": seat.state, "justifications": written},
    )
    _changed(_after_submission(evaluation, now))
    return seat


def _after_submission(evaluation: FinalEvaluation, now: datetime | None = None) -> FinalEvaluation:
    """When the whole panel is in, flag outliers; compile when none is unexplained. Returns the evaluation as now."""
    seats = list(panels.active_seats(evaluation.panel).select_related("evaluator"))
    if not panels.panel_in(seats, evaluation.panel_size):
        return evaluation
    scores = list(FinalPanelScore.objects.filter(seat__in=seats))
    to_justify = panels.mark_outliers(
        scores,
        seat_of=lambda s: s.seat_id,
        cell_of=lambda s: s.criterion,
        max_points_of=lambda s: REVIEW_MAXIMA[s.criterion],
    )
    if to_justify:
        panels.ask_justifications(
            [s for s in seats if s.pk in to_justify],
            action="final_panel.outliers_flagged",
            palace_id=evaluation.contract.palace_id,
            subject=_("Justify your outlier scores for the final review of %(number)s")
            % {"number": evaluation.contract.number},
            url_of=_seat_url,
        )
        return evaluation
    return _compile(evaluation, scores, now)


def _compile(evaluation: FinalEvaluation, scores: Sequence[FinalPanelScore], now: datetime | None) -> FinalEvaluation:
    """Write ``panel_value`` (the sum of the criterion means, out of 100) and hand over to the rating."""
    means = panel_means(scores)
    evaluation.panel_value = sum(means.values(), Decimal(0))
    evaluation.save(update_fields=["panel_value"])
    audit.record(
        actor=None,
        action="final_panel.compiled",
        obj=evaluation,
        palace=evaluation.contract.palace_id,
        after={"panel_value": evaluation.panel_value, "means": means},
    )
    return final_panel_compiled(evaluation=evaluation, now=now)


__all__ = [
    "final_panel_assign",
    "final_panel_declare",
    "final_panel_justify",
    "final_panel_replace",
    "final_panel_submit",
]
