"""The desk application in the UI shell: an index of the desk's tables and one URL per table.

The tables themselves are registered by each app (``core.registry.register_desk_table``);
the desk's own pages (documents ZIP, audit events, chain verification) add their paths here.
"""

from django.http import Http404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _

from .desk import can_use_desk
from .desk_audit import audit_event, verify_chain_page
from .registry import desk_table, desk_tables
from .site import HezuoApplication
from .viewmixins import deny_or_login
from .views_desk_zip import documents_zip


def desk_index(request):
    if not can_use_desk(request.user):
        return deny_or_login(request)
    tables = [
        {
            "url": reverse("desk:table", args=[v.slug]),
            "title": v.page_title,
            "description": v.description,
            "icon": v.icon,
        }
        for v in desk_tables()
    ]
    return TemplateResponse(request, "core/desk/index.html", {"page_title": _("Audit desk"), "tables": tables})


def desk_table_view(request, table):
    view_class = desk_table(table)
    if view_class is None:
        if not can_use_desk(request.user):
            return deny_or_login(request)
        raise Http404
    return view_class.as_view()(request)


class DeskApp(HezuoApplication):
    title = _("Audit desk")
    icon = "fact_check"
    app_name = "desk"
    permission = staticmethod(can_use_desk)

    index_path = path("", desk_index, name="index")
    table_path = path("<slug:table>/", desk_table_view, name="table")
    audit_event_path = path("audit/<int:seq>/", audit_event, name="audit_event")
    verify_chain_path = path("audit/verify/", verify_chain_page, name="verify_chain")
    documents_zip_path = path("documents/zip/", documents_zip, name="documents_zip")

    def get_context_data(self, request):
        links = [{"url": reverse("desk:index"), "title": _("All tables"), "icon": "dashboard", "active": False}]
        links += [
            {"url": reverse("desk:table", args=[v.slug]), "title": v.page_title, "icon": v.icon, "active": False}
            for v in desk_tables()
        ]
        matching = [link for link in links if request.path.startswith(link["url"])]
        if matching:
            max(matching, key=lambda link: len(link["url"]))["active"] = True
        return {"hezuo_app_links": links}
