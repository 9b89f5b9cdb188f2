"""Final evaluation (终期评价, DOMAIN.md §5): opened, proposed, signed off, made final.

The scheduler opens it 30 days before the contract ends (``final_evaluations_open_due``)
and the contract moves to "in final evaluation". Once the panel review is compiled
(``final.services.panel``), ``final_panel_compiled`` works out the other three components
from the term's own records and proposes a rating, which the provider may appeal
(``final.services.appeal``). Then an administrator signs it off; a 差 ends a partnership,
so a second administrator must confirm it (``final_confirm``). At ``final`` the rating is
fixed, the assessment report is issued, and the outcome follows: a 差 exits at once
(``final_rated_poor``, heard by the exit), and renewal or re-tender come at the end of
the term (``final.services.renewal``).

Locks are taken in one order everywhere: contract, then evaluation, then appeal.
"""

from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from contracts.models import Contract
from contracts.services import contract_begin_final
from core import audit
from core.errors import DomainError, NotPermitted
from core.models import Role, User
from core.notify import notify
from core.permissions import has_role
from core.scheduler import claim
from core.workdays import add_working_days
from evaluations.final.documents import issue_assessment_report
from evaluations.final.models import Appeal, FinalEvaluation, FinalRating, FinalWeights
from evaluations.final.permissions import RENEWABLE_RATINGS, is_final_admin
from evaluations.final.scoring import (
    DEFAULT_FINAL_WEIGHTS,
    PANEL,
    PASS,
    PERIOD_SCORES,
    POOR,
    final_rating,
)
from evaluations.final.selectors import (
    breakdown_text,
    evaluation_points,
    final_breakdown,
    final_standing,
    term_components,
)
from evaluations.final.signals import final_changed, final_rated_poor
from evaluations.realtime.scoring import KPI, SATISFACTION

OPENS_DAYS_BEFORE_END = 30
APPEAL_WORKING_DAYS = 5
OPEN_FROM = (Contract.State.ACTIVE, Contract.State.RECTIFICATION)
State = FinalEvaluation.State

ERR_ALREADY_OPEN = _("The final evaluation of this contract is already open.")
ERR_NOT_OPENABLE = _("A final evaluation opens only for a contract in force (active or under rectification).")
ERR_TOO_EARLY = _("The final evaluation opens 30 days before the contract ends, on %(date)s.")
ERR_NOT_IN_PANEL = _("This final evaluation is not waiting for its panel review.")
ERR_NO_PANEL_VALUE = _("The panel review has no points yet.")
ERR_WINDOW_OPEN = _("The provider may appeal until %(date)s; the rating can be signed off after that.")
ERR_APPEAL_PENDING = _("The provider's appeal must be decided before the rating is signed off.")
ERR_AWAITING_CONFIRMATION = _(
    "%(name)s signed off this rating on %(date)s; it awaits a second administrator's confirmation."
)
ERR_ALREADY_FINAL = _("This final rating is already final.")
ERR_NOT_SIGN_OFF = _("This final evaluation is not waiting for sign-off.")
ERR_NOT_CONFIRMING = _("This final evaluation is not waiting for a second confirmation.")
ERR_SAME_ADMIN = _(
    "You signed off this rating of 差; a different administrator must confirm it, because it ends the partnership."
)

__all__ = [
    "APPEAL_WORKING_DAYS",
    "ERR_ALREADY_FINAL",
    "ERR_ALREADY_OPEN",
    "ERR_APPEAL_PENDING",
    "ERR_AWAITING_CONFIRMATION",
    "ERR_NOT_CONFIRMING",
    "ERR_NOT_IN_PANEL",
    "ERR_NOT_OPENABLE",
    "ERR_NOT_SIGN_OFF",
    "ERR_SAME_ADMIN",
    "ERR_TOO_EARLY",
    "ERR_WINDOW_OPEN",
    "OPENS_DAYS_BEFORE_END",
    "final_confirm",
    "final_evaluation_open",
    "final_evaluations_open_due",
    "final_panel_compiled",
    "final_rating_of",
    "final_sign_off",
    "final_standing",
    "opens_on",
]


# --- helpers ---------------------------------------------------------------------------------------


