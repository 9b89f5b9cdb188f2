"""The staff side of procurement in the UI shell: providers, service projects, recruitments."""

from django.urls import path
from django.utils.translation import gettext_lazy as _

from core.permissions import is_admin_anywhere, is_auditor_anywhere, is_staff_anywhere
from core.site import HezuoApplication, MenuLink

from . import views


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
