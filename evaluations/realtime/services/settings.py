"""A palace's real-time evaluation settings: its indicator weights (every current month is scored
again at once) and which checklists are in use.
"""

from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from contracts.models import Contract
from core import audit
from core.errors import DomainError, NotPermitted
from core.models import User
from evaluations.realtime import scoring
from evaluations.realtime.models import ChecklistTemplate, IndicatorWeights, PeriodScore
from evaluations.realtime.months import month_of
from evaluations.realtime.permissions import can_manage_evaluation
from evaluations.realtime.services.period import period_apply

ERR_WEIGHT_RANGE = _("Each weight is a whole number from 0 to 100.")
ERR_WEIGHTS_SUM = _("The weights add up to %(total)s; they must add up to 100.")


@dataclass(frozen=True)
class WeightsUpdated:
    weights: IndicatorWeights
    rescored: int  # contracts in force whose current month was scored again
    orders: list  # rectification orders issued because a current month now falls below 60


@transaction.atomic
def weights_update(
    *,
    actor: User,
    palace_id: int,
    inspections: int,
    reports: int,
    satisfaction: int,
    kpi: int,
    now: datetime | None = None,
) -> WeightsUpdated:
    """Set the palace's indicator weights (whole numbers summing to 100).

    The new weights apply from the current month: each contract in force that has a
    score this month is scored again at once, and a month that now falls below 60 is
    issued its rectification order, as any input would. Earlier months keep their scores.
    """
    now = now or timezone.now()
    if not can_manage_evaluation(actor, palace_id):
        raise NotPermitted
    values = {
        scoring.INSPECTIONS: inspections,
        scoring.REPORTS: reports,
        scoring.SATISFACTION: satisfaction,
        scoring.KPI: kpi,
    }
    if any(isinstance(v, bool) or not isinstance(v, int) or not 0 <= v <= 100 for v in values.values()):
        raise DomainError(ERR_WEIGHT_RANGE)
    total = sum(values.values())
    if total != 100:
        raise DomainError(ERR_WEIGHTS_SUM % {"total": total})
    row = IndicatorWeights.objects.select_for_update().filter(palace_id=palace_id).first()
    before = {n: int(v) for n, v in (row.as_dict() if row else scoring.DEFAULT_WEIGHTS).items()}
    row = row or IndicatorWeights(palace_id=palace_id)
    for name, value in values.items():
        setattr(row, name, value)
    row.save()
    audit.record(
        actor=actor, action="indicator_weights.updated", obj=row, palace=palace_id, before=before, after=values
    )

    month = month_of(timezone.localdate(now))
    periods = list(
        PeriodScore.objects.filter(contract__palace_id=palace_id, contract__state__in=Contract.IN_FORCE, month=month)
        .select_related("contract")
        .order_by("pk")
    )
    # The orders a failing month gets are rectification's (issued on ``month_failed``); they are
    # read here through the months they point at, the way real-time evaluation knows of them.
    orders_of = PeriodScore._meta.get_field("orders").related_model.objects.filter(period__in=periods)
    issued_before = set(orders_of.values_list("pk", flat=True))
    for period in periods:
        period_apply(contract=period.contract, day=period.month, actor=actor, now=now)
    orders = list(orders_of.exclude(pk__in=issued_before))
    return WeightsUpdated(weights=row, rescored=len(periods), orders=orders)


@transaction.atomic
def checklist_set_active(*, actor: User, checklist: ChecklistTemplate, active: bool) -> ChecklistTemplate:
    """Take a checklist out of use (it can no longer be assigned) or back into use.

    Inspections already assigned with it keep it, and their scores stand.
    """
    checklist = ChecklistTemplate.objects.select_for_update().get(pk=checklist.pk)
    if not can_manage_evaluation(actor, checklist.palace_id):
        raise NotPermitted
    if checklist.is_active == active:
        return checklist
    checklist.is_active = active
    checklist.save(update_fields=["is_active"])
    audit.record(
        actor=actor,
        action="checklist.activated" if active else "checklist.deactivated",
        obj=checklist,
        palace=checklist.palace_id,
        before={"is_active": not active},
        after={"is_active": active},
    )
    return checklist


__all__ = ["ERR_WEIGHTS_SUM", "ERR_WEIGHT_RANGE", "WeightsUpdated", "checklist_set_active", "weights_update"]
