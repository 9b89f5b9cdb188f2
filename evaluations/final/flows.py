"""A final evaluation (终期评价, DOMAIN.md §5) as a viewflow process with an inbox.

When a contract's final evaluation opens (``final_evaluation_open``, 30 days before the
end of the term) a process starts, with the evaluation as its artifact. The palace's
administrators have a task to name the panel review; then every seat on the panel has a
task for its evaluator: declare a conflict of interest with the provider, then score the
term. A seat whose evaluator recuses waits for the administrator to appoint a
replacement, whose own task takes its place. When every seat has submitted, each
evaluator with an outlier score has a task to justify it; the panel then compiles and
the rating is proposed. The appeal window follows: it ends when the provider lodges the
appeal or when the window closes (the tick job). An appeal gives the administrators a
task to decide it; then the administrators sign off, and a 差 needs a second
administrator to confirm it::

    start ─▶ name_panel ─▶ seats ═▶ seat ─▶ recused? ─yes─▶ replacement ─▶ seat (the replacement)
                                                └─no──▶ seats_done ─▶ outliers? ─no─────────────────────┐
                                                                          └─yes─▶ justifications ═▶ justify ─▶ justified
        ┌──────────────────────────────────────────────────────────────────────────────────────────────┘
        ▼
    compiled ─▶ appeal_window ─▶ appealed? ─yes─▶ decide_appeal ─▶ sign_off ─▶ poor? ─yes─▶ confirm ─▶ end
                                     └─no──────────────────────────▶ sign_off      └─no─────────────────▶ end

The nodes are the panel workflow's (procurement/flows.py) and the rectification
workflow's ``PageTask`` (evaluations/flows.py): a seat's task is its evaluator's alone; a
task for the administrators is left unassigned, with the palace's administrators as its
``owner_permission`` (``admin_pool``), and whoever does the work becomes its owner.

The services are the only writers of both the evaluation and its process, exactly as
with the panel and rectification. Each sends ``final_changed`` inside its transaction
after it changes an evaluation, and ``follow_final`` moves the process to match: it
starts it, completes the tasks whose work is done and runs the waiting handles. Task
pages forward to the panel's, the seat's or the evaluation's page, whose forms call the
services; no page completes a task itself.
"""

from django.contrib.contenttypes.models import ContentType
from django.dispatch import receiver
from django.shortcuts import redirect
from django.utils.translation import gettext_lazy as _
from viewflow import this
from viewflow.workflow import flow, lock
from viewflow.workflow.models import Process, Task
from viewflow.workflow.status import PROCESS, STATUS

from core.models import AuditEvent, Role
from core.permissions import has_role, is_staff_anywhere
from evaluations.final.models import Appeal, FinalEvaluation, FinalPanelSeat
from evaluations.final.signals import final_changed
from evaluations.rectification.flows import PageTask, admin_pool, complete_task
from procurement.flows import Begin, Finish, Gate, Meet, SeatSplit, SeatTask, Waiting
from procurement.permissions import provider_of

OPEN = (STATUS.NEW, STATUS.ASSIGNED, STATUS.STARTED)
State = FinalEvaluation.State
SEAT_DONE = {  # the seat's node whose task ends, and the seat states that end it
    "seat": {FinalPanelSeat.State.RECUSED, FinalPanelSeat.State.SUBMITTED, FinalPanelSeat.State.JUSTIFYING},
    "justify": {FinalPanelSeat.State.SUBMITTED},
}
# The waiting handles, and the evaluation states that end each.
AFTER_PANEL = {State.PROPOSED, State.APPEALED, State.SIGN_OFF, State.CONFIRMING, State.FINAL}
WAIT_DONE = {"compiled": AFTER_PANEL, "appeal_window": AFTER_PANEL - {State.PROPOSED}}


def _palace_admins(activation) -> str:
    return admin_pool(activation.process.artifact.contract.palace_id)


