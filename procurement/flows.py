"""The panel's work on one recruitment (DOMAIN.md §1), as a viewflow process with an inbox.

When the administrator names the panel (``panel_assign``) a process starts, with the
recruitment as its artifact. Every seat on the panel gets a task assigned to its
evaluator: declare conflicts of interest for each applicant, then score the
applications on the subjective criteria. A seat whose evaluator recuses waits for the
administrator to appoint a replacement (``panel_replace``), whose own task takes its
place. When every seat has submitted, each evaluator with an outlier score (further
than 30% of the maximum from the panel median) gets a task to justify it; the last
justification compiles the scores, and the process ends. An objection upheld during publicity reopens
the seats, and a new process starts for the new round::

    start ─▶ seats ═▶ evaluate ─▶ recused? ─yes─▶ replacement ─▶ evaluate (the replacement)
                                      └─no──▶ seats_done ─▶ outliers? ─no──────────────────────▶ end
                                                                 └─yes─▶ justifications ═▶ justify ─▶ justified ─▶ end

The services are the only writers of both the panel and its process. Each sends
``panel_changed`` after it changes a panel (or cancels the recruitment), inside its
transaction, and ``follow_panel`` moves the process to match: it starts it, completes
the tasks whose work is done, runs the replacement handles and cancels the process of
a cancelled recruitment. Task views bind a form and call a service; they never
complete a task themselves, so a panel moved by any caller (a page, a script, the demo
seeder) leaves every inbox right.
"""

from django.contrib.contenttypes.models import ContentType
from django.dispatch import receiver
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.urls import path
from django.utils.translation import gettext_lazy as _
from viewflow import this
from viewflow.workflow import flow, lock
from viewflow.workflow.activation import Activation
from viewflow.workflow.exceptions import FlowRuntimeError
from viewflow.workflow.flow import utils as flow_utils
from viewflow.workflow.models import Process, Task
from viewflow.workflow.nodes.split import SplitActivation
from viewflow.workflow.status import PROCESS, STATUS

from core.permissions import is_staff_anywhere
from core.viewmixins import deny_or_login

from . import views_panel
from .models import PanelMember, Recruitment
from .permissions import can_follow_panel
from .services.recruitment import panel_changed

OPEN = (STATUS.NEW, STATUS.ASSIGNED, STATUS.STARTED)
SEAT_DONE = {  # the node whose task ends, and the member states that end it
    "evaluate": {PanelMember.State.RECUSED, PanelMember.State.SUBMITTED, PanelMember.State.JUSTIFYING},
    "justify": {PanelMember.State.SUBMITTED},
}


# --- nodes ---------------------------------------------------------------------------------------


class DomainDriven:
    """A panel node shows its index and detail pages only.

    Viewflow's undo, revive, cancel, (un)assign and re-execute pages would move the
    process behind the services' back, so they are not mounted at all; whoever may
    follow the panel may see its tasks.
    """

    undo_path = None
    revive_path = None
    cancel_path = None
    execute_path = None
    assign_path = None
    unassign_path = None

    @property
    def index_path(self):
        return path(
            f"<int:process_pk>/{self.name}/<int:task_pk>/",
            flow_utils.wrap_task_view(self, self.index_view, permission=self.can_view),
            name="index",
        )

    def can_view(self, user, task):
        return self.flow_class.instance.has_view_permission(user, task.process)


class SeatSplitActivation(SplitActivation):
    @Activation.status.super()
    def activate(self):
        for node, case, data_source in self.flow_task._branches:
            if case and not case(self):
                continue
            if data_source is None:
                self.next_tasks.append((node, None))
            else:
                self.next_tasks.extend((node, item) for item in data_source(self))
        if not self.next_tasks:
            raise FlowRuntimeError(f"No next task available for {self.flow_task.name}")


class SeatSplit(DomainDriven, flow.Split):
    """A parallel split that starts one task per item of ``data_source`` (one per panel seat).

    Viewflow 2.4 documents ``Split.Next(..., data_source=...)`` but its open-source
    split ignores it; this is the documented behaviour, each task's ``data`` an item.
    """

    activation_class = SeatSplitActivation

    def Next(self, node, case=None, data_source=None):
        self._activate_next.append((node, case, data_source))
        return self


