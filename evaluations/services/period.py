"""The running monthly score of a contract (DOMAIN.md §4), kept current by every input.

Each input service calls ``period_apply`` inside its own transaction with what it adds
(an inspection's score, a rating, a report's score, a red line). The month's row is
locked, its sums and counts move by that much, and the score is worked out again from
those sums: O(1) per input, whatever the length of the term. ``period_recompute``
rebuilds the same row from the sources, for checking.

When the month fails (below 60, or a red line) a rectification order is issued in the
same transaction: once per month for the score, once per red line.
"""

import calendar
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from django.db import transaction
from django.db.models import Avg, Count, F, Sum
from django.utils import timezone

from contracts.models import Contract, ServiceReport
from contracts.selectors import kpi_progress
from contracts.services import add_months

from .. import scoring
from ..models import IndicatorWeights, Inspection, PeriodScore, Rating, RedLine

IN_FORCE = (Contract.State.ACTIVE, Contract.State.RECTIFICATION)


def month_of(day: date) -> date:
    return day.replace(day=1)


def month_end(month: date) -> date:
    return month.replace(day=calendar.monthrange(month.year, month.month)[1])


def months_between(first: date, last: date) -> list[date]:
    months, m = [], month_of(first)
    while m <= last:
        months.append(m)
        m = add_months(m, 1)
    return months


def weights_for(palace_id: int) -> dict[str, Decimal]:
    row = IndicatorWeights.objects.filter(palace_id=palace_id).first()
    return row.as_dict() if row else dict(scoring.DEFAULT_WEIGHTS)


def locked_period(contract: Contract, day: date) -> PeriodScore:
    """The month's row, created if need be, locked for this transaction."""
    month = month_of(day)
    PeriodScore.objects.get_or_create(contract=contract, month=month)
    return PeriodScore.objects.select_for_update().select_related("contract").get(contract=contract, month=month)


def kpi_indicator(contract: Contract, as_of: date) -> Decimal | None:
    """KPI progress as one 0–100 figure: the mean of the measured targets' delivery against pro-rata, capped."""
    rows = [r for r in kpi_progress(contract, today=as_of) if r.measured and r.due_to_date]
    if not rows:
        return None
    shares = [min(Decimal(100), r.delivered * 100 / r.due_to_date) for r in rows]
    return (sum(shares, Decimal(0)) / len(shares)).quantize(scoring.CENT, rounding=ROUND_HALF_UP)


def _rescore(period: PeriodScore) -> scoring.PeriodResult:
    result = scoring.period_score(period.inputs(), weights_for(period.contract.palace_id))
    period.score, period.standing = result.score, result.standing
    period.save(update_fields=["score", "standing", "updated_at"])
    return result


def period_apply(*, contract: Contract, day: date, inspection: Decimal | None = None,
                 report: Decimal | None = None, stars: int | None = None, red_line: RedLine | None = None,
                 kpi: Decimal | None = None, actor=None, now=None) -> PeriodScore:
    """Add one input to the month of ``day`` and score the month again; issue an order if it fails.

    Must run inside the caller's transaction (the caller has written the input itself).
    """
    from .rectification import order_issue_for_period

    period = locked_period(contract, day)
    changes = {}
    if inspection is not None:
        changes |= {"inspections_total": F("inspections_total") + inspection,
                    "inspections_count": F("inspections_count") + 1}
    if report is not None:
        changes |= {"reports_total": F("reports_total") + report, "reports_count": F("reports_count") + 1}
    if stars is not None:
        changes |= {"ratings_total": F("ratings_total") + int(scoring.stars_to_points(stars)),
                    "ratings_count": F("ratings_count") + 1}
    if red_line is not None:
        changes |= {"red_lines": F("red_lines") + 1}
    if kpi is not None:
        changes |= {"kpi": kpi}
    if changes:
        PeriodScore.objects.filter(pk=period.pk).update(**changes)
        period.refresh_from_db()
    result = _rescore(period)
    if period.closed:
        # A late input (a report reviewed after the month's summary was issued) changes a closed
        # month: its summary is issued again, as the next version, so the PDF never disagrees.
        from ..documents import issue_monthly_summary

        transaction.on_commit(lambda: issue_monthly_summary(period=period), robust=True)
    if result.failed and contract.state in IN_FORCE:
        order_issue_for_period(period=period, result=result, red_line=red_line, actor=actor, now=now)
    return period


def period_recompute(period: PeriodScore) -> PeriodScore:
    """The month rebuilt from its sources, unsaved: what ``period_apply`` must have kept."""
    contract, month = period.contract, period.month
    end = month_end(month)
    fresh = PeriodScore(pk=period.pk, contract=contract, month=month, kpi=period.kpi)
    insp = Inspection.objects.filter(contract=contract, state=Inspection.State.SUBMITTED, order__isnull=True,
                                     inspected_on__range=(month, end)).aggregate(t=Sum("score"), n=Count("id"))
    fresh.inspections_total, fresh.inspections_count = insp["t"] or 0, insp["n"]
    totals = [r.score for r in ServiceReport.objects.filter(
        contract=contract, score__isnull=False, period_start__lte=end, period_end__gte=month)]
    fresh.reports_total, fresh.reports_count = sum(totals, Decimal(0)), len(totals)
    ratings = Rating.objects.filter(contract=contract, activity__date__range=(month, end)).aggregate(
        a=Avg("stars"), n=Count("id"), s=Sum("stars"))
    fresh.ratings_count = ratings["n"]
    fresh.ratings_total = ((ratings["s"] or 0) - ratings["n"]) * 25
    fresh.red_lines = RedLine.objects.filter(contract=contract, occurred_on__range=(month, end)).count()
    result = scoring.period_score(fresh.inputs(), weights_for(contract.palace_id))
    fresh.score, fresh.standing = result.score, result.standing
    return fresh


def current_period(contract: Contract, today: date | None = None) -> PeriodScore | None:
    today = today or timezone.localdate()
    return PeriodScore.objects.filter(contract=contract, month=month_of(today)).first()
