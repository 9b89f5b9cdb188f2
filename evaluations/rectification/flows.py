"""A rectification order (限期整改, DOMAIN.md §4) as a viewflow process with an inbox.

When a failing month issues an order (``order_issue_for_period``) a process starts,
with the order as its artifact. The contract's provider has a task to answer it;
once answered, the re-inspector (or, when the order names none, any evaluator of
the palace) has a task to re-inspect. A deadline that passes with no answer fails
the order (``orders_fail_overdue``): the answer task ends unanswered and re-inspection
is skipped. If closing the order opened a termination review (the second failed
order of the term), the palace's administrators have a task to decide on early
termination; the decision ends the process::

    start ─▶ respond ─▶ answered? ─yes─▶ reinspect ─▶ review? ─yes─▶ decide ─▶ end
                            └─no (deadline passed)──────▶ review?
                                                              └─no──────────────────▶ end

A task for a group rather than a person (the provider's users, the palace's
evaluators or administrators) is left unassigned, with the group as its
``owner_permission`` (``pool_of``); the inbox of the flow's app lists it to every
member of the group (evaluations/flow_viewsets.py), and whoever does the work
becomes the task's owner when it completes, so it lands in their archive.

The services are the only writers of both the order and its process, exactly as
with the panel (procurement/flows.py). Each sends ``rectification_changed`` inside
its transaction after an order or a review changes, and ``follow_rectification``
moves the processes of the contract to match: it starts the process of a new
order and completes the tasks whose work is done. Task pages forward to the order
or review page, whose forms call the services; no page completes a task itself.
"""

from django.contrib.contenttypes.models import ContentType
from django.dispatch import receiver
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from django.views import generic
from viewflow import this
from viewflow.workflow import flow, lock
from viewflow.workflow.models import Process, Task
from viewflow.workflow.status import PROCESS, STATUS

from contracts.models import Contract
from contracts.permissions import is_party
from core.models import Role
from core.permissions import has_role, is_staff_anywhere, palace_ids
from core.viewmixins import deny_or_login
from evaluations.rectification.models import RectificationOrder, TerminationReview
from evaluations.rectification.permissions import can_view_order
from evaluations.rectification.services import rectification_changed
from procurement.flows import Begin, DomainDriven, Finish, Gate
from procurement.permissions import provider_of

OPEN = (STATUS.NEW, STATUS.ASSIGNED, STATUS.STARTED)


# --- who a task is for ---------------------------------------------------------------------------


def provider_pool(provider_id: int) -> str:
    return f"provider:{provider_id}"


def evaluator_pool(palace_id: int) -> str:
    return f"evaluator:{palace_id}"


def admin_pool(palace_id: int) -> str:
    return f"admin:{palace_id}"


def pools_of(user) -> set[str]:
    """The groups whose unassigned tasks ``user`` may take: their provider, or their palaces by role."""
    if not user.is_authenticated:
        return set()
    pools = {evaluator_pool(p) for p in palace_ids(user, Role.EVALUATOR)}
    pools |= {admin_pool(p) for p in palace_ids(user, Role.ADMIN)}
    provider = provider_of(user)
    if provider is not None:
        pools.add(provider_pool(provider.pk))
    return pools


def _order_of(activation) -> RectificationOrder:
    return activation.process.artifact


def _respond_pool(activation) -> str:
    return provider_pool(_order_of(activation).contract.provider_id)


def _reinspect_pool(activation) -> str:
    return evaluator_pool(_order_of(activation).contract.palace_id)


def _decide_pool(activation) -> str:
    return admin_pool(_order_of(activation).contract.palace_id)


# --- nodes ---------------------------------------------------------------------------------------


class TaskIndexView(generic.RedirectView):
    """A task's link in a list: to the work for whoever may do it, else to the task's details."""

    def get_redirect_url(self, *args, **kwargs):
        activation = self.request.activation
        task, node = activation.task, activation.flow_task
        name = "execute" if node.can_execute(self.request.user, task) else "detail"
        return node.reverse(name, args=[task.process_id, task.pk])