class SeatTask(DomainDriven, flow.View):
    """A human task for one panel seat, executed only by the seat's evaluator.

    Opened once its work is done (a second tab, the back button, a double submit),
    the page explains that instead of failing: see ``views_panel.seat_task``.
    """

    @property
    def view_path(self):
        return path(f"<int:process_pk>/{self.name}/<int:task_pk>/execute/", self._seat_view, name="execute")

    def _seat_view(self, request, process_pk: int, task_pk: int):
        task = get_object_or_404(Task.objects.select_related("process"), pk=task_pk, process_id=process_pk)
        if task.flow_task != self:
            raise Http404
        if not self.can_execute(request.user, task):
            return deny_or_login(request)
        # No process lock here, unlike viewflow's own task views: the services lock the
        # recruitment, then the seat, then (through follow_panel) the process, and a lock
        # taken here first would invert that order. Two posts of one sheet queue on the
        # service's locks, and the second is refused with the service's message.
        return self.view(request, task=task)


class Gate(DomainDriven, flow.If):
    pass


class Waiting(DomainDriven, flow.Handle):
    pass


class Meet(DomainDriven, flow.Join):
    pass


class Begin(DomainDriven, flow.StartHandle):
    pass


class Finish(DomainDriven, flow.End):
    pass


# --- the flow ------------------------------------------------------------------------------------


class PanelFlow(flow.Flow):
    """Panel evaluation"""

    process_title = _("Panel evaluation")
    process_description = _("Conflict declarations, sealed scoring and outlier justifications of one panel.")
    process_summary_template = "{{ process.artifact }}"
    lock_impl = lock.select_for_update_lock

    start = Begin(this.begin).Annotation(title=_("Panel named")).Next(this.seats)
    seats = SeatSplit().Annotation(title=_("A task for every seat")).Next(this.evaluate, data_source=this.seats_to_fill)
    evaluate = (
        SeatTask(views_panel.seat_task)
        .Annotation(title=_("Declare conflicts and score"), summary_template="{{ process.artifact }}")
        .Assign(this.seat_evaluator)
        .onCreate(this.link_seat)
        .Next(this.recused, task_data=this.same_seat)
    )
    recused = (
        Gate(this.seat_recused)
        .Annotation(title=_("Recused?"))
        .Then(this.replacement, task_data=this.same_seat)
        .Else(this.seats_done)
    )
    replacement = (
        Waiting()
        .Annotation(title=_("Await a replacement evaluator"), summary_template="{{ process.artifact }}")
        .Next(this.evaluate, task_data=this.replacement_seat)
    )
    seats_done = Meet().Annotation(title=_("Every seat submitted")).Next(this.outliers)
    outliers = (
        Gate(this.anyone_justifying)
        .Annotation(title=_("Outliers to justify?"))
        .Then(this.justifications)
        .Else(this.end)
    )
    justifications = (
        SeatSplit()
        .Annotation(title=_("A task for every flagged seat"))
        .Next(this.justify, data_source=this.seats_justifying)
    )
    justify = (
        SeatTask(views_panel.seat_task)
        .Annotation(title=_("Justify outlier scores"), summary_template="{{ process.artifact }}")
        .Assign(this.seat_evaluator)
        .onCreate(this.link_seat)
        .Next(this.justified)
    )
    justified = Meet().Annotation(title=_("Every outlier justified")).Next(this.end)
    end = Finish().Annotation(title=_("Scores compiled"))

    # Every task of a seat carries {"member": <PanelMember pk>} as its data, and the
    # member as its artifact; the process carries the recruitment.

    def begin(self, activation, recruitment: Recruitment):
        activation.process.artifact = recruitment
        return activation.process

    def seats_to_fill(self, activation) -> list[dict]:
        # The current holder of every seat: a recused member's replacement, not the member.
        recruitment = activation.process.artifact
        return [
            {"member": pk}
            for pk in recruitment.panel.filter(replaced_by__isnull=True).order_by("pk").values_list("pk", flat=True)
        ]

    def seats_justifying(self, activation) -> list[dict]:
        return [
            {"member": pk}
            for pk in activation.process.artifact.panel.filter(state=PanelMember.State.JUSTIFYING)
            .order_by("pk")
            .values_list("pk", flat=True)
        ]

    def seat_evaluator(self, activation):
        return PanelMember.objects.select_related("evaluator").get(pk=activation.task.data["member"]).evaluator

    def link_seat(self, activation):
        task = activation.task
        task.artifact_content_type = ContentType.objects.get_for_model(PanelMember)
        task.artifact_object_id = task.data["member"]
        task.save(update_fields=["artifact_content_type", "artifact_object_id"])

    def same_seat(self, activation) -> dict:
        return {"member": activation.task.data["member"]}

    def replacement_seat(self, activation) -> dict:
        return {"member": PanelMember.objects.get(replaces_id=activation.task.data["member"]).pk}

    def seat_recused(self, activation) -> bool:
        return PanelMember.objects.filter(pk=activation.task.data["member"], state=PanelMember.State.RECUSED).exists()

    def anyone_justifying(self, activation) -> bool:
        return activation.process.artifact.panel.filter(state=PanelMember.State.JUSTIFYING).exists()

    def has_view_permission(self, user, obj=None):
        if obj is None:
            return user.is_authenticated and (user.is_superuser or is_staff_anywhere(user))
        recruitment = obj.artifact if isinstance(obj, Process) else obj
        return isinstance(recruitment, Recruitment) and can_follow_panel(user, recruitment)

    def has_manage_permission(self, user, obj=None):
        # Nobody steers the process by hand; the services do (see the module docstring).
        return False


