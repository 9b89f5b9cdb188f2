"""The standing listens to real-time evaluation: a closed month that changes gets its summary again."""

from django.db import transaction
from django.dispatch import receiver

from evaluations.realtime.models import PeriodScore
from evaluations.realtime.signals import closed_month_changed
from evaluations.standing.documents import issue_monthly_summary


@receiver(closed_month_changed, sender=PeriodScore, dispatch_uid="evaluations.standing.closed_month_changed")
def issue_summary_again(sender, period: PeriodScore, **kwargs) -> None:
    # Issued as the next version once the change commits, so the PDF never disagrees with the month.
    transaction.on_commit(lambda: issue_monthly_summary(period=period), robust=True)
