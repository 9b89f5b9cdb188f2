"""Reads for providers and service projects, scoped to what the user may see."""

from django.db.models import Count, Prefetch, QuerySet

from core.models import Palace, Role
from core.permissions import AnyUser, palace_ids

from .models import KpiTarget, Provider, ServiceProject
from .permissions import provider_of


def providers_for(user: AnyUser) -> QuerySet[Provider]:
    qs = Provider.objects.select_related("palace").prefetch_related("categories")
    if not user.is_authenticated:
        return qs.none()
    if user.is_superuser:
        return qs
    own = provider_of(user)
    if own is not None:
        return qs.filter(pk=own.pk)
    return qs.filter(palace_id__in=palace_ids(user, Role.ADMIN, Role.AUDITOR))


def provider_detail(provider_id: int) -> Provider:
    return (
        Provider.objects.select_related("palace", "reviewed_by")
        .prefetch_related("categories", "documents__file", "users__user")
        .get(pk=provider_id)
    )


def service_projects_for(user: AnyUser) -> QuerySet[ServiceProject]:
    qs = (
        ServiceProject.objects.select_related("palace")
        .prefetch_related(Prefetch("kpi_targets", queryset=KpiTarget.objects.order_by("id")))
        .annotate(kpi_count=Count("kpi_targets", distinct=True))
    )
    if not user.is_authenticated:
        return qs.none()
    if user.is_superuser:
        return qs
    return qs.filter(palace_id__in=palace_ids(user))


def palaces_for(user: AnyUser, *roles: str) -> QuerySet[Palace]:
    """Palaces where ``user`` holds one of ``roles``. The superuser reads every palace but,
    like everyone, acts only where a membership gives it a role."""
    if not roles and user.is_authenticated and user.is_superuser:
        return Palace.objects.all()
    return Palace.objects.filter(pk__in=palace_ids(user, *roles))
