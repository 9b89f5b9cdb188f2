"""``can_<action>(user, obj) -> bool`` for real-time evaluation and rectification."""

from contracts.models import Contract
from contracts.permissions import can_view_contract, is_party
from core.models import Role
from core.permissions import AnyUser, has_role

PROVIDER_SIDE, PALACE_SIDE = "provider", "palace"


def can_open_exit(user: AnyUser, contract: Contract) -> bool:
    """End a partnership (退出合作): the palace's administrators, after a confirmed 差 or an early termination."""
    return has_role(user, contract.palace_id, Role.ADMIN)


def can_view_exit(user: AnyUser, exit_) -> bool:
    """The palace's staff (auditors included) and the exited provider: whoever may read the contract."""
    return can_view_contract(user, exit_.contract)


def handover_side(user: AnyUser, exit_) -> str | None:
    """The side of the handover ``user`` confirms for: the exited provider's users hand over, the
    palace's administrators take over. Anyone else (evaluators, auditors, other providers) only reads."""
    if is_party(user, exit_.contract):
        return PROVIDER_SIDE
    if has_role(user, exit_.contract.palace_id, Role.ADMIN):
        return PALACE_SIDE
    return None


def can_confirm_handover(user: AnyUser, item) -> bool:
    """The item is still waiting for ``user``'s side."""
    side = handover_side(user, item.exit)
    if side == PROVIDER_SIDE:
        return item.provider_confirmed_at is None
    return side == PALACE_SIDE and item.palace_confirmed_at is None

