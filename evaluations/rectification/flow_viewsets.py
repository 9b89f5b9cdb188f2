"""The rectification workflow's app in the UI shell: an inbox and an archive (evaluations/flows.py).

Providers answer orders, evaluators re-inspect, administrators decide termination
reviews; each sees here the tasks that are theirs, whether assigned to them or to a
group they belong to. Mounted without viewflow's dashboard, process and task lists,
queue, bulk (un)assignment and process cancelling: those list every palace's
processes, or move a process behind the services' back.

``PooledFlowApp`` and its views are the shape of such an app for any flow whose group
tasks carry a pool as ``owner_permission`` (``flows.pools_of``): the final evaluation's
app (evaluations/flow_viewsets_final.py) is one too.
"""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.shortcuts import get_object_or_404, redirect
from django.urls import URLResolver, path
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _
from viewflow import viewprop
from viewflow.workflow.flow import FlowAppViewset
from viewflow.workflow.flow.views import FlowArchiveListView, FlowChartView, FlowInboxListView
from viewflow.workflow.models import Process, Task
from viewflow.workflow.status import STATUS

from evaluations.rectification.flows import RectificationFlow, pools_of
from evaluations.rectification.models import RectificationOrder


def inbox_tasks(user, flow_class=RectificationFlow):
    """The user's open tasks of ``flow_class``: assigned to them, or to a group they belong to."""
    return (
        Task.objects.filter(process__flow_class=flow_class)
        .filter(
            Q(owner=user, status=STATUS.ASSIGNED)
            | Q(owner__isnull=True, status=STATUS.NEW, owner_permission__in=pools_of(user))
        )
        .select_related("process")
    )


def _login_first(patterns):
    """Viewflow's pages answer a visitor who is not logged in with a 403; send them to log in."""
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            _login_first(pattern.url_patterns)
        else:
            pattern.callback = login_required(pattern.callback)
    return patterns


def _when(value) -> str:
    return date_format(timezone.localtime(value), "Y-m-d H:i") if value else ""


class GuardedChartView(FlowChartView):
    """The flow's diagram for anyone on the app; one process's progress only for who may see the process."""

    def dispatch(self, request, *args, **kwargs):
        if "process_pk" in kwargs:
            process = get_object_or_404(Process, pk=kwargs["process_pk"], flow_class=self.flow_class)
            if not self.flow_class.instance.has_view_permission(request.user, process):
                raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)


class TaskTimes:
    """The columns every task list has: which task, received when, done when."""

    def task_title(self, task):
        return task.title

    task_title.short_description = _("Task")

    def received(self, task):
        return _when(task.created)

    received.short_description = _("Received")

    def done(self, task):
        return _when(task.finished)

    done.short_description = _("Done")


class PooledInboxView(FlowInboxListView):
    """The user's open tasks: assigned to them, or to a group they belong to (not only viewflow's assigned)."""

    @classmethod
    def tasks_for(cls, user, flow_class):
        """What the inbox lists, and the menu counts."""
        return inbox_tasks(user, flow_class)

    @viewprop
    def queryset(self):
        return self.tasks_for(self.request.user, self.flow_class).order_by("-created")


class TaskColumns(TaskTimes):
    """The task lists in the palace's words: which task, for which order and contract, by when."""

    def _orders(self) -> dict[int, RectificationOrder]:
        # One query for the page's orders, whatever the number of rows.
        if not hasattr(self, "_order_cache"):
            ids = {t.process.artifact_object_id for t in self.object_list}
            self._order_cache = {
                o.pk: o for o in RectificationOrder.objects.filter(pk__in=ids).select_related("contract")
            }
        return self._order_cache

    def _order(self, task) -> RectificationOrder | None:
        return self._orders().get(task.process.artifact_object_id)

    def order(self, task):
        order = self._order(task)
        return order.number if order else ""

    order.short_description = _("Rectification order")

    def contract(self, task):
        order = self._order(task)
        return order.contract.number if order else ""

    contract.short_description = _("Contract")

    def deadline(self, task):
        order = self._order(task)
        if order is None or task.flow_task.name != "respond":
            return ""
        return date_format(order.deadline, "Y-m-d")

    deadline.short_description = _("Answer by")


class RectificationInboxView(TaskColumns, PooledInboxView):
    title = _("My rectification tasks")
    columns = ("task_id", "task_title", "order", "contract", "deadline", "received")


class RectificationArchiveView(TaskColumns, FlowArchiveListView):
    title = _("Done")
    columns = ("task_id", "task_title", "order", "contract", "done")


class PooledFlowApp(FlowAppViewset):
    """A flow's inbox (its tasks for the user or a group of theirs) and archive, and nothing that steers it."""

    chart_view_class = GuardedChartView
    inbox_view_class = PooledInboxView
    menu_template_name = "evaluations/rectification/flow_menu.html"
    base_template_name = "core/page.html"
    process_list_path = None
    task_list_path = None
    process_cancel_path = None
    tasks_assign_path = None
    tasks_unassign_path = None
    queue_path = None

    @property
    def index_path(self):
        return path("", lambda request: redirect(self.reverse("inbox")), name="index")

    def has_view_permission(self, user, obj=None):
        # A visitor who is not logged in reaches the view, which sends them to log in.
        if not user.is_authenticated:
            return True
        return super().has_view_permission(user, obj=obj)

    def get_context_data(self, request):
        if not request.user.is_authenticated:
            return {"user_inbox": Task.objects.none()}
        return {"user_inbox": self.inbox_view_class.tasks_for(request.user, self._flow_class)}

    def _get_urls(self):
        return _login_first(super()._get_urls())


class RectificationFlowApp(PooledFlowApp):
    """The inbox and archive of rectification tasks, for providers and the palace's staff."""

    icon = "build_circle"
    inbox_view_class = RectificationInboxView
    archive_view_class = RectificationArchiveView

    def __init__(self, **kwargs):
        super().__init__(RectificationFlow, **kwargs)
