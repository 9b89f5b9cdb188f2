"""The running monthly score of a contract (DOMAIN.md §4), kept current by every input.

Each input service calls ``period_apply`` inside its own transaction with what it adds
(an inspection's score, a rating, a report's score, a red line). The month's row is
locked, its sums and counts move by that much, and the score is worked out again from
those sums: O(1) per input, whatever the length of the term. ``period_recompute``
rebuilds the same row from the sources, for checking.

``period_apply`` is three steps: ``locked_period`` (the month's row locked, created for
the month's first input, with the palace's weights), ``period_change`` (the new sums,
score and standing, written in one UPDATE) and ``period_settle`` (a closed month's
summary again, a failing month's order).

When the month fails (below 60, or a red line) a rectification order is issued in the
same transaction: once per month for the score, once per red line.
"""

from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Avg, Count, Sum
from django.utils import timezone

from contracts.models import Contract, ServiceReport
from contracts.selectors import kpi_progress
from evaluations.realtime import scoring
from evaluations.realtime.models import Inspection, PeriodScore, Rating, RedLine
from evaluations.realtime.months import month_end, month_of, weights_for
from evaluations.realtime.signals import closed_month_changed, month_failed

# A failing month issues an order only before the final evaluation opens: in the last 30 days
# there is no time left to put it right, and the term's record goes to the final evaluation.
ORDERS_ISSUED_IN = (Contract.State.ACTIVE, Contract.State.RECTIFICATION)


def period_apply(
    *,
    contract: Contract,
    day: date,
    inspection: Decimal | None = None,
    report: Decimal | None = None,
    stars: int | None = None,
    red_line: RedLine | None = None,
    kpi: Decimal | None = None,
    actor=None,
    now=None,
) -> PeriodScore:
    """Add one input to the month of ``day`` and score the month again; issue an order if it fails.

    Must run inside the caller's transaction (the caller has written the input itself and
    recorded its audit event, so the audit head is held: see ``locked_period``).
    """
    period = locked_period(contract, day)
    result = period_change(period, inspection=inspection, report=report, stars=stars, red_line=red_line, kpi=kpi)
    period_settle(period, result, red_line=red_line, actor=actor, now=now)
    return period


def locked_period(contract: Contract, day: date) -> PeriodScore:
    """The month's row, created if need be, locked for this transaction, with the palace's weights.

    Every caller has taken the audit lock first (its input's event is recorded before the
    month moves), and weights_update changes the weights and rescores under that lock too:
    the weights read here (``period.weights``) are the ones in force when the caller's
    transaction commits.
    """
    month = month_of(day)
    # The row alone (get() drops the model's ordering, which would join and lock the contract too).
    rows = PeriodScore.objects.select_for_update(of=("self",)).filter(contract=contract, month=month)
    try:
        period = rows.get()
    except PeriodScore.DoesNotExist:  # the month's first input (unless a concurrent one inserts the row first)
        PeriodScore.objects.bulk_create([PeriodScore(contract=contract, month=month)], ignore_conflicts=True)
        period = rows.get()
    period.contract = contract  # the caller's row: not fetched again
    period.weights = weights_for(contract.palace_id)
    return period


def period_change(
    period: PeriodScore,
    *,
    inspection: Decimal | None = None,
    report: Decimal | None = None,
    stars: int | None = None,
    red_line: RedLine | None = None,
    kpi: Decimal | None = None,
) -> scoring.PeriodResult:
    """One input added to the locked month: its new sums, score and standing, saved in one UPDATE."""
    if inspection is not None:
        period.inspections_total = _cents(period.inspections_total + inspection)
        period.inspections_count += 1
    if report is not None:
        period.reports_total = _cents(period.reports_total + report)
        period.reports_count += 1
    if stars is not None:
        period.ratings_total += int(scoring.stars_to_points(stars))
        period.ratings_count += 1
    if red_line is not None:
        period.red_lines += 1
    if kpi is not None:
        period.kpi = _cents(kpi)
    result = scoring.period_score(period.inputs(), period.weights)
    period.score, period.standing = result.score, result.standing
    period.save(update_fields=_WRITTEN)  # updated_at: auto_now
    return result


def period_settle(
    period: PeriodScore, result: scoring.PeriodResult, *, red_line: RedLine | None = None, actor=None, now=None
) -> None:
    """What follows the month's write: a closed month's summary issued again, a failing month's order.

    Both are the business of the packages above (standing, rectification): they hear it through
    ``realtime.signals``, inside this transaction.
    """
    if period.closed:
        # A late input (a report reviewed after the month's summary was issued) changes a closed
        # month: its summary is issued again, as the next version, so the PDF never disagrees.
        closed_month_changed.send(sender=PeriodScore, period=period)
    if result.failed and period.contract.state in ORDERS_ISSUED_IN:
        month_failed.send(sender=PeriodScore, period=period, result=result, red_line=red_line, actor=actor, now=now)


def kpi_indicator(contract: Contract, as_of: date) -> Decimal | None:
    """KPI progress as one 0–100 figure: the mean of the measured targets' delivery against pro-rata, capped."""
    rows = [r for r in kpi_progress(contract, today=as_of) if r.measured and r.due_to_date]
    if not rows:
        return None
    shares = [min(Decimal(100), r.delivered * 100 / r.due_to_date) for r in rows]
    return (sum(shares, Decimal(0)) / len(shares)).quantize(scoring.CENT, rounding=ROUND_HALF_UP)


def _cents(value) -> Decimal:
    """As the row's numeric(…, 2) columns store it, so the score is worked out on what is stored."""
    return Decimal(value).quantize(scoring.CENT, rounding=ROUND_HALF_UP)


def period_recompute(period: PeriodScore) -> PeriodScore:
    """The month rebuilt from its sources, unsaved: what ``period_apply`` must have kept."""
    contract, month = period.contract, period.month
    end = month_end(month)
    fresh = PeriodScore(pk=period.pk, contract=contract, month=month, kpi=period.kpi)
    insp = Inspection.objects.filter(
        contract=contract, state=Inspection.State.SUBMITTED, order__isnull=True, inspected_on__range=(month, end)
    ).aggregate(t=Sum("score"), n=Count("id"))
    fresh.inspections_total, fresh.inspections_count = insp["t"] or 0, insp["n"]
    totals = [
        r.score
        for r in ServiceReport.objects.filter(
            contract=contract, score__isnull=False, period_start__lte=end, period_end__gte=month
        )
    ]
    fresh.reports_total, fresh.reports_count = sum(totals, Decimal(0)), len(totals)
    ratings = Rating.objects.filter(contract=contract, activity__date__range=(month, end)).aggregate(
        a=Avg("stars"), n=Count("id"), s=Sum("stars")
    )
    fresh.ratings_count = ratings["n"]
    fresh.ratings_total = ((ratings["s"] or 0) - ratings["n"]) * 25
    fresh.red_lines = RedLine.objects.filter(contract=contract, occurred_on__range=(month, end)).count()
    result = scoring.period_score(fresh.inputs(), weights_for(contract.palace_id))
    fresh.score, fresh.standing = result.score, result.standing
    return fresh


def current_period(contract: Contract, today: date | None = None) -> PeriodScore | None:
    today = today or timezone.localdate()
    return PeriodScore.objects.filter(contract=contract, month=month_of(today)).first()


_WRITTEN = (
    "inspections_total",
    "inspections_count",
    "reports_total",
    "reports_count",
    "ratings_total",
    "ratings_count",
    "kpi",
    "red_lines",
    "score",
    "standing",
    "updated_at",
)