# --- following the domain ----------------------------------------------------------------------------


def panel_process(recruitment: Recruitment) -> Process | None:
    """The recruitment's panel process, the latest if the panel ever had to start again."""
    return (
        Process.objects.filter(
            flow_class=PanelFlow,
            artifact_content_type=ContentType.objects.get_for_model(Recruitment),
            artifact_object_id=recruitment.pk,
        )
        .order_by("-created", "-pk")
        .first()
    )


@receiver(panel_changed, dispatch_uid="procurement.flows.follow_panel")
def follow_panel(sender, recruitment: Recruitment, **kwargs) -> None:
    """Bring the recruitment's panel process up to date with its panel."""
    process = panel_process(recruitment)
    if recruitment.state == Recruitment.State.CANCELLED:
        if process is not None and process.status == PROCESS.NEW:
            PanelFlow.instance.cancel(process)
        return
    if (
        process is None
        or process.status == PROCESS.CANCELED
        or (process.status == PROCESS.DONE and _seats_to_score(recruitment))
    ):
        # No process yet, or the last one ended and an upheld objection reopened the
        # seats: a new process gives every seat a task again.
        if recruitment.state != Recruitment.State.EVALUATING or not recruitment.panel.exists():
            return
        process = PanelFlow.start.run(recruitment=recruitment)
    with PanelFlow.lock(process.pk):
        while _advance(process):
            pass


def _seats_to_score(recruitment: Recruitment) -> bool:
    return recruitment.panel.filter(replaced_by__isnull=True, state=PanelMember.State.DECLARED).exists()


def _advance(process: Process) -> bool:
    """Take one step the panel's state calls for; False when there is none left."""
    tasks = list(Task.objects.filter(process=process, status__in=OPEN).order_by("pk"))
    members = {
        m.pk: m
        for m in PanelMember.objects.filter(recruitment_id=process.artifact_object_id).select_related("replaced_by")
    }
    for task in tasks:
        member = members.get((task.data or {}).get("member"))
        if member is None:
            continue
        name = task.flow_task.name
        if name in SEAT_DONE and member.state in SEAT_DONE[name]:
            activation = task.flow_task.activation_class(task)
            activation.start(None)
            activation.execute()
            return True
        if name == "replacement" and hasattr(member, "replaced_by"):
            PanelFlow.replacement.run(task)
            return True
    return False
