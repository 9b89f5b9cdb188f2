"""The provider portal in the UI shell: the organisation's profile, recruitments and its applications."""

from django.urls import path
from django.utils.translation import gettext_lazy as _

from core.site import HezuoApplication, MenuLink

from . import views, views_applying
from .permissions import is_provider_user


class ProviderPortalApp(HezuoApplication):
    title = _("My organisation")
    icon = "storefront"
    app_name = "portal"
    permission = staticmethod(is_provider_user)
    menu = (
        MenuLink("portal:organisation", _("Profile and documents"), "badge"),
        MenuLink("portal:recruitments", _("Recruitments"), "campaign"),
        MenuLink("portal:applications", _("My applications"), "description"),
    )

    organisation_path = path("organisation/", views.organisation, name="organisation")
    organisation_edit_path = path("organisation/edit/", views.organisation_edit, name="organisation_edit")
    organisation_documents_path = path(
        "organisation/documents/", views.organisation_documents, name="organisation_documents"
    )
    organisation_resubmit_path = path(
        "organisation/resubmit/", views.organisation_resubmit, name="organisation_resubmit"
    )

    recruitments_path = path("recruitments/", views_applying.recruitments, name="recruitments")
    apply_path = path("recruitments/<int:pk>/apply/", views_applying.apply, name="apply")
    objection_lodge_path = path(
        "recruitments/<int:pk>/objection/", views_applying.objection_lodge, name="objection_lodge"
    )
    applications_path = path("applications/", views_applying.applications, name="applications")
    application_detail_path = path(
        "applications/<int:pk>/", views_applying.application_detail, name="application_detail"
    )
    application_withdraw_path = path(
        "applications/<int:pk>/withdraw/",
        views_applying.application_withdraw,
        name="application_withdraw",
    )