def _admins(palace_id: int):
    return User.objects.filter(
        memberships__palace_id=palace_id, memberships__role=Role.ADMIN, is_active=True
    ).distinct()


def _provider_users(contract: Contract):
    return User.objects.filter(provider_link__provider_id=contract.provider_id, is_active=True)


def _page(evaluation: FinalEvaluation) -> str:
    return reverse("evaluations:final_detail", args=[evaluation.pk])


def _lock(evaluation: FinalEvaluation) -> tuple[FinalEvaluation, Contract]:
    """The contract, then the evaluation, locked for this transaction (the one order everywhere)."""
    contract_id = FinalEvaluation.objects.filter(pk=evaluation.pk).values_list("contract_id", flat=True).get()
    # OF the contract only: the joined palace stays unlocked, so the report issued on another
    # sign-off's commit (its rows refer to the palace) never waits for this transaction.
    contract = (
        Contract.objects.select_for_update(no_key=True, of=("self",))
        .select_related("palace", "provider", "project")
        .get(pk=contract_id)
    )
    evaluation = FinalEvaluation.objects.select_for_update().get(pk=evaluation.pk)
    evaluation.contract = contract
    return evaluation, contract


def _appeal_of(evaluation: FinalEvaluation) -> Appeal | None:
    return Appeal.objects.filter(evaluation_id=evaluation.pk).first()


def _label(rating: str) -> str:
    return str(FinalRating(rating).label) if rating else ""


def _changed(evaluation: FinalEvaluation) -> None:
    final_changed.send(sender=FinalEvaluation, evaluation=evaluation)


def opens_on(contract: Contract):
    """The day the contract's final evaluation opens: 30 days before its end date."""
    return contract.ends_on - timedelta(days=OPENS_DAYS_BEFORE_END)


def final_rating_of(contract: Contract) -> str | None:
    """The contract's final rating once final, else None (registered with contracts.conditions).

    No query when the caller has loaded ``contract.final_evaluation`` already.
    """
    if Contract.final_evaluation.is_cached(contract):
        evaluation = getattr(contract, "final_evaluation", None)
        return evaluation.rating or None if evaluation is not None and evaluation.state == State.FINAL else None
    rating = (
        FinalEvaluation.objects.filter(contract_id=contract.pk, state=State.FINAL)
        .values_list("rating", flat=True)
        .first()
    )
    return rating or None


# --- opening ---------------------------------------------------------------------------------------


def _weights(palace_id: int) -> dict[str, int]:
    row = FinalWeights.objects.filter(palace_id=palace_id).first()
    if row is None:
        return dict(DEFAULT_FINAL_WEIGHTS)
    return {PERIOD_SCORES: row.period_scores, KPI: row.kpi, SATISFACTION: row.satisfaction, PANEL: row.panel}


@transaction.atomic
def final_evaluation_open(
    *, contract: Contract, now: datetime | None = None, actor: User | None = None
) -> FinalEvaluation:
    """Open the contract's final evaluation: its panel review is to be assigned.

    Precondition: the contract is active or under rectification, ends within 30 days and
    has no final evaluation. The palace's weights are copied onto the evaluation, so a
    later change does not rewrite it; the contract moves to "in final evaluation".
    ``actor`` is None when the scheduler opens it, else an administrator of the palace.
    """
    now = now or timezone.now()
    contract = (
        Contract.objects.select_for_update(no_key=True, of=("self",))
        .select_related("palace", "provider")
        .get(pk=contract.pk)
    )
    if actor is not None and not has_role(actor, contract.palace_id, Role.ADMIN):
        raise NotPermitted
    if FinalEvaluation.objects.filter(contract=contract).exists():
        raise DomainError(ERR_ALREADY_OPEN)
    if contract.state not in OPEN_FROM or contract.ends_on is None:
        raise DomainError(ERR_NOT_OPENABLE)
    if timezone.localdate(now) < opens_on(contract):
        raise DomainError(ERR_TOO_EARLY % {"date": f"{opens_on(contract):%Y-%m-%d}"})
    weights = _weights(contract.palace_id)
    evaluation = FinalEvaluation.objects.create(
        contract=contract,
        opened_at=now,
        weight_period_scores=weights[PERIOD_SCORES],
        weight_kpi=weights[KPI],
        weight_satisfaction=weights[SATISFACTION],
        weight_panel=weights[PANEL],
    )
    before = audit.snapshot(contract, ["state"])
    contract_begin_final(actor=actor, contract=contract)
    audit.record(
        actor=actor,
        action="final_evaluation.opened",
        obj=evaluation,
        palace=contract.palace_id,
        before={"contract_state": before["state"]},
        after={
            "contract": contract.number,
            "contract_state": contract.state,
            "ends_on": contract.ends_on,
            "weights": weights,
        },
    )
    subject = _("The final evaluation of contract %(number)s has opened; the term ends on %(date)s") % {
        "number": contract.number,
        "date": f"{contract.ends_on:%Y-%m-%d}",
    }
    url = _page(evaluation)
    notify(
        _admins(contract.palace_id),
        subject=subject,
        body=_("Assign the panel review of at least three evaluators."),
        url=url,
    )
    notify(
        _provider_users(contract),
        subject=subject,
        body=_(
            "The palace's panel reviews the term; you will see the proposed rating and its breakdown, "
            "and may appeal it within 5 working days."
        ),
        url=url,
    )
    _changed(evaluation)
    return evaluation


