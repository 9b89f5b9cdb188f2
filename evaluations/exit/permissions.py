"""``can_<action>(user, obj) -> bool`` for the exit, its handover, and a provider's history."""

from contracts.models import Contract
from contracts.permissions import can_view_contract, is_party
from core.models import Role
from core.permissions import AnyUser, has_role, palace_ids
from procurement.models import Application, Declaration, PanelMember, Provider, Recruitment
from procurement.permissions import provider_of

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
    if (
        readers_of
        and Application.objects.filter(provider=provider, recruitment__palace_id__in=readers_of)
        .exclude(recruitment__state__in=(Recruitment.State.DRAFT, Recruitment.State.PUBLISHED))
        .exists()
    ):
        return True
    return Declaration.objects.filter(
        member__evaluator=user,
        member__state__in=(PanelMember.State.DECLARED, PanelMember.State.SUBMITTED, PanelMember.State.JUSTIFYING),
        member__recruitment__palace_id__in=palace_ids(user, Role.EVALUATOR),
        application__provider=provider,
        conflict=Declaration.Conflict.NONE,
    ).exists()
