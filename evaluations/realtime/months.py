"""The month helpers every part of evaluation counts by: a date's month, its last day, the months
a term covers, and the palace's indicator weights in force.
"""

import calendar
from datetime import date
from decimal import Decimal

from contracts.services import add_months
from evaluations.realtime import scoring
from evaluations.realtime.models import IndicatorWeights


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