def final_evaluations_open_due(now: datetime) -> int:
    """Tick: open the final evaluation of every contract in force that ends within 30 days and has none.

    Each contract in its own transaction, claimed so that an overlapping tick skips it.
    """
    today = timezone.localdate(now)
    due = Contract.objects.filter(
        state__in=OPEN_FROM,
        ends_on__isnull=False,
        ends_on__lte=today + timedelta(days=OPENS_DAYS_BEFORE_END),
        final_evaluation__isnull=True,
    )
    opened = 0
    for pk in due.order_by("ends_on", "pk").values_list("pk", flat=True):
        with transaction.atomic():
            contract = claim(due, pk)
            if contract is None:
                continue
            final_evaluation_open(contract=contract, now=now)
            opened += 1
    return opened


# --- the proposal ----------------------------------------------------------------------------------


@transaction.atomic
def final_panel_compiled(*, evaluation: FinalEvaluation, now: datetime | None = None) -> FinalEvaluation:
    """Propose the rating once the panel review is compiled (its ``panel_value`` saved by the panel service).

    Works out the other components from the term's records, the points, the deduction and
    the rating; opens the appeal window of 5 working days (the deadline day included) and
    tells the provider the proposed rating with its breakdown.
    """
    now = now or timezone.now()
    evaluation, contract = _lock(evaluation)
    if evaluation.state != State.PANEL:
        raise DomainError(ERR_NOT_IN_PANEL)
    if evaluation.panel_value is None:
        raise DomainError(ERR_NO_PANEL_VALUE)
    found = term_components(contract)
    evaluation.period_scores_value = found[PERIOD_SCORES]
    evaluation.kpi_value = found[KPI]
    evaluation.satisfaction_value = found[SATISFACTION]
    evaluation.failed_orders, evaluation.red_lines = found["failed_orders"], found["red_lines"]
    result = evaluation_points(evaluation)
    evaluation.period_scores_points = result.points[PERIOD_SCORES]
    evaluation.kpi_points = result.points[KPI]
    evaluation.satisfaction_points = result.points[SATISFACTION]
    evaluation.panel_points = result.points[PANEL]
    evaluation.deduction = result.deduction
    evaluation.proposed_total = result.total
    evaluation.proposed_rating = final_rating(result.total, evaluation.red_lines)
    evaluation.proposed_at = now
    evaluation.appeal_deadline = add_working_days(timezone.localdate(now), APPEAL_WORKING_DAYS)
    evaluation.propose()
    evaluation.save()
    audit.record(
        actor=None,
        action="final_evaluation.proposed",
        obj=evaluation,
        palace=contract.palace_id,
        after={
            "values": result.values,
            "weights": result.weights,
            "points": result.points,
            "subtotal": result.subtotal,
            "failed_orders": evaluation.failed_orders,
            "deduction": result.deduction,
            "red_lines": evaluation.red_lines,
            "total": result.total,
            "rating": evaluation.proposed_rating,
            "appeal_deadline": evaluation.appeal_deadline,
        },
    )
    with translation.override(settings.LANGUAGE_CODE):
        body = breakdown_text(final_breakdown(evaluation))
        subject = str(
            _(
                "Proposed final rating of contract %(number)s: %(rating)s, %(total)s points; you may appeal "
                "until %(date)s"
            )
            % {
                "number": contract.number,
                "rating": _label(evaluation.proposed_rating),
                "total": f"{result.total:.2f}",
                "date": f"{evaluation.appeal_deadline:%Y-%m-%d}",
            }
        )
    notify(_provider_users(contract), subject=subject, body=body, url=_page(evaluation))
    _changed(evaluation)
    return evaluation