# --- task pages ------------------------------------------------------------------------------------


def panel_task(request, task):
    """Naming the panel: its form is on the panel's page."""
    return redirect("evaluations:final_panel_assign", pk=task.process.artifact_object_id)


def seat_task(request, task):
    """Declaring, scoring, justifying: the seat's page (checked by the node: the seat's evaluator only)."""
    return redirect("evaluations:final_seat", pk=task.data["seat"])


def evaluation_task(request, task):
    """Deciding the appeal, signing off, confirming: their forms are on the evaluation's page."""
    return redirect("evaluations:final_detail", pk=task.process.artifact_object_id)


# --- the flow ------------------------------------------------------------------------------------


def _seat_task(title):
    return (
        SeatTask(seat_task)
        .Annotation(title=title, summary_template="{{ process.artifact.contract }}")
        .Assign(this.seat_evaluator)
        .onCreate(this.link_seat)
    )


def _admin_task(view, title):
    return (
        PageTask(view)
        .Annotation(title=title, summary_template="{{ process.artifact.contract }}")
        .Permission(_palace_admins)
    )


class FinalEvaluationFlow(flow.Flow):
    """Final evaluation"""

    process_title = _("Final evaluation workflow")
    process_description = _(
        "The panel review of a contract's term, the proposed rating and its appeal window, "
        "the appeal's decision, the sign-off and, for a 差, a second administrator's "
        "confirmation."
    )
    process_summary_template = "{{ process.artifact.contract }}"

    @property
    def flow_label(self) -> str:
        # Not viewflow's label from the module path ("final/flows/finalevaluation"): a name of the flow's own.
        return "finalevaluation"

    lock_impl = lock.select_for_update_lock

    start = Begin(this.begin).Annotation(title=_("Final evaluation opened")).Next(this.name_panel)
    name_panel = _admin_task(panel_task, _("Name the final panel review")).Next(this.seats)
    seats = SeatSplit().Annotation(title=_("A task for every seat")).Next(this.seat, data_source=this.seats_to_fill)
    seat = _seat_task(_("Declare conflicts and score the term")).Next(this.recused, task_data=this.same_seat)
    recused = (
        Gate(this.seat_recused)
        .Annotation(title=_("Recused?"))
        .Then(this.replacement, task_data=this.same_seat)
        .Else(this.seats_done)
    )
    replacement = (
        Waiting()
        .Annotation(title=_("Await a replacement evaluator"), summary_template="{{ process.artifact.contract }}")
        .Next(this.seat, task_data=this.replacement_seat)
    )
    seats_done = Meet().Annotation(title=_("Every seat submitted")).Next(this.outliers)
    outliers = (
        Gate(this.anyone_justifying)
        .Annotation(title=_("Outliers to justify?"))
        .Then(this.justifications)
        .Else(this.compiled)
    )
    justifications = (
        SeatSplit()
        .Annotation(title=_("A task for every flagged seat"))
        .Next(this.justify, data_source=this.seats_justifying)
    )
    justify = _seat_task(_("Justify outlier scores")).Next(this.justified)
    justified = Meet().Annotation(title=_("Every outlier justified")).Next(this.compiled)
    compiled = Waiting().Annotation(title=_("Panel compiled, rating proposed")).Next(this.appeal_window)
    appeal_window = (
        Waiting()
        .Annotation(title=_("Appeal window (5 working days)"), summary_template="{{ process.artifact.contract }}")
        .Next(this.appealed)
    )
    appealed = Gate(this.appeal_lodged).Annotation(title=_("Appealed?")).Then(this.decide_appeal).Else(this.sign_off)
    decide_appeal = _admin_task(evaluation_task, _("Decide the appeal")).Next(this.sign_off)
    sign_off = _admin_task(evaluation_task, _("Sign off the final rating")).Next(this.poor)
    poor = Gate(this.needs_confirmation).Annotation(title=_("Rated 差?")).Then(this.confirm).Else(this.end)
    confirm = _admin_task(evaluation_task, _("Confirm the 差 rating (second administrator)")).Next(this.end)
    end = Finish().Annotation(title=_("Rating final"))

    # The process carries the evaluation; a seat's tasks carry {"seat": <FinalPanelSeat pk>} and the seat.

    def begin(self, activation, evaluation: FinalEvaluation):
        activation.process.artifact = evaluation
        return activation.process

    def _evaluation(self, activation) -> FinalEvaluation:
        return FinalEvaluation.objects.get(pk=activation.process.artifact_object_id)

    def seats_to_fill(self, activation) -> list[dict]:
        # The current holder of every seat: a recused evaluator's replacement, not the evaluator.
        return [
            {"seat": pk}
            for pk in FinalPanelSeat.objects.filter(
                evaluation_id=activation.process.artifact_object_id, replaced_by__isnull=True
            )
            .order_by("pk")
            .values_list("pk", flat=True)
        ]

    def seats_justifying(self, activation) -> list[dict]:
        return [
            {"seat": pk}
            for pk in FinalPanelSeat.objects.filter(
                evaluation_id=activation.process.artifact_object_id, state=FinalPanelSeat.State.JUSTIFYING
            )
            .order_by("pk")
            .values_list("pk", flat=True)
        ]

    def seat_evaluator(self, activation):
        return FinalPanelSeat.objects.select_related("evaluator").get(pk=activation.task.data["seat"]).evaluator

    def link_seat(self, activation):
        task = activation.task
        task.artifact_content_type = ContentType.objects.get_for_model(FinalPanelSeat)
        task.artifact_object_id = task.data["seat"]
        task.save(update_fields=["artifact_content_type", "artifact_object_id"])

    def same_seat(self, activation) -> dict:
        return {"seat": activation.task.data["seat"]}

    def replacement_seat(self, activation) -> dict:
        return {"seat": FinalPanelSeat.objects.get(replaces_id=activation.task.data["seat"]).pk}

    def seat_recused(self, activation) -> bool:
        return FinalPanelSeat.objects.filter(
            pk=activation.task.data["seat"], state=FinalPanelSeat.State.RECUSED
        ).exists()

    def anyone_justifying(self, activation) -> bool:
        return FinalPanelSeat.objects.filter(
            evaluation_id=activation.process.artifact_object_id, state=FinalPanelSeat.State.JUSTIFYING
        ).exists()

    def appeal_lodged(self, activation) -> bool:
        return Appeal.objects.filter(evaluation_id=activation.process.artifact_object_id).exists()

    def needs_confirmation(self, activation) -> bool:
        # A 差 awaits (or, if the second administrator was quick, has had) its confirmation.
        evaluation = self._evaluation(activation)
        return evaluation.state == State.CONFIRMING or evaluation.confirmed_by_id is not None

    def may_do(self, node: str, user, task) -> bool:
        """Whether ``user`` is whom an administrators' task is for (its state aside: the page says what is left)."""
        evaluation = FinalEvaluation.objects.select_related("contract").get(pk=task.process.artifact_object_id)
        if not has_role(user, evaluation.contract.palace_id, Role.ADMIN):
            return False
        # The second administrator confirms a 差: not the one who signed it off.
        return node != "confirm" or evaluation.signed_off_by_id != user.pk

    def has_view_permission(self, user, obj=None):
        if not user.is_authenticated or provider_of(user) is not None:
            return False
        if obj is None:
            return user.is_superuser or is_staff_anywhere(user)
        evaluation = obj.artifact if isinstance(obj, Process) else obj
        if not isinstance(evaluation, FinalEvaluation):
            return False
        palace_id = evaluation.contract.palace_id
        if user.is_superuser or has_role(user, palace_id, Role.ADMIN, Role.AUDITOR):
            return True
        return has_role(user, palace_id, Role.EVALUATOR) and evaluation.panel.filter(evaluator=user).exists()

    def has_manage_permission(self, user, obj=None):
        # Nobody steers the process by hand; the services do (see the module docstring).
        return False


