"""Contracts for tests, brought to a state through the services (as a user would get there).

``draft_contract`` skips the recruitment (which tests/recruitment_builders.py covers) but
drafts the contract exactly as the award hand-off does, KPI targets and milestones included.
"""

from datetime import date
from decimal import Decimal

from contracts import services
from contracts.models import Contract, ContractKpiTarget, Milestone
from core.models import Palace, Role, User
from procurement.models import Provider
from tests.factories import ServiceProjectFactory, staff


def draft_contract(
    *,
    palace: Palace,
    provider: Provider,
    amount: Decimal = Decimal("120000.00"),
    term_months: int = 12,
    starts_on: date = date(2026, 1, 1),
    report_schedule: str = Contract.ReportSchedule.MONTHLY,
    number: str | None = None,
) -> Contract:
    project = ServiceProjectFactory(palace=palace, term_months=term_months)
    seq = Contract.objects.count() + 1
    contract = Contract.objects.create(
        number=number or f"{palace.code.upper()}-HT-T-{seq:04d}",
        palace=palace,
        provider=provider,
        project=project,
        amount=amount,
        term_months=term_months,
        starts_on=starts_on,
        ends_on=services.add_months(starts_on, term_months) - date.resolution,
        report_schedule=report_schedule,
    )
    ContractKpiTarget.objects.bulk_create(
        [
            ContractKpiTarget(contract=contract, metric=k.metric, label=k.label, target=k.target, unit=k.unit)
            for k in project.kpi_targets.all()
        ]
    )
    Milestone.objects.bulk_create(
        [
            Milestone(contract=contract, position=i, condition=c, percent=p, amount=amount * p / 100)
            for i, (c, p) in enumerate(services.DEFAULT_MILESTONES, start=1)
        ]
    )
    return contract


def _admin_of(palace: Palace) -> User:
    user = User.objects.filter(memberships__palace=palace, memberships__role=Role.ADMIN).first()
    return user or staff(palace, Role.ADMIN)


def active_contract(
    *, palace: Palace, provider: Provider, provider_user: User, admin: User | None = None, **kwargs
) -> Contract:
    """Signed by the palace and accepted by the provider: in force, with its report schedule."""
    contract = draft_contract(palace=palace, provider=provider, **kwargs)
    services.contract_sign(actor=admin or _admin_of(palace), contract=contract)
    return services.contract_accept(actor=provider_user, contract=contract)
