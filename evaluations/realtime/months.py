"""The running monthly score of a contract (DOMAIN.md §4), kept current by every input.

Each input service calls ``period_apply`` inside its own transaction with what it adds
(an inspection's score, a rating, a report's score, a red line). The month's row is
locked, its sums and counts move by that much, and the score is worked out again from
those sums: O(1) per input, whatever the length of the term. ``period_recompute``
rebuilds the same row from the sources, for checking.

``period_apply`` is three steps that a hot caller (a worker's rating) can send in its own
batches of statements: ``period_lock`` (one SELECT … FOR UPDATE that also reads the
palace's weights; ``period_from_row``, or ``period_create`` for the month's first input),
``period_change`` (the new sums, score and standing, and the one UPDATE that writes them)
and ``period_settle`` (a closed month's summary again, a failing month's order). Their
SQL is built once per database from the models' metadata, not by the ORM on each call.

When the month fails (below 60, or a red line) a rectification order is issued in the
same transaction: once per month for the score, once per red line.
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
