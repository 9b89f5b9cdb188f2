"""Final evaluations for tests, brought to each state through the services, as users get them there.

A contract runs its term month by month through the real services (the provider's reports
with activities, workers' ratings from the QR links, the palace's review scores), the
scheduler's job opens the final evaluation 30 days before the end, a panel of three
evaluators declares and scores, the window passes, and administrators sign off.

    ev = proposed_evaluation(palace=wenshang, provider=p, provider_user=u, panel_points=Decimal("90"))
    ev = final_evaluation(palace=wenshang, provider=p, provider_user=u, term=POOR_TERM)   # 差, confirmed

The default term (starting 2026-01-01, 12 months) ends on 2026-12-31; its evaluation opens
on 2026-12-01 (``OPENED``), is proposed on 2026-12-08 (``PROPOSED``), and its appeal window
runs to 2026-12-15 inclusive; ``after_window(ev)`` is the next morning.

With the default panel review of 90, ``EXCELLENT_TERM`` rates 优秀 (91.00 points) and
``GOOD_TERM`` (the default) 良好 (89.33); with 70, ``PASS_TERM`` rates 合格 (79.25); with 20,
``POOR_TERM`` rates 差 (43.45), with no month below 60 and so no rectification order: only
weak delivery, poor ratings and a poor panel review. ``term=None`` records nothing: every
component but the KPI (then 0) and the panel has no input, and its weight is shared out.
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

import time_machine
from django.utils import timezone

from contracts import services as contract_services
from contracts.models import Contract
from core.models import Palace, Role, User
from evaluations import services
from evaluations.final.services.evaluation import opens_on
from evaluations.models import REVIEW_MAXIMA, FinalEvaluation, FinalPanelSeat
from procurement.models import Declaration, Provider
from tests.contract_builders import active_contract
from tests.factories import staff

OPENED = date(2026, 12, 1)
PROPOSED = date(2026, 12, 8)


def at(day: date, hour: int = 10) -> datetime:
    """That local day at ``hour`` o'clock."""
    return timezone.make_aware(datetime(day.year, day.month, day.day, hour))


@dataclass(frozen=True)
class Term:
    """How the provider did, every month of the term until the evaluation opens."""

    report_score: Decimal = Decimal("85")  # the palace's review score of each monthly report
    sessions: int = 2  # training sessions a month (the project's target: 24 a year)
    participants: int = 25  # per session (the target: 600 participant-visits a year)
    stars: tuple[int, ...] = (5, 4, 4)  # the workers' ratings of each session


EXCELLENT_TERM = Term(sessions=3)
GOOD_TERM = Term()
PASS_TERM = Term(report_score=Decimal("75"), sessions=2, participants=25, stars=(3, 3, 4))
POOR_TERM = Term(report_score=Decimal("70"), sessions=1, participants=20, stars=(1, 1, 2))


def _admin_of(palace: Palace) -> User:
    user = User.objects.filter(memberships__palace=palace, memberships__role=Role.ADMIN).order_by("pk").first()
    return user or staff(palace, Role.ADMIN)


def record_term(
    contract: Contract, *, provider_user: User, reviewer: User, term: Term = GOOD_TERM, until: date | None = None
) -> None:
    """Every report period that ends before ``until`` (default: the day the evaluation opens), through the services.

    Each session is rated by ``len(term.stars)`` workers on the evening it took place.
    """
    until = until or opens_on(contract)
    for report in contract.reports.order_by("sequence"):
        if report.period_end >= until:
            break
        days = [min(report.period_start + timedelta(days=9 + 7 * n), report.period_end) for n in range(term.sessions)]
        activities = [
            contract_services.ActivityInput(
                day, f"职工技能培训第{report.sequence}-{n + 1}期", "training", "职工培训教室", term.participants
            )
            for n, day in enumerate(days)
        ]
        contract_services.report_save(
            actor=provider_user, report=report, narrative=f"{report.period_start:%m}月服务小结", activities=activities
        )
        for activity in report.activities.order_by("date", "pk"):
            link = services.rating_link_for(activity)
            for k, stars in enumerate(term.stars):
                services.rating_submit(
                    link=link, stars=stars, comment="", device_id=f"device-{activity.pk}-{k}", now=at(activity.date, 20)
                )
        submitted = at(report.period_end + timedelta(days=1))
        contract_services.report_submit(actor=provider_user, report=report, now=submitted)
        contract_services.report_review(
            actor=reviewer, report=report, accept=True, score=term.report_score, now=submitted + timedelta(hours=2)
        )


def term_contract(
    *,
    palace: Palace,
    provider: Provider,
    provider_user: User,
    admin: User | None = None,
    term: Term | None = GOOD_TERM,
    **contract_kwargs,
) -> Contract:
    """A contract in force whose term, up to the opening of its final evaluation, is recorded."""
    admin = admin or _admin_of(palace)
    contract = active_contract(
        palace=palace, provider=provider, provider_user=provider_user, admin=admin, **contract_kwargs
    )
    if term is not None:
        record_term(contract, provider_user=provider_user, reviewer=admin, term=term)
    return Contract.objects.get(pk=contract.pk)


