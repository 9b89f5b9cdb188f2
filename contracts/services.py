"""Every write on contracts. Built out in the contracts stage; the award hand-off lives here now."""

from decimal import ROUND_HALF_UP, Decimal

from django.db import transaction
from django.utils import timezone

from core import audit
from core.models import Palace, User
from procurement.models import Recruitment

from .models import Contract, ContractKpiTarget, Milestone

# DOMAIN.md §2: 30% on signing, 40% at mid-term, 30% after the final rating.
DEFAULT_MILESTONES = [
    (Milestone.Condition.ON_SIGNING, Decimal(30)),
    (Milestone.Condition.MID_TERM, Decimal(40)),
    (Milestone.Condition.FINAL_RATING, Decimal(30)),
]


def _next_number(recruitment: Recruitment) -> str:
    # Locking the palace row serialises numbering across concurrent awards.
    palace = Palace.objects.select_for_update().get(pk=recruitment.palace_id)
    prefix = f"{palace.code.upper()}-HT-{timezone.localdate():%Y}-"
    return f"{prefix}{Contract.objects.filter(number__startswith=prefix).count() + 1:03d}"


@transaction.atomic
def contract_draft_from_award(*, recruitment: Recruitment, actor: User | None = None) -> Contract:
    """Draft the contract for an awarded recruitment (idempotent: one contract per recruitment).

    Amount is the awarded price; KPI targets are copied from the service project; the
    default milestones split the amount 30/40/30, the last one absorbing rounding.
    """
    existing = Contract.objects.filter(recruitment=recruitment).first()
    if existing is not None:
        return existing
    application = recruitment.awarded_application
    project = recruitment.project
    contract = Contract.objects.create(
        number=_next_number(recruitment), palace=recruitment.palace, provider=application.provider,
        project=project, recruitment=recruitment, amount=application.price,
        term_months=project.term_months, created_by=actor,
    )
    ContractKpiTarget.objects.bulk_create([
        ContractKpiTarget(contract=contract, metric=k.metric, label=k.label, target=k.target, unit=k.unit)
        for k in project.kpi_targets.all()])
    remaining = contract.amount
    rows = []
    for position, (condition, percent) in enumerate(DEFAULT_MILESTONES, start=1):
        last = position == len(DEFAULT_MILESTONES)
        amount = remaining if last else (contract.amount * percent / 100).quantize(
            Decimal("0.01"), rounding=ROUND_HALF_UP)
        remaining -= amount
        rows.append(Milestone(contract=contract, position=position, condition=condition, percent=percent,
                              amount=amount))
    Milestone.objects.bulk_create(rows)
    audit.record(actor=actor, action="contract.drafted", obj=contract, palace=contract.palace_id,
                 after=audit.snapshot(contract, ["number", "provider", "project", "recruitment", "amount",
                                                 "term_months", "state"])
                 | {"milestones": [{"condition": m.condition, "percent": m.percent, "amount": m.amount}
                                   for m in rows]})
    return contract
