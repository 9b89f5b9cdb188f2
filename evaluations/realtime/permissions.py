"""``can_<action>(user, obj) -> bool`` for real-time evaluation: inspections, red lines, weights."""

from contracts.models import Contract
from contracts.permissions import is_party
from core.models import Role
from core.permissions import AnyUser, has_role
from evaluations.realtime.models import Inspection


def can_manage_evaluation(user: AnyUser, palace_id: int) -> bool:
    """Checklists, weights, assigning inspections: the palace's administrators."""
    return has_role(user, palace_id, Role.ADMIN)


def can_assign_inspection(user: AnyUser, contract: Contract) -> bool:
    return contract.state in Contract.IN_FORCE and has_role(user, contract.palace_id, Role.ADMIN)


def can_view_inspection(user: AnyUser, inspection: Inspection) -> bool:
    """Staff of the palace; the provider only once it is submitted (a spot check is unannounced)."""
    if not user.is_authenticated:
        return False
    if user.is_superuser or has_role(user, inspection.contract.palace_id):
        return True
    return is_party(user, inspection.contract) and inspection.state == Inspection.State.SUBMITTED


def can_submit_inspection(user: AnyUser, inspection: Inspection) -> bool:
    return inspection.state == Inspection.State.ASSIGNED and inspection.inspector_id == user.pk


def can_record_red_line(user: AnyUser, contract: Contract) -> bool:
    return contract.state in Contract.IN_FORCE and has_role(user, contract.palace_id, Role.EVALUATOR, Role.ADMIN)


# --- the final evaluation (DOMAIN.md §5) ---------------------------------------------------------


# --- exit and handover (DOMAIN.md §5) ------------------------------------------------------------
