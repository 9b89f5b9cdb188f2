"""``can_<action>(user, obj) -> bool`` for the final evaluation: reading, appeal, sign-off, renewal, weights, panel."""

from contracts.permissions import is_party
from core.models import Role
from core.permissions import AnyUser, has_role
from evaluations.final.models import FinalEvaluation, FinalRating


def is_final_admin(user: AnyUser, evaluation: FinalEvaluation) -> bool:
    """An administrator of the evaluated contract's palace: decides appeals, signs off, renews."""
    return has_role(user, evaluation.contract.palace_id, Role.ADMIN)


def can_view_final(user: AnyUser, evaluation: FinalEvaluation) -> bool:
    """The palace's administrators and auditors; its evaluators who sit on the panel; the provider.

    The provider sees its evaluation while the panel is at work (that it is in progress),
    and its points from the proposal on.
    """
    if not user.is_authenticated:
        return False
    if user.is_superuser or has_role(user, evaluation.contract.palace_id, Role.ADMIN, Role.AUDITOR):
        return True
    if is_party(user, evaluation.contract):
        return True
    return (
        has_role(user, evaluation.contract.palace_id, Role.EVALUATOR)
        and evaluation.panel.filter(evaluator_id=user.pk).exists()
    )


def can_appeal_final(user: AnyUser, evaluation: FinalEvaluation) -> bool:
    """The provider, once, while the rating is proposed (the service checks the deadline's date)."""
    return evaluation.state == FinalEvaluation.State.PROPOSED and is_party(user, evaluation.contract)


def can_decide_appeal(user: AnyUser, evaluation: FinalEvaluation) -> bool:
    return evaluation.state == FinalEvaluation.State.APPEALED and is_final_admin(user, evaluation)


def can_sign_off_final(user: AnyUser, evaluation: FinalEvaluation) -> bool:
    return evaluation.state == FinalEvaluation.State.SIGN_OFF and is_final_admin(user, evaluation)


def can_confirm_final(user: AnyUser, evaluation: FinalEvaluation) -> bool:
    """A second administrator confirms a 差: not the one who signed it off."""
    return (
        evaluation.state == FinalEvaluation.State.CONFIRMING
        and evaluation.signed_off_by_id != user.pk
        and is_final_admin(user, evaluation)
    )


RENEWABLE_RATINGS = (FinalRating.EXCELLENT, FinalRating.GOOD)


def can_renew_final(user: AnyUser, evaluation: FinalEvaluation) -> bool:
    """Renew once without re-tender: a final 优秀 or 良好, of a contract that is not itself a renewal."""
    return (
        evaluation.state == FinalEvaluation.State.FINAL
        and evaluation.rating in RENEWABLE_RATINGS
        and not evaluation.outcome
        and evaluation.contract.renewal_of_id is None
        and is_final_admin(user, evaluation)
    )


def can_manage_final_weights(user: AnyUser, palace_id: int) -> bool:
    return has_role(user, palace_id, Role.ADMIN)


def can_name_final_panel(user: AnyUser, evaluation: FinalEvaluation) -> bool:
    """Name the final panel review, or replace a recused evaluator: the palace's administrators.

    Whether the panel can still change (the evaluation is at its panel review) is the
    service's to say, with its message. A seat is worked by its evaluator alone
    (``procurement.permissions.can_work_panel_seat``, shared with the recruitment panel).
    """
    return has_role(user, evaluation.contract.palace_id, Role.ADMIN)
