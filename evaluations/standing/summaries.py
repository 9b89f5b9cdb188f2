"""Closing each month of real-time evaluation (``manage.py tick``): the monthly summary PDF.

A month's score keeps moving while its activities can still be rated: a worker rates an
activity up to 14 days after it (``services.ratings.RATING_WINDOW_DAYS``). So a month is
closed on the 15th day after its last day: its summary (实时评价月度小结) is issued and
the period marked ``closed``. Each period in its own transaction, claimed under a lock
that an overlapping tick skips (``core.scheduler.claim``), checked again under the lock:
a period is summed up once, however often the job runs.
"""

import logging
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from core.scheduler import claim
from evaluations.realtime.models import PeriodScore
from evaluations.realtime.months import month_of
from evaluations.realtime.services.ratings import RATING_WINDOW_DAYS
from evaluations.standing.documents import issue_monthly_summary

logger = logging.getLogger(__name__)


def closable_before(now: datetime):
    """The first month not yet closable at ``now``: every earlier month ended more than 14 days ago."""
    last_day_closable = timezone.localdate(now) - timedelta(days=RATING_WINDOW_DAYS + 1)
    return month_of(last_day_closable + timedelta(days=1))


def close_periods(now: datetime) -> str:
    """Issue the summary of every month whose rating window has closed, and mark the month closed."""
    due = PeriodScore.objects.filter(closed=False, month__lt=closable_before(now))
    counts = {"closed": 0, "skipped": 0, "errors": 0}
    for pk in due.order_by("month", "pk").values_list("pk", flat=True):
        try:
            with transaction.atomic():
                period = claim(due, pk)
                if period is None:  # another tick has it, or has just closed it
                    counts["skipped"] += 1
                    continue
                issue_monthly_summary(period=period)
                period.closed = True
                period.save(update_fields=["closed", "updated_at"])
        except Exception:
            logger.exception("Closing period %s failed", pk)
            counts["errors"] += 1
        else:
            counts["closed"] += 1
    return ", ".join(f"{label} {n}" for label, n in counts.items())
