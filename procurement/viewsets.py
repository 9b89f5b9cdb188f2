"""The procurement areas of the UI shell: staff (providers, service projects) and the provider portal."""

from django.urls import path
from django.utils.translation import gettext_lazy as _

from core.permissions import is_admin_anywhere, is_auditor_anywhere, is_staff_anywhere
from core.site import HezuoApplication, MenuLink

from . import views
from .permissions import is_provider_user


def _admin_or_auditor(user):
    return user.is_superuser or is_admin_anywhere(user) or is_auditor_anywhere(user)


def _staff(user):
    return user.is_superuser or is_staff_anywhere(user)


class ProcurementApp(HezuoApplication):
    title = _("Recruitment")
    icon = "assignment"
    app_name = "procurement"
    permission = staticmethod(_staff)
    menu = (
        MenuLink("procurement:provider_list", _("Providers"), "business", _admin_or_auditor),
        MenuLink("procurement:project_list", _("Service projects"), "widgets", _staff),
    )

    provider_list_path = path("providers/", views.ProviderListView.as_view(), name="provider_list")
    provider_detail_path = path("providers/<int:pk>/", views.provider_detail, name="provider_detail")
    project_list_path = path("projects/", views.ServiceProjectListView.as_view(), name="project_list")
    project_create_path = path("projects/new/", views.project_create, name="project_create")
    project_detail_path = path("projects/<int:pk>/", views.project_detail, name="project_detail")
    project_edit_path = path("projects/<int:pk>/edit/", views.project_edit, name="project_edit")


class ProviderPortalApp(HezuoApplication):
    title = _("My organisation")
    icon = "storefront"
    app_name = "portal"
    permission = staticmethod(is_provider_user)
    menu = (MenuLink("portal:organisation", _("Profile and documents"), "badge"),)

    organisation_path = path("organisation/", views.organisation, name="organisation")
    organisation_edit_path = path("organisation/edit/", views.organisation_edit, name="organisation_edit")
    organisation_documents_path = path(
        "organisation/documents/", views.organisation_documents, name="organisation_documents"
    )
    organisation_resubmit_path = path(
        "organisation/resubmit/", views.organisation_resubmit, name="organisation_resubmit"
    )
