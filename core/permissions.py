"""Who may see which palace. The one mechanism: ``can_<action>(user, obj) -> bool``.

Staff roles come from ``Membership`` rows; each app's ``permissions.py`` builds
its ``can_*`` functions on the helpers here.
"""

from django.contrib.auth.models import AnonymousUser

from .models import Membership, Palace, Role, User

AnyUser = User | AnonymousUser


def palace_ids(user: AnyUser, *roles: str) -> frozenset[int]:
    """Palaces where ``user`` holds any of ``roles`` (all staff roles when none given)."""
    if not user.is_authenticated:
        return frozenset()
    cache = user.__dict__.setdefault("_hezuo_roles", None)
    if cache is None:
        cache = {}
        for palace_id, role in Membership.objects.filter(user=user).values_list("palace_id", "role"):
            cache.setdefault(role, set()).add(palace_id)
        user.__dict__["_hezuo_roles"] = cache
    wanted = roles or tuple(Role.values)
    ids: set[int] = set()
    for role in wanted:
        ids |= cache.get(role, set())
    return frozenset(ids)


def has_role(user: AnyUser, palace: Palace | int | None, *roles: str) -> bool:
    if palace is None:
        return False
    pid = palace.pk if isinstance(palace, Palace) else palace
    return pid in palace_ids(user, *roles)


def is_staff_anywhere(user: AnyUser) -> bool:
    return bool(palace_ids(user))


def is_admin_anywhere(user: AnyUser) -> bool:
    return bool(palace_ids(user, Role.ADMIN))


def is_auditor_anywhere(user: AnyUser) -> bool:
    return bool(palace_ids(user, Role.AUDITOR))


def is_evaluator_anywhere(user: AnyUser) -> bool:
    return bool(palace_ids(user, Role.EVALUATOR))


def can_view_palace(user: AnyUser, palace: Palace) -> bool:
    return has_role(user, palace)


def can_verify_audit_chain(user: AnyUser) -> bool:
    return user.is_authenticated and (user.is_superuser or is_auditor_anywhere(user))
