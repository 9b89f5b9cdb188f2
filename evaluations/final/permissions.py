"""``can_<action>(user, obj) -> bool`` for real-time evaluation and rectification."""

from contracts.models import Contract
from contracts.permissions import is_party
from core.models import Role
from core.permissions import AnyUser, has_role, palace_ids
from evaluations.final.models import FinalEvaluation, FinalRating
from procurement.models import Application, Declaration, PanelMember, Provider, Recruitment
from procurement.permissions import provider_of


def can_view_provider_history(user: AnyUser, provider: Provider) -> bool:
    """A provider's track record (DOMAIN.md §5: it travels with it to every future recruitment).

    The provider's own users; the administrators and auditors of the palace it registered
    with, of any palace it holds or held a contract with, and of any palace whose recruitment
    it applied to once the applications are unsealed; the evaluators of a palace it holds or
    held a contract with (they inspect it); and the evaluators sitting on the panel of a
    recruitment it applied to, once they declared no conflict with it. Never another provider,
    never another palace's staff.
    """
    if not user.is_authenticated:
        return False
    if user.is_superuser:
        return True
    own = provider_of(user)
    if own is not None:
        return own.pk == provider.pk
    if has_role(user, provider.palace_id, Role.ADMIN, Role.AUDITOR):
        return True
    staff_of = palace_ids(user)
    if not staff_of:
        return False
    if Contract.objects.filter(provider=provider, palace_id__in=staff_of).exists():
        return True
    readers_of = palace_ids(user, Role.ADMIN, Role.AUDITOR)
    if readers_of and Application.objects.filter(provider=provider, recruitment__palace_id__in=readers_of).exclude(
            recruitment__state__in=(Recruitment.State.DRAFT, Recruitment.State.PUBLISHED)).exists():
        return True
    return Declaration.objects.filter(
        member__evaluator=user, member__state__in=(PanelMember.State.DECLARED, PanelMember.State.SUBMITTED,
                                                   PanelMember.State.JUSTIFYING),
        member__recruitment__palace_id__in=palace_ids(user, Role.EVALUATOR),
        application__provider=provider, conflict=Declaration.Conflict.NONE).exists()


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
    return has_role(user, evaluation.contract.palace_id, Role.EVALUATOR) and evaluation.panel.filter(
        evaluator_id=user.pk).exists()


def can_appeal_final(user: AnyUser, evaluation: FinalEvaluation) -> bool:
    """The provider, once, while the rating is proposed (the service checks the deadline's date)."""
    return evaluation.state == FinalEvaluation.State.PROPOSED and is_party(user, evaluation.contract)


def can_decide_appeal(user: AnyUser, evaluation: FinalEvaluation) -> bool:
    return evaluation.state == FinalEvaluation.State.APPEALED and is_final_admin(user, evaluation)


def can_sign_off_final(user: AnyUser, evaluation: FinalEvaluation) -> bool:
    return evaluation.state == FinalEvaluation.State.SIGN_OFF and is_final_admin(user, evaluation)


def can_confirm_final(user: AnyUser, evaluation: FinalEvaluation) -> bool:
    """A second administrator confirms a 差: not the one who signed it off."""
    return (evaluation.state == FinalEvaluation.State.CONFIRMING and evaluation.signed_off_by_id != user.pk
            and is_final_admin(user, evaluation))


RENEWABLE_RATINGS = (FinalRating.EXCELLENT, FinalRating.GOOD)


def can_renew_final(user: AnyUser, evaluation: FinalEvaluation) -> bool:
    """Renew once without re-tender: a final 优秀 or 良好, of a contract that is not itself a renewal."""
    return (evaluation.state == FinalEvaluation.State.FINAL and evaluation.rating in RENEWABLE_RATINGS
            and not evaluation.outcome and evaluation.contract.renewal_of_id is None
            and is_final_admin(user, evaluation))


def can_manage_final_weights(user: AnyUser, palace_id: int) -> bool:
    return has_role(user, palace_id, Role.ADMIN)


def can_name_final_panel(user: AnyUser, evaluation: FinalEvaluation) -> bool:
    """Name the final panel review, or replace a recused evaluator: the palace's administrators.

    Whether the panel can still change (the evaluation is at its panel review) is the
    service's to say, with its message. A seat is worked by its evaluator alone
    (``procurement.permissions.can_work_panel_seat``, shared with the recruitment panel).
    """
    return has_role(user, evaluation.contract.palace_id, Role.ADMIN)

