"""The staff and provider UI shell: viewflow's Material ``Site`` with one application per area."""

from collections.abc import Callable
from dataclasses import dataclass

from django.urls import NoReverseMatch, path, reverse
from django.utils.translation import gettext_lazy as _
from viewflow.urls import Application, Site

from .login_locks import can_clear_login_locks
from .views import HomeView
from .views_login_locks import login_lock_clear_view, login_locks
from .views_notifications import NotificationListView, mark_all_read, mark_read


@dataclass(frozen=True)
class MenuLink:
    url_name: str
    title: str
    icon: str
    allowed: Callable = lambda user: True


class HezuoApplication(Application):
    """An application whose menu is a list of links, each shown only to users it is for."""

    menu_template_name = "core/app_menu.html"
    menu: tuple[MenuLink, ...] = ()
    permission: Callable | None = None

    def has_view_permission(self, user, obj=None):
        # Anonymous visitors pass here so that each view can send them to the login page;
        # viewflow's SiteMiddleware would otherwise answer a bare 403.
        if not user.is_authenticated:
            return True
        return self.permission(user) if self.permission else True

    def get_context_data(self, request):
        links = []
        for link in self.menu:
            if link.allowed(request.user):
                try:
                    url = reverse(link.url_name)
                except NoReverseMatch:
                    continue
                links.append({"url": url, "title": link.title, "icon": link.icon, "active": False})
        # The most specific link under which the page lies is the active one: an app whose
        # first link is its root would otherwise light that link up on every page.
        matching = [link for link in links if request.path.startswith(link["url"])]
        if matching:
            max(matching, key=lambda link: len(link["url"]))["active"] = True
        return {"hezuo_app_links": links}


class HomeApp(HezuoApplication):
    title = _("Workbench")
    icon = "home"
    app_name = "workbench"
    menu = (
        MenuLink("workbench:index", _("Home"), "dashboard"),
        MenuLink("workbench:notifications", _("Notifications"), "notifications"),
        MenuLink("workbench:login_locks", _("Locked logins"), "lock_person", can_clear_login_locks),
    )

    index_path = path("", HomeView.as_view(), name="index")
    notifications_path = path("notifications/", NotificationListView.as_view(), name="notifications")
    notification_read_path = path("notifications/<int:pk>/read/", mark_read, name="notification_read")
    notifications_read_all_path = path("notifications/read/", mark_all_read, name="notifications_read_all")
    login_locks_path = path("login-locks/", login_locks, name="login_locks")
    login_lock_clear_path = path("login-locks/<int:pk>/unlock/", login_lock_clear_view, name="login_lock_clear")


class HezuoSite(Site):
    title = _("Hezuo")
    primary_color = "#b71c1c"
    secondary_color = "#f9a825"

    def has_view_permission(self, user, obj=None):
        # Anonymous visitors reach each view, which sends them to the login page.
        return True
