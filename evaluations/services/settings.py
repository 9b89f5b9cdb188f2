"""A palace's evaluation settings: its indicator weights, which checklists are in use, and the final weights."""

from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from contracts.models import Contract
from core import audit
from core.errors import DomainError, NotPermitted
from core.models import Palace, User

from .. import scoring
from ..models import (
    ChecklistTemplate,
    FinalWeights,
    IndicatorWeights,
    PeriodScore,
    RectificationOrder,
)
from ..permissions import can_manage_evaluation, can_manage_final_weights
from .period import month_of, period_apply

ERR_WEIGHT_RANGE = _("Each weight is a whole number from 0 to 100.")
ERR_WEIGHTS_SUM = _("The weights add up to %(total)s; they must add up to 100.")
ERR_EXCLUSION_YEARS = _("An exit excludes the provider for 1, 2 or 3 years.")


@dataclass(frozen=True)
class WeightsUpdated:
    weights: IndicatorWeights
    rescored: int  # contracts in force whose current month was scored again
    orders: list[RectificationOrder]  # issued because a current month now falls below 60


@transaction.atomic
def weights_update(*, actor: User, palace_id: int, inspections: int, reports: int, satisfaction: int, kpi: int,
                   now: datetime | None = None) -> WeightsUpdated:
    """Set the palace's indicator weights (whole numbers summing to 100).

    The new weights apply from the current month: each contract in force that has a
    score this month is scored again at once, and a month that now falls below 60 is
    issued its rectification order, as any input would. Earlier months keep their scores.
    """
    now = now or timezone.now()
    if not can_manage_evaluation(actor, palace_id):
        raise NotPermitted
    values = {scoring.INSPECTIONS: inspections, scoring.REPORTS: reports, scoring.SATISFACTION: satisfaction,
              scoring.KPI: kpi}
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
    audit.record(actor=actor, action="indicator_weights.updated", obj=row, palace=palace_id, before=before,
                 after=values)

    month = month_of(timezone.localdate(now))
    periods = list(PeriodScore.objects.filter(contract__palace_id=palace_id, contract__state__in=Contract.IN_FORCE,
                                              month=month).select_related("contract").order_by("pk"))
    issued_before = set(RectificationOrder.objects.filter(period__in=periods).values_list("pk", flat=True))
    for period in periods:
        period_apply(contract=period.contract, day=period.month, actor=actor, now=now)
    orders = list(RectificationOrder.objects.filter(period__in=periods).exclude(pk__in=issued_before))
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
    audit.record(actor=actor, action="checklist.activated" if active else "checklist.deactivated", obj=checklist,
                 palace=checklist.palace_id, before={"is_active": not active}, after={"is_active": active})
    return checklist


@transaction.atomic
def final_weights_update(*, actor: User, palace: Palace | int, period_scores: int, kpi: int, satisfaction: int,
                         panel: int, exclusion_years: int) -> FinalWeights:
    """Set the palace's final-evaluation weights (whole numbers summing to 100) and exclusion after an exit.

    Evaluations already open keep the weights they opened with; exclusions already made keep their end.
    """
    palace_id = palace.pk if isinstance(palace, Palace) else palace
    if not can_manage_final_weights(actor, palace_id):
        raise NotPermitted
    values = {"period_scores": period_scores, "kpi": kpi, "satisfaction": satisfaction, "panel": panel}
    if any(isinstance(v, bool) or not isinstance(v, int) or not 0 <= v <= 100 for v in values.values()):
        raise DomainError(ERR_WEIGHT_RANGE)
    total = sum(values.values())
    if total != 100:
        raise DomainError(ERR_WEIGHTS_SUM % {"total": total})
    if isinstance(exclusion_years, bool) or not isinstance(exclusion_years, int) or not 1 <= exclusion_years <= 3:
        raise DomainError(ERR_EXCLUSION_YEARS, field="exclusion_years")
    row = FinalWeights.objects.select_for_update().filter(palace_id=palace_id).first()
    fields = [*values, "exclusion_years"]
    before = audit.snapshot(row, fields) if row else {name: FinalWeights._meta.get_field(name).default
                                                       for name in fields}
    row = row or FinalWeights(palace_id=palace_id)
    for name, value in (values | {"exclusion_years": exclusion_years}).items():
        setattr(row, name, value)
    row.save()
    audit.record(actor=actor, action="final_weights.updated", obj=row, palace=palace_id, before=before,
                 after=audit.snapshot(row, fields))
    return row


__all__ = ["ERR_EXCLUSION_YEARS", "ERR_WEIGHTS_SUM", "ERR_WEIGHT_RANGE", "WeightsUpdated", "checklist_set_active",
           "final_weights_update", "weights_update"]