def opened_evaluation(
    *,
    palace: Palace,
    provider: Provider,
    provider_user: User,
    admin: User | None = None,
    term: Term | None = GOOD_TERM,
    contract: Contract | None = None,
    **contract_kwargs,
) -> FinalEvaluation:
    """Opened by the scheduler's job on the day 30 days before the end (OPENED for the default term)."""
    contract = contract or term_contract(
        palace=palace, provider=provider, provider_user=provider_user, admin=admin, term=term, **contract_kwargs
    )
    with time_machine.travel(at(opens_on(contract), 2), tick=False):
        services.final_evaluations_open_due(timezone.now())
    return FinalEvaluation.objects.select_related("contract").get(contract=contract)


def evaluators_of(palace: Palace, n: int = 3) -> list[User]:
    found = list(User.objects.filter(memberships__palace=palace, memberships__role=Role.EVALUATOR).order_by("pk")[:n])
    return found + [staff(palace, Role.EVALUATOR) for _ in range(n - len(found))]


def panel_sheet(panel_points: Decimal) -> dict[str, tuple[Decimal, str]]:
    """One evaluator's sheet worth ``panel_points`` of 100: each criterion the same share of its maximum."""
    share = Decimal(panel_points) / 100
    return {
        criterion: ((top * share).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP), "评审意见")
        for criterion, top in REVIEW_MAXIMA.items()
    }


def panel_assigned(
    evaluation: FinalEvaluation,
    *,
    admin: User | None = None,
    evaluators: list[User] | None = None,
    declare: bool = True,
) -> list[FinalPanelSeat]:
    """The administrator names the panel (three evaluators of the palace) and each declares no conflict."""
    palace = evaluation.contract.palace
    admin = admin or _admin_of(palace)
    evaluators = evaluators or evaluators_of(palace)
    with time_machine.travel(at(evaluation.opened_at.date() + timedelta(days=1)), tick=False):
        seats = services.final_panel_assign(actor=admin, evaluation=evaluation, evaluators=evaluators)
        if declare:
            seats = [
                services.final_panel_declare(actor=s.evaluator, seat=s, conflict=Declaration.Conflict.NONE)
                for s in seats
            ]
    return seats


def proposed_evaluation(
    *,
    panel_points: Decimal | list[Decimal] = Decimal("90"),
    evaluation: FinalEvaluation | None = None,
    proposed_on: date | None = None,
    **opened_kwargs,
) -> FinalEvaluation:
    """The panel scores (each seat ``panel_points`` of 100, or one value per seat) and the rating is proposed.

    Proposed on ``proposed_on`` (default: 7 days after opening, PROPOSED for the default term).
    """
    evaluation = evaluation or opened_evaluation(**opened_kwargs)
    seats = panel_assigned(evaluation, admin=opened_kwargs.get("admin"))
    points = panel_points if isinstance(panel_points, list) else [panel_points] * len(seats)
    proposed_on = proposed_on or evaluation.opened_at.astimezone(timezone.get_current_timezone()).date() + timedelta(
        days=7
    )
    with time_machine.travel(at(proposed_on), tick=False):
        for seat, value in zip(seats, points, strict=True):
            services.final_panel_submit(actor=seat.evaluator, seat=seat, scores=panel_sheet(value))
    return FinalEvaluation.objects.select_related("contract").get(pk=evaluation.pk)


def after_window(evaluation: FinalEvaluation, hour: int = 9) -> datetime:
    """The morning after the appeal window's last day."""
    return at(evaluation.appeal_deadline + timedelta(days=1), hour)


def final_evaluation(
    *,
    admin: User | None = None,
    second_admin: User | None = None,
    evaluation: FinalEvaluation | None = None,
    **proposed_kwargs,
) -> FinalEvaluation:
    """No appeal: the window closes (the scheduler's job), an administrator signs off, and a 差 is confirmed
    by a second administrator. Returns the evaluation, final."""
    evaluation = evaluation or proposed_evaluation(admin=admin, **proposed_kwargs)
    palace = evaluation.contract.palace
    admin = admin or _admin_of(palace)
    when = after_window(evaluation)
    services.appeal_windows_close(when)
    evaluation = services.final_sign_off(actor=admin, evaluation=evaluation, now=when)
    if evaluation.state == FinalEvaluation.State.CONFIRMING:
        second_admin = second_admin or staff(palace, Role.ADMIN)
        evaluation = services.final_confirm(actor=second_admin, evaluation=evaluation, now=when + timedelta(hours=1))
    return FinalEvaluation.objects.select_related("contract").get(pk=evaluation.pk)
