"""Procurement's contributions to core: home panels, who may download its files, whose login locks its palace sees."""

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.models import Role
from core.permissions import has_role, palace_ids
from core.registry import (
    HomePanel,
    register_file_policy,
    register_home_panels,
    register_palace_people,
    register_subject_policy,
)

from .models import ApplicationDocument, Objection, Provider, ProviderDocument, ServiceProject
from .permissions import can_view_application, can_view_provider, provider_of
from .selectors import providers_for, service_projects_for


def provider_file_policy(user, stored_file):
    doc = ProviderDocument.objects.select_related("provider").filter(file=stored_file).first()
    if doc is None:
        return None
    return can_view_provider(user, doc.provider)


def application_file_policy(user, stored_file):
    """An application's documents are as sealed as the application itself."""
    doc = ApplicationDocument.objects.select_related("application__recruitment").filter(file=stored_file).first()
    if doc is None:
        return None
    return can_view_application(user, doc.application)


def objection_file_policy(user, stored_file):
    """An objection's attachments: the objecting provider, and the palace's administrators and auditors."""
    objection = Objection.objects.select_related("application", "recruitment").filter(attachments=stored_file).first()
    if objection is None:
        return None
    own = provider_of(user)
    if own is not None:
        return own.pk == objection.application.provider_id
    return user.is_superuser or has_role(user, objection.recruitment.palace_id, Role.ADMIN, Role.AUDITOR)


register_file_policy(provider_file_policy)
register_file_policy(application_file_policy)
register_file_policy(objection_file_policy)
register_subject_policy(Provider, can_view_provider)


@register_home_panels
def procurement_panels(user):
    panels = []
    own = provider_of(user)
    if own is not None:
        panels.append(
            HomePanel(_("My organisation"), "procurement/panels/provider_status.html", {"provider": own}, order=10)
        )
        return panels
    admin_palaces = palace_ids(user, Role.ADMIN)
    if admin_palaces or user.is_superuser:
        pending = providers_for(user).filter(status=Provider.Status.PENDING)
        if not user.is_superuser:
            pending = pending.filter(palace_id__in=admin_palaces)
        panels.append(
            HomePanel(
                _("Registrations to verify"),
                "procurement/panels/pending_providers.html",
                {"pending": list(pending[:10]), "pending_count": pending.count()},
                order=10,
            )
        )
    if palace_ids(user) or user.is_superuser:
        projects = service_projects_for(user).filter(is_active=True)
        panels.append(
            HomePanel(
                _("Service projects"),
                "procurement/panels/projects.html",
                {
                    "project_count": projects.count(),
                    "projects": list(projects.order_by("-created_at")[:6]),
                    "project_model": ServiceProject,
                },
                order=30,
            )
        )
    return panels


def provider_users_of(palace_ids):
    """A provider's users belong to the palace that verified the provider (login locks page)."""
    return Q(provider_link__provider__palace_id__in=palace_ids)


register_palace_people(provider_users_of)
