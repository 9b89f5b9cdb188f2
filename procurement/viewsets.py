"""The staff side of procurement in the UI shell: providers, service projects, recruitments,
and the panel workflow's inbox."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.urls import URLResolver, path
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _
from viewflow.workflow.flow import FlowAppViewset
from viewflow.workflow.flow.views import FlowArchiveListView, FlowChartView, FlowInboxListView
from viewflow.workflow.models import Process

from core.permissions import is_admin_anywhere, is_auditor_anywhere, is_staff_anywhere
from core.site import HezuoApplication, MenuLink

from . import views, views_panel, views_recruitment
from .flows import PanelFlow
from .permissions import provider_of


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
        MenuLink("procurement:recruitment_list", _("Recruitments"), "campaign", _staff),
    )

    provider_list_path = path("providers/", views.ProviderListView.as_view(), name="provider_list")
    provider_detail_path = path("providers/<int:pk>/", views.provider_detail, name="provider_detail")
    project_list_path = path("projects/", views.ServiceProjectListView.as_view(), name="project_list")
    project_create_path = path("projects/new/", views.project_create, name="project_create")
    project_detail_path = path("projects/<int:pk>/", views.project_detail, name="project_detail")
    project_edit_path = path("projects/<int:pk>/edit/", views.project_edit, name="project_edit")

    recruitment_list_path = path(
        "recruitments/", views_recruitment.RecruitmentListView.as_view(), name="recruitment_list"
    )
    recruitment_create_path = path("recruitments/new/", views_recruitment.recruitment_create, name="recruitment_create")
    recruitment_detail_path = path(
        "recruitments/<int:pk>/", views_recruitment.recruitment_detail, name="recruitment_detail"
    )
    recruitment_edit_path = path(
        "recruitments/<int:pk>/edit/", views_recruitment.recruitment_edit, name="recruitment_edit"
    )
    recruitment_publish_path = path(
        "recruitments/<int:pk>/publish/", views_recruitment.recruitment_publish, name="recruitment_publish"
    )
    recruitment_cancel_path = path(
        "recruitments/<int:pk>/cancel/", views_recruitment.recruitment_cancel, name="recruitment_cancel"
    )
    recruitment_reissue_path = path(
        "recruitments/<int:pk>/reissue/", views_recruitment.recruitment_reissue, name="recruitment_reissue"
    )
    panel_assign_path = path("recruitments/<int:pk>/panel/", views_recruitment.panel_assign, name="panel_assign")
    panel_replace_path = path(
        "recruitments/<int:pk>/panel/<int:member_pk>/replace/", views_recruitment.panel_replace, name="panel_replace"
    )
    correction_request_path = path(
        "recruitments/<int:pk>/corrections/", views_recruitment.correction_request, name="correction_request"
    )
    correction_decide_path = path(
        "recruitments/<int:pk>/corrections/<int:correction_pk>/",
        views_recruitment.correction_decide,
        name="correction_decide",
    )
    award_propose_path = path("recruitments/<int:pk>/award/", views_recruitment.award_propose, name="award_propose")
    objection_answer_path = path(
        "recruitments/<int:pk>/objections/<int:objection_pk>/",
        views_recruitment.objection_answer,
        name="objection_answer",
    )
    recruitment_finalise_path = path(
        "recruitments/<int:pk>/finalise/", views_recruitment.recruitment_finalise, name="recruitment_finalise"
    )
    panel_task_path = path("panel/<int:member_pk>/", views_panel.panel_task, name="panel_task")


def _login_first(patterns):
    """Viewflow's pages answer a visitor who is not logged in with a 403; send them to log in."""
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            _login_first(pattern.url_patterns)
        else:
            pattern.callback = login_required(pattern.callback)
    return patterns


class PanelChartView(FlowChartView):
    """The flow's diagram for anyone on the app; one process's progress only for who may follow it."""

    def dispatch(self, request, *args, **kwargs):
        if "process_pk" in kwargs:
            process = get_object_or_404(Process, pk=kwargs["process_pk"], flow_class=self.flow_class)
            if not self.flow_class.instance.has_view_permission(request.user, process):
                raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)


def _when(value) -> str:
    return date_format(timezone.localtime(value), "Y-m-d H:i") if value else ""


class PanelTaskColumns:
    """The panel's task lists in the palace's words: which task, for which recruitment, when."""

    def task_title(self, task):
        return task.title

    task_title.short_description = _("Task")

    def recruitment(self, task):
        return task.process.brief

    recruitment.short_description = _("Recruitment")

    def received(self, task):
        return _when(task.created)

    received.short_description = _("Received")

    def done(self, task):
        return _when(task.finished)

    done.short_description = _("Done")


class PanelInboxView(PanelTaskColumns, FlowInboxListView):
    title = _("My panel tasks")
    columns = ("task_id", "task_title", "recruitment", "received")


class PanelArchiveView(PanelTaskColumns, FlowArchiveListView):
    title = _("Done")
    columns = ("task_id", "task_title", "recruitment", "done")


class PanelFlowApp(FlowAppViewset):
    """The evaluators' inbox and archive of panel tasks (procurement/flows.py).

    Mounted without viewflow's dashboard, process and task lists, queue, bulk
    (un)assignment and process cancelling: those list every palace's processes, or
    move a process behind the services' back.
    """

    icon = "how_to_vote"
    chart_view_class = PanelChartView
    inbox_view_class = PanelInboxView
    archive_view_class = PanelArchiveView
    menu_template_name = "procurement/panel/flow_menu.html"
    base_template_name = "core/page.html"
    process_list_path = None
    task_list_path = None
    process_cancel_path = None
    tasks_assign_path = None
    tasks_unassign_path = None
    queue_path = None

    def __init__(self, **kwargs):
        super().__init__(PanelFlow, **kwargs)

    @property
    def index_path(self):
        return path("", lambda request: redirect(self.reverse("inbox")), name="index")

    def has_view_permission(self, user, obj=None):
        # A visitor who is not logged in reaches the view, which sends them to log in.
        if not user.is_authenticated:
            return True
        return provider_of(user) is None and super().has_view_permission(user, obj=obj)

    def _get_urls(self):
        return _login_first(super()._get_urls())