# --- following the domain ----------------------------------------------------------------------------


def final_process(evaluation: FinalEvaluation) -> Process | None:
    return (
        Process.objects.filter(
            flow_class=FinalEvaluationFlow,
            artifact_content_type=ContentType.objects.get_for_model(FinalEvaluation),
            artifact_object_id=evaluation.pk,
        )
        .order_by("-pk")
        .first()
    )


def open_task(evaluation: FinalEvaluation, node: str) -> Task | None:
    """The evaluation's open task at ``node`` (e.g. "name_panel", "sign_off", "confirm"), if any."""
    process = final_process(evaluation)
    if process is None:
        return None
    return (
        Task.objects.filter(process=process, flow_task=getattr(FinalEvaluationFlow, node), status__in=OPEN)
        .order_by("-pk")
        .first()
    )


@receiver(final_changed, dispatch_uid="evaluations.final.flows.follow_final")
def follow_final(sender, evaluation: FinalEvaluation, **kwargs) -> None:
    """Bring the evaluation's process up to date with the evaluation and its panel."""
    process = final_process(evaluation)
    if evaluation.state == State.CANCELLED:
        # An early termination overtook the evaluation: its open tasks leave every inbox.
        if process is not None and process.status == PROCESS.NEW:
            FinalEvaluationFlow.instance.cancel(process)
        return
    if process is None:
        process = FinalEvaluationFlow.start.run(evaluation=evaluation)
    if process.status != PROCESS.NEW:
        return
    with FinalEvaluationFlow.lock(process.pk):
        while _advance(process):
            pass