# --- the appeal ------------------------------------------------------------------------------------


# --- sign-off, confirmation and the outcome --------------------------------------------------------


@transaction.atomic
def final_sign_off(*, actor: User, evaluation: FinalEvaluation, now: datetime | None = None) -> FinalEvaluation:
    """An administrator signs the rating off: final at once, or, for a 差, awaiting a second administrator.

    A proposal whose appeal window has passed without an appeal is signed off directly,
    without waiting for the scheduler to close the window.
    """
    now = now or timezone.now()
    evaluation, contract = _lock(evaluation)
    if not is_final_admin(actor, evaluation):
        raise NotPermitted
    _check_sign_off_state(evaluation, now)
    if evaluation.state == State.PROPOSED:
        evaluation.ready_for_sign_off()
    _count_late_red_lines(evaluation, contract, actor)
    total, rating = final_standing(evaluation)
    evaluation.signed_off_by, evaluation.signed_off_at = actor, now
    if rating != POOR:
        return _finalise(evaluation, contract, actor, now, total, rating)
    evaluation.await_confirmation()
    evaluation.save()
    audit.record(
        actor=actor,
        action="final_evaluation.signed_off",
        obj=evaluation,
        palace=contract.palace_id,
        after={"total": total, "rating": rating, "state": evaluation.state},
    )
    others = _admins(contract.palace_id).exclude(pk=actor.pk)
    notify(
        others,
        subject=_("Confirm the final rating 差 of contract %(number)s, signed off by %(name)s: it ends the partnership")
        % {"number": contract.number, "name": actor.get_full_name() or actor.get_username()},
        url=_page(evaluation),
    )
    _changed(evaluation)
    return evaluation


def _count_late_red_lines(evaluation: FinalEvaluation, contract: Contract, actor: User) -> None:
    """A red line recorded after the proposal (the term runs on) still caps the rating at 差.

    The proposal counted the term's red lines when the panel compiled; sign-off counts them
    again, so no red line of the term escapes the cap. The change is audited and the
    breakdown, page and report then show the cap.
    """
    count = contract.red_lines.count()
    if count == evaluation.red_lines:
        return
    before = {"red_lines": evaluation.red_lines, "proposed_rating": evaluation.proposed_rating}
    evaluation.red_lines = count
    evaluation.proposed_rating = final_rating(evaluation.proposed_total, count)
    evaluation.save(update_fields=["red_lines", "proposed_rating"])
    audit.record(
        actor=actor,
        action="final_evaluation.red_lines_recounted",
        obj=evaluation,
        palace=contract.palace_id,
        before=before,
        after={"red_lines": count, "proposed_rating": evaluation.proposed_rating},
    )


def _check_sign_off_state(evaluation: FinalEvaluation, now: datetime) -> None:
    if evaluation.state == State.SIGN_OFF:
        return
    if evaluation.state == State.PROPOSED:
        if timezone.localdate(now) <= evaluation.appeal_deadline:
            raise DomainError(ERR_WINDOW_OPEN % {"date": f"{evaluation.appeal_deadline:%Y-%m-%d}"})
        return
    if evaluation.state == State.APPEALED:
        raise DomainError(ERR_APPEAL_PENDING)
    if evaluation.state == State.CONFIRMING:
        signer = evaluation.signed_off_by
        raise DomainError(
            ERR_AWAITING_CONFIRMATION
            % {
                "name": signer.get_full_name() or signer.get_username(),
                "date": f"{timezone.localdate(evaluation.signed_off_at):%Y-%m-%d}",
            }
        )
    if evaluation.state == State.FINAL:
        raise DomainError(ERR_ALREADY_FINAL)
    raise DomainError(ERR_NOT_SIGN_OFF)


