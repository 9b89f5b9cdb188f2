"""Rectification listens to real-time evaluation: a failing month issues its order at once (DOMAIN.md §4)."""

from django.dispatch import receiver

from evaluations.realtime.models import PeriodScore
from evaluations.realtime.signals import month_failed
from evaluations.rectification.services import order_issue_for_period, score_order_due


@receiver(month_failed, sender=PeriodScore, dispatch_uid="evaluations.rectification.month_failed")
def issue_order(sender, period: PeriodScore, result, red_line, actor=None, now=None, **kwargs) -> None:
    # A red line always calls for its order. A score below the pass mark calls for one per month:
    # checked here first, so that every later input into a month already under its order (each
    # rating) does not lock the contract to find nothing to issue; the service checks again under
    # its lock.
    if red_line is None and not score_order_due(period, result):
        return
    order_issue_for_period(period=period, result=result, red_line=red_line, actor=actor, now=now)