class PageTask(DomainDriven, flow.View):
    """A human task whose work is done on a domain object's own page (the order's, the review's, the
    final evaluation's: evaluations/flows_final.py uses it too).

    The execute page forwards there; the page shows the form to whoever may act, and
    the service it calls moves the process on. Opened once the work is done, it
    forwards all the same, and the page says what became of the object. Who the task is
    for is the flow's ``may_do(node_name, user, task)``.
    """

    index_view_class = TaskIndexView

    @property
    def view_path(self):
        return path(f"<int:process_pk>/{self.name}/<int:task_pk>/execute/", self._task_view, name="execute")

    def _task_view(self, request, process_pk: int, task_pk: int):
        task = get_object_or_404(Task.objects.select_related("process"), pk=task_pk, process_id=process_pk)
        if task.flow_task != self:
            raise Http404
        if not self.can_execute(request.user, task):
            return deny_or_login(request)
        return self.view(request, task=task)

    def can_execute(self, user, task):
        return user.is_authenticated and self.flow_class.instance.may_do(self.name, user, task)

    def can_assign(self, user, task):
        # Nobody takes a task by hand: doing the work on the order's page is taking it.
        return False

    def get_available_actions(self, activation, user):
        # The task's page offers one action, whatever the task's status: the page where the work is done.
        if self.can_execute(user, activation.task):
            yield (
                _("Open the page of the work"),
                self.reverse("execute", args=[activation.task.process_id, activation.task.pk]),
            )


# --- task pages ------------------------------------------------------------------------------------


def order_task(request, task):
    """The answer and re-inspection tasks: their forms are on the order's page."""
    anchor = {"respond": "#respond", "reinspect": "#reinspect"}.get(task.flow_task.name, "")
    return redirect(reverse("evaluations:order", args=[task.process.artifact_object_id]) + anchor)


def review_task(request, task):
    """The decision task: its form is on the termination review's page."""
    return redirect("evaluations:termination_review", pk=task.data["review"])


# --- the flow ------------------------------------------------------------------------------------


class RectificationFlow(flow.Flow):
    """Rectification"""

    process_title = _("Rectification")
    process_description = _(
        "A rectification order answered by the provider, re-inspected, and, after a second "
        "failure in the term, the administrator's decision on early termination."
    )
    process_summary_template = "{{ process.artifact }}"
    lock_impl = lock.select_for_update_lock

    @property
    def flow_label(self) -> str:
        # Viewflow derives the label from the module path (it would be "rectification/flows/rectification"
        # here); the pages' templates live under evaluations/rectification/.
        return "rectification"

    start = Begin(this.begin).Annotation(title=_("Order issued")).Next(this.respond)
    respond = (
        PageTask(order_task)
        .Annotation(title=_("Answer the rectification order"), summary_template="{{ process.artifact }}")
        .Permission(_respond_pool)
        .Next(this.answered)
    )
    answered = (
        Gate(this.was_answered).Annotation(title=_("Answered by the deadline?")).Then(this.reinspect).Else(this.review)
    )
    reinspect = (
        PageTask(order_task)
        .Annotation(title=_("Re-inspect the rectification"), summary_template="{{ process.artifact }}")
        .Assign(this.named_reinspector)
        .Permission(_reinspect_pool)
        .Next(this.review)
    )
    review = (
        Gate(this.opened_review)
        .Annotation(title=_("Second failed order in the term?"))
        .Then(this.decide, task_data=this.review_data)
        .Else(this.end)
    )
    decide = (
        PageTask(review_task)
        .Annotation(title=_("Decide on early termination"), summary_template="{{ process.artifact.contract }}")
        .Permission(_decide_pool)
        .onCreate(this.link_review)
        .Next(this.end)
    )
    end = Finish().Annotation(title=_("Order closed"))

    # The process carries the order; the decision task carries {"review": <pk>} and the review.

    def begin(self, activation, order: RectificationOrder):
        activation.process.artifact = order
        return activation.process

    def named_reinspector(self, activation):
        return _order_of(activation).reinspector

    def was_answered(self, activation) -> bool:
        return RectificationOrder.objects.filter(
            pk=activation.process.artifact_object_id, responded_at__isnull=False
        ).exists()

    def _review_opened_by(self, order_id: int) -> TerminationReview | None:
        # The review the order's failure opened: undecided, and counting this order. A later
        # failure while a review is pending opens none (services.rectification._after_close).
        return TerminationReview.objects.filter(failed_orders=order_id, decision="").order_by("-pk").first()

    def opened_review(self, activation) -> bool:
        order = RectificationOrder.objects.get(pk=activation.process.artifact_object_id)
        return order.state == RectificationOrder.State.FAILED and self._review_opened_by(order.pk) is not None

    def review_data(self, activation) -> dict:
        return {"review": self._review_opened_by(activation.process.artifact_object_id).pk}

    def link_review(self, activation):
        task = activation.task
        task.artifact_content_type = ContentType.objects.get_for_model(TerminationReview)
        task.artifact_object_id = task.data["review"]
        task.save(update_fields=["artifact_content_type", "artifact_object_id"])

    def may_do(self, node: str, user, task) -> bool:
        """Whether ``user`` is whom the task is for (its state aside: the page says what is left to do)."""
        order = RectificationOrder.objects.select_related("contract").get(pk=task.process.artifact_object_id)
        contract = order.contract
        if node == "respond":
            return is_party(user, contract)
        if node == "reinspect":
            if task.owner_id is not None:
                return task.owner_id == user.pk
            return has_role(user, contract.palace_id, Role.EVALUATOR)
        return node == "decide" and has_role(user, contract.palace_id, Role.ADMIN)

    def has_view_permission(self, user, obj=None):
        if not user.is_authenticated:
            return False
        if obj is None:
            return user.is_superuser or is_staff_anywhere(user) or provider_of(user) is not None
        order = obj.artifact if isinstance(obj, Process) else obj
        return isinstance(order, RectificationOrder) and can_view_order(user, order)

    def has_manage_permission(self, user, obj=None):
        # Nobody steers the process by hand; the services do (see the module docstring).
        return False