@transaction.atomic
def final_confirm(*, actor: User, evaluation: FinalEvaluation, now: datetime | None = None) -> FinalEvaluation:
    """A second administrator, not the one who signed it off, confirms a 差: it is final, and the provider exits."""
    now = now or timezone.now()
    evaluation, contract = _lock(evaluation)
    if not is_final_admin(actor, evaluation):
        raise NotPermitted
    if evaluation.state == State.FINAL:
        raise DomainError(ERR_ALREADY_FINAL)
    if evaluation.state != State.CONFIRMING:
        raise DomainError(ERR_NOT_CONFIRMING)
    if evaluation.signed_off_by_id == actor.pk:
        raise DomainError(ERR_SAME_ADMIN)
    evaluation.confirmed_by, evaluation.confirmed_at = actor, now
    total, rating = final_standing(evaluation)
    return _finalise(evaluation, contract, actor, now, total, rating)


OUTCOMES = {PASS: FinalEvaluation.Outcome.RETENDER, POOR: FinalEvaluation.Outcome.EXITED}


def _finalise(
    evaluation: FinalEvaluation, contract: Contract, actor: User, now: datetime, total: Decimal, rating: str
) -> FinalEvaluation:
    """The rating is final: fixed, reported (the assessment PDF, on commit), and its outcome set.

    A 合格 is to be re-tendered at the end of the term; a 差 exits now, in this transaction.
    """
    evaluation.finalise()
    evaluation.total, evaluation.rating, evaluation.finalised_at = total, rating, now
    outcome = OUTCOMES.get(rating, FinalEvaluation.Outcome.PENDING)
    if outcome:
        evaluation.outcome, evaluation.outcome_at, evaluation.outcome_by = outcome, now, actor
    evaluation.save()
    audit.record(
        actor=actor,
        action="final_evaluation.finalised",
        obj=evaluation,
        palace=contract.palace_id,
        after={
            "total": total,
            "rating": rating,
            "outcome": evaluation.outcome,
            "signed_off_by": evaluation.signed_off_by_id,
            "confirmed_by": evaluation.confirmed_by_id,
        },
    )
    if rating == POOR:
        _exit(evaluation, contract, actor, now, total)
    transaction.on_commit(lambda: _issue_report(evaluation, actor), robust=True)
    terms = {"number": contract.number, "rating": _label(rating), "total": f"{total:.2f}"}
    subject = _("Final rating of contract %(number)s: %(rating)s, %(total)s points") % terms
    notify(_provider_users(contract), subject=subject, body=_outcome_text(evaluation), url=_page(evaluation))
    notify(_admins(contract.palace_id), subject=subject, body=_outcome_text(evaluation), url=_page(evaluation))
    _changed(evaluation)
    return evaluation


def _outcome_text(evaluation: FinalEvaluation) -> str:
    if evaluation.rating in RENEWABLE_RATINGS:
        return str(_("The contract may be renewed once without re-tender."))
    if evaluation.rating == PASS:
        return str(_("The service will be re-tendered when the term ends."))
    return str(_("The partnership ends (退出合作): the contract is terminated and the handover begins."))


def _exit(evaluation: FinalEvaluation, contract: Contract, actor: User, now: datetime, total: Decimal) -> None:
    with translation.override(settings.LANGUAGE_CODE):
        reason = str(
            _("Final evaluation of contract %(number)s rated 差 (%(total)s points), confirmed by two administrators.")
            % {"number": contract.number, "total": f"{total:.2f}"}
        )
    # The exit (evaluations.exit, above this package) ends the partnership in this transaction.
    final_rated_poor.send(sender=FinalEvaluation, evaluation=evaluation, reason=reason, actor=actor, now=now)


def _issue_report(evaluation: FinalEvaluation, actor: User) -> None:
    issue_assessment_report(evaluation=evaluation, actor=actor)