def _panel_named_by(evaluation: FinalEvaluation):
    event = (
        AuditEvent.objects.filter(
            action="final_panel.assigned", object_id=str(evaluation.pk), object_type=FinalEvaluation._meta.label
        )
        .select_related("actor")
        .order_by("-seq")
        .first()
    )
    return event.actor if event else None


def _advance(process: Process) -> bool:
    """Take one step the evaluation's state calls for; False when there is none left."""
    evaluation = FinalEvaluation.objects.select_related("signed_off_by", "confirmed_by").get(
        pk=process.artifact_object_id
    )
    seats = {s.pk: s for s in FinalPanelSeat.objects.filter(evaluation=evaluation).select_related("replaced_by")}
    for task in Task.objects.filter(process=process, status__in=OPEN).order_by("pk"):
        name = task.flow_task.name
        if name in SEAT_DONE:
            seat = seats.get((task.data or {}).get("seat"))
            if seat is not None and seat.state in SEAT_DONE[name]:
                complete_task(task, seat.evaluator)
                return True
        elif name == "replacement":
            seat = seats.get((task.data or {}).get("seat"))
            if seat is not None and hasattr(seat, "replaced_by"):
                FinalEvaluationFlow.replacement.run(task)
                return True
        elif name in WAIT_DONE:
            if evaluation.state in WAIT_DONE[name]:
                getattr(FinalEvaluationFlow, name).run(task)
                return True
        elif name == "name_panel" and seats:
            complete_task(task, _panel_named_by(evaluation))
            return True
        elif name == "decide_appeal":
            appeal = Appeal.objects.filter(evaluation=evaluation).exclude(decision="").first()
            if appeal is not None:
                complete_task(task, appeal.decided_by)
                return True
        elif name == "sign_off" and evaluation.signed_off_by_id is not None:
            complete_task(task, evaluation.signed_off_by)
            return True
        elif name == "confirm" and evaluation.confirmed_by_id is not None:
            complete_task(task, evaluation.confirmed_by)
            return True
    return False


__all__ = ["FinalEvaluationFlow", "final_process", "follow_final", "open_task"]
