"""A palace's final-evaluation settings: the components' weights and how long an exit excludes a provider."""

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from core import audit
from core.errors import DomainError, NotPermitted
from core.models import Palace, User
from evaluations.final.models import FinalWeights
from evaluations.final.permissions import can_manage_final_weights
from evaluations.realtime.services.settings import ERR_WEIGHT_RANGE, ERR_WEIGHTS_SUM

ERR_EXCLUSION_YEARS = _("An exit excludes the provider for 1, 2 or 3 years.")


@transaction.atomic
def final_weights_update(
    *,
    actor: User,
    palace: Palace | int,
    period_scores: int,
    kpi: int,
    satisfaction: int,
    panel: int,
    exclusion_years: int,
) -> FinalWeights:
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
    before = (
        audit.snapshot(row, fields) if row else {name: FinalWeights._meta.get_field(name).default for name in fields}
    )
    row = row or FinalWeights(palace_id=palace_id)
    for name, value in (values | {"exclusion_years": exclusion_years}).items():
        setattr(row, name, value)
    row.save()
    audit.record(
        actor=actor,
        action="final_weights.updated",
        obj=row,
        palace=palace_id,
        before=before,
        after=audit.snapshot(row, fields),
    )
    return row
