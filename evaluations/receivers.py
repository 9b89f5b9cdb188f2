"""Real-time evaluation listens to contracts: a scored report moves the month's score at once.

Contracts cannot import evaluations (imports run core ← procurement ← contracts ←
evaluations), so contracts sends ``report_scored`` inside its transaction and this
adds the report's score, and the KPI progress it brings, to every month the report
covers, in that same transaction.
"""

from django.dispatch import receiver

from contracts import conditions
from contracts.models import ServiceReport
from contracts.services import report_scored
from evaluations.final.services.evaluation import final_rating_of
from evaluations.realtime.months import month_end, months_between
from evaluations.realtime.services.period import kpi_indicator, period_apply
from evaluations.rectification.services import open_rectification


@receiver(report_scored, dispatch_uid="evaluations.report_scored")
def add_report_score(sender, report: ServiceReport, **kwargs) -> None:
    contract = report.contract
    for month in months_between(report.period_start, report.period_end):
        as_of = min(month_end(month), contract.ends_on) if contract.ends_on else month_end(month)
        period_apply(
            contract=contract,
            day=month,
            report=report.score,
            kpi=kpi_indicator(contract, as_of),
            actor=report.reviewed_by,
        )


# The final milestone unlocks with a final rating of 合格 or better.
conditions.register(open_rectification=open_rectification, final_rating=final_rating_of)
