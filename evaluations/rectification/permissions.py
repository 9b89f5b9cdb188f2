"""``can_<action>(user, obj) -> bool`` for rectification orders and termination reviews."""

from contracts.permissions import can_view_contract, is_party
from core.models import Role
from core.permissions import AnyUser, has_role
from evaluations.rectification.models import RectificationOrder, TerminationReview


def can_view_order(user: AnyUser, order: RectificationOrder) -> bool:
    return can_view_contract(user, order.contract)


def can_respond_to_order(user: AnyUser, order: RectificationOrder) -> bool:
    return order.state == RectificationOrder.State.OPEN and is_party(user, order.contract)


def can_reinspect_order(user: AnyUser, order: RectificationOrder) -> bool:
    return order.state == RectificationOrder.State.RESPONDED and (
        order.reinspector_id == user.pk
        or (order.reinspector_id is None and has_role(user, order.contract.palace_id, Role.EVALUATOR))
    )


def can_decide_termination(user: AnyUser, review: TerminationReview) -> bool:
    return not review.decision and has_role(user, review.contract.palace_id, Role.ADMIN)