# --- following the domain ----------------------------------------------------------------------------


def order_process(order: RectificationOrder) -> Process | None:
    return (
        Process.objects.filter(
            flow_class=RectificationFlow,
            artifact_content_type=ContentType.objects.get_for_model(RectificationOrder),
            artifact_object_id=order.pk,
        )
        .order_by("-pk")
        .first()
    )


def open_task(order: RectificationOrder, node: str) -> Task | None:
    """The order's open task at ``node`` ("respond", "reinspect" or "decide"), if any."""
    process = order_process(order)
    if process is None:
        return None
    return (
        Task.objects.filter(process=process, flow_task=getattr(RectificationFlow, node), status__in=OPEN)
        .order_by("-pk")
        .first()
    )


@receiver(rectification_changed, dispatch_uid="evaluations.rectification.flows.follow_rectification")
def follow_rectification(sender, contract: Contract, **kwargs) -> None:
    """Bring the processes of the contract's orders up to date with the orders and reviews."""
    # Always in the same order, so that two transactions following one contract lock its processes alike.
    orders = list(RectificationOrder.objects.filter(contract=contract).select_related("contract").order_by("pk"))
    if not orders:
        return
    processes = {
        p.artifact_object_id: p
        for p in Process.objects.filter(
            flow_class=RectificationFlow,
            artifact_content_type=ContentType.objects.get_for_model(RectificationOrder),
            artifact_object_id__in=[o.pk for o in orders],
        ).order_by("pk")
    }
    for order in orders:
        process = processes.get(order.pk)
        if process is None:
            if order.state not in RectificationOrder.OPEN_STATES:
                continue  # closed before the flow followed it (older data): nothing to do
            process = RectificationFlow.start.run(order=order)
        if process.status != PROCESS.NEW:
            continue
        with RectificationFlow.lock(process.pk):
            while _advance(process, order):
                pass


def _advance(process: Process, order: RectificationOrder) -> bool:
    """Complete one task whose work is done; False when none is left."""
    order.refresh_from_db(fields=["state", "responded_by", "reinspector"])
    for task in Task.objects.filter(process=process, status__in=OPEN).order_by("pk"):
        name = task.flow_task.name
        if name == "respond" and order.state != RectificationOrder.State.OPEN:
            # Answered, or failed because the deadline passed (then nobody did it).
            complete_task(task, order.responded_by)
            return True
        if name == "reinspect" and order.state in (RectificationOrder.State.PASSED, RectificationOrder.State.FAILED):
            complete_task(task, order.reinspector)
            return True
        if name == "decide":
            review = TerminationReview.objects.filter(pk=task.data["review"]).exclude(decision="").first()
            if review is not None:
                complete_task(task, review.decided_by)
                return True
    return False


def complete_task(task: Task, done_by) -> None:
    """Complete ``task`` as done by ``done_by`` (its owner from now on), and activate what follows."""
    activation = task.flow_task.activation_class(task)
    if task.status == STATUS.NEW:
        activation.assign(done_by)
    elif done_by is not None and task.owner_id != done_by.pk:
        task.owner = done_by
        task.save(update_fields=["owner"])
    activation.start(None)
    activation.execute()


__all__ = [
    "PageTask",
    "RectificationFlow",
    "admin_pool",
    "complete_task",
    "follow_rectification",
    "open_task",
    "order_process",
    "pools_of",
]
