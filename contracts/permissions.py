"""``can_<action>(user, obj) -> bool`` for contracts, their milestones and service reports."""

from core.models import Role
from core.permissions import AnyUser, has_role
from procurement.permissions import provider_of

from .models import Contract, ServiceReport


def is_party(user: AnyUser, contract: Contract) -> bool:
    """The user acts for the contracted provider."""
    own = provider_of(user)
    return own is not None and own.pk == contract.provider_id


def can_view_contract(user: AnyUser, contract: Contract) -> bool:
    if not user.is_authenticated:
        return False
    if user.is_superuser:
        return True
    return is_party(user, contract) or has_role(user, contract.palace_id)


def can_manage_contract(user: AnyUser, contract: Contract) -> bool:
    """Edit the draft, sign for the palace, release milestones."""
    return has_role(user, contract.palace_id, Role.ADMIN)


def can_accept_contract(user: AnyUser, contract: Contract) -> bool:
    return contract.state == Contract.State.DRAFT and contract.signed_at is not None and is_party(user, contract)


def can_view_report(user: AnyUser, report: ServiceReport) -> bool:
    return can_view_contract(user, report.contract)


def can_edit_report(user: AnyUser, report: ServiceReport) -> bool:
    """The provider writes its own reports while the contract is in force."""
    return (
        is_party(user, report.contract)
        and report.state in ServiceReport.EDITABLE
        and report.contract.state in Contract.IN_FORCE
    )


def can_review_report(user: AnyUser, report: ServiceReport) -> bool:
    return has_role(user, report.contract.palace_id, Role.ADMIN, Role.EVALUATOR)


def can_view_palace_statistics(user: AnyUser, palace_id: int) -> bool:
    return user.is_authenticated and (user.is_superuser or has_role(user, palace_id))
