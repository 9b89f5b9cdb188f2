"""The provider portal in the UI shell: the organisation's profile, and (later) its applications."""

from django.urls import path
from django.utils.translation import gettext_lazy as _

from core.site import HezuoApplication, MenuLink

from . import views
from .permissions import is_provider_user


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
