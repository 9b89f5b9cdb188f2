"""Writes on palaces and staff membership."""

from django.db import transaction

from . import audit
from .errors import NotPermitted
from .models import Membership, Palace, User


@transaction.atomic
def palace_create(*, actor: User, code: str, name: str, level: str, **fields: str) -> Palace:
    """Register a palace (purchasing unit). Only a superuser may."""
    if not actor.is_superuser:
        raise NotPermitted
    palace = Palace.objects.create(code=code, name=name, level=level, **fields)
    audit.record(actor=actor, action="palace.created", obj=palace, palace=palace, after=audit.snapshot(palace))
    return palace


@transaction.atomic
def membership_grant(*, actor: User, user: User, palace: Palace, role: str) -> Membership:
    """Give ``user`` a staff role at ``palace``. Only a superuser may; granting twice is a no-op."""
    if not actor.is_superuser:
        raise NotPermitted
    membership, created = Membership.objects.get_or_create(user=user, palace=palace, role=role)
    if created:
        audit.record(
            actor=actor,
            action="membership.granted",
            obj=membership,
            palace=palace,
            after={"user": user.username, "role": role},
        )
    return membership


@transaction.atomic
def user_create(*, actor: User, username: str, full_name: str, email: str, password: str) -> User:
    """Create a staff login. Only a superuser may; palace roles are granted separately."""
    if not actor.is_superuser:
        raise NotPermitted
    user = User(username=username, full_name=full_name, email=email)
    user.set_password(password)
    user.save()
    audit.record(
        actor=actor,
        action="user.created",
        obj=user,
        after={"username": username, "full_name": full_name, "email": email},
    )
    return user
