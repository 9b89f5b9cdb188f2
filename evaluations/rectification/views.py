"""Rectification in the UI: the orders table, the order page shared by the provider and the palace,
its two forms (the provider's answer, the re-inspection), and the termination review.

The order page shows each viewer the step that is theirs: the provider answers each
finding while the order is open and the deadline has not passed; the re-inspector (or,
when the order names none, any evaluator of the palace) judges each finding once it is
answered. Each form posts to a view that calls one service; the service's
``rectification_changed`` moves the workflow's tasks (evaluations/flows.py).
"""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_POST

from contracts.permissions import is_party
from core.errors import DomainError
from core.models import Role
from core.permissions import has_role, palace_ids
from core.tables import FilteredTableView
from core.viewmixins import apply_domain_error, deny_or_login
from evaluations.rectification import selectors as selectors
from evaluations.rectification import services
from evaluations.rectification.filters import OrderFilter
from evaluations.rectification.flows import order_process
from evaluations.rectification.forms import (
    OrderResponseForm,
    ReinspectionForm,
    TerminationDecisionForm,
)
from evaluations.rectification.models import RectificationOrder, TerminationReview
from evaluations.rectification.permissions import (
    can_decide_termination,
    can_reinspect_order,
    can_respond_to_order,
    can_view_order,
)
from evaluations.rectification.services import DEADLINE_WORKING_DAYS, FAILED_ORDERS_FOR_REVIEW
from evaluations.rectification.tables import OrderTable, deadline_text, reason_text
from procurement.permissions import provider_of

ORDER_PAGE = "evaluations/rectification/order_detail.html"
REVIEW_PAGE = "evaluations/rectification/termination_review.html"


def _day(value) -> str:
    return date_format(value, "Y-m-d") if value else "—"


def _is_staff(user, palace_id: int) -> bool:
    return user.is_superuser or has_role(user, palace_id)


# --- the table ----------------------------------------------------------------------------------


class OrderListView(FilteredTableView):
    """Palace staff see their palaces' orders; a provider's user sees its own organisation's."""

    template_name = "evaluations/rectification/order_list.html"
    table_class = OrderTable
    filterset_class = OrderFilter
    page_title = gettext_lazy("Rectification orders")
    export_name = "rectification-orders"

    def dispatch(self, request, *args, **kwargs):
        user = request.user
        if user.is_authenticated and not (user.is_superuser or palace_ids(user) or provider_of(user)):
            return deny_or_login(request)
        return super().dispatch(request, *args, **kwargs)

    def get_queryset(self):
        self.today = timezone.localdate()
        return selectors.orders_for(self.request.user)

    def get_filterset_kwargs(self, filterset_class):
        kwargs = super().get_filterset_kwargs(filterset_class)
        user = self.request.user
        self.staff = user.is_superuser or bool(palace_ids(user))
        palaces = selectors.order_palaces_for(user) if self.staff else None
        # One palace, or a provider: a palace filter (and column) would say the same thing on every row.
        self.multi_palace = palaces is not None and palaces.count() > 1
        kwargs["palaces"] = palaces if self.multi_palace else None
        kwargs["providers"] = selectors.order_providers_for(user) if self.staff else None
        return kwargs

    def get_table_kwargs(self):
        exclude = []
        if not getattr(self, "multi_palace", False):
            exclude.append("palace")
        if not getattr(self, "staff", True):
            exclude.append("provider")  # a provider's own name on every row
        return super().get_table_kwargs() | {"today": self.today, "exclude": exclude}


# --- the order page -----------------------------------------------------------------------------


def _may_reinspect(user, order: RectificationOrder) -> bool:
    """Whom re-inspection is for, whatever the order's state: the named re-inspector, or the palace's evaluators."""
    if order.reinspector_id is not None and order.reinspector_id == user.pk:
        return True
    return order.reinspector_id is None and has_role(user, order.contract.palace_id, Role.EVALUATOR)


def _status(order: RectificationOrder, *, party: bool, reinspector: bool, today, failed_count: int) -> str:
    """One paragraph on where the order stands and what happens next, for this viewer."""
    State = RectificationOrder.State
    deadline = _day(order.deadline)
    who = str(order.reinspector) if order.reinspector else None
    if order.state == State.OPEN and today > order.deadline:
        if party:
            return _("The deadline (%(date)s) has passed; the order can no longer be answered and will be failed.") % {
                "date": deadline
            }
        return _(
            "The deadline (%(date)s) passed without an answer; the order will be failed at the next scheduled check."
        ) % {"date": deadline}
    if order.state == State.OPEN:
        if party:
            return _(
                "Answer every finding below by %(date)s: say what you put right and attach evidence. An "
                "evaluator then re-inspects each finding. If any finding is not fully resolved, the order "
                "fails; if the deadline passes without an answer, it fails too. Two failed orders in a term, "
                "and the palace's administrator decides on early termination."
            ) % {"date": deadline}
        return _(
            "Waiting for the provider's answer, due by %(date)s. %(who)s then re-inspects each finding. If "
            "any finding is not fully resolved, or the deadline passes unanswered, the order fails."
        ) % {"date": deadline, "who": who or _("An evaluator of the palace")}
    answered = _day(timezone.localtime(order.responded_at)) if order.responded_at else "—"
    if order.state == State.RESPONDED:
        if reinspector:
            return _(
                "The provider answered on %(date)s. Re-inspect each finding and judge it resolved, partly "
                "resolved or not resolved. The order passes only if every finding is resolved; otherwise it "
                "fails."
            ) % {"date": answered}
        if party:
            return _(
                "You answered on %(date)s. An evaluator will re-inspect each finding; the order passes only "
                "if every finding is resolved."
            ) % {"date": answered}
        return _(
            "Answered on %(date)s; waiting for re-inspection by %(who)s. The order passes only if every "
            "finding is resolved."
        ) % {"date": answered, "who": who or _("any evaluator of the palace")}
    closed = _day(timezone.localtime(order.closed_at)) if order.closed_at else "—"
    if order.state == State.PASSED:
        return _("Passed on %(date)s: every finding was resolved.") % {"date": closed}
    why = (
        _("Failed: the deadline (%(deadline)s) passed without an answer.")
        if order.failed_on_deadline
        else _("Failed on %(date)s: not every finding was resolved.")
    ) % {"deadline": deadline, "date": closed}
    if failed_count >= FAILED_ORDERS_FOR_REVIEW:
        count = _(
            "%(count)d orders of this contract's term have failed, so the palace's administrator has been "
            "asked to decide on early termination."
        ) % {"count": failed_count}
    else:
        count = ngettext(
            "%(count)d failed order in this contract's term; at %(limit)d, the palace's administrator decides on "
            "early termination.",
            "%(count)d failed orders in this contract's term; at %(limit)d, the palace's administrator decides on "
            "early termination.",
            failed_count,
        ) % {"count": failed_count, "limit": FAILED_ORDERS_FOR_REVIEW}
    return f"{why} {count}"


def _process_url(order: RectificationOrder) -> str | None:
    """The order's workflow page, for the palace's staff (None until the flow's app is mounted)."""
    process = order_process(order)
    if process is None:
        return None
    try:
        return reverse("rectification:process_detail", args=[process.pk])
    except NoReverseMatch:
        return None


def _order_page(request, order: RectificationOrder, *, respond_form=None, reinspect_form=None):
    user = request.user
    contract = order.contract
    today = timezone.localdate()
    party = is_party(user, contract)
    staff = _is_staff(user, contract.palace_id)
    findings = list(order.findings.all())
    can_answer = can_respond_to_order(user, order) and today <= order.deadline
    can_judge = can_reinspect_order(user, order)
    if can_answer and respond_form is None:
        respond_form = OrderResponseForm(findings=findings)
    if can_judge and reinspect_form is None:
        reinspect_form = ReinspectionForm(findings=findings)
    reviews = selectors.reviews_counting(order)
    if not staff:
        reviews = [r for r in reviews if r.decision]  # the provider sees a review once it is decided
    process_url = _process_url(order) if staff else None
    ctx = {
        "order": order,
        "contract": contract,
        "findings": findings,
        "today": today,
        "party": party,
        "staff": staff,
        "reason": reason_text(order),
        "days_left": deadline_text(order, today),
        "overdue": order.state == RectificationOrder.State.OPEN and today > order.deadline,
        "notice": selectors.notice_for(order),
        "status": _status(
            order,
            party=party,
            reinspector=_may_reinspect(user, order),
            today=today,
            failed_count=selectors.failed_order_count(contract),
        ),
        "respond_form": respond_form if can_answer else None,
        "reinspect_form": reinspect_form if can_judge else None,
        "answered": order.responded_at is not None,
        "judged": any(f.outcome for f in findings),
        "reviews": reviews,
        "process_url": process_url,
        "working_days": DEADLINE_WORKING_DAYS,
        "page_title": order.number,
    }
    return TemplateResponse(request, ORDER_PAGE, ctx)


def _viewable_order(request, pk: int) -> RectificationOrder | None:
    order = get_object_or_404(RectificationOrder.objects.select_related("contract"), pk=pk)
    return order if can_view_order(request.user, order) else None


def order(request, pk: int):
    if _viewable_order(request, pk) is None:
        return deny_or_login(request)
    return _order_page(request, selectors.order_for_page(pk))


def _to_order(order: RectificationOrder, anchor: str = ""):
    return redirect(reverse("evaluations:order", args=[order.pk]) + anchor)


@require_POST
def order_respond(request, pk: int):
    """The provider's answer: a response and evidence for each finding → ``services.order_respond``."""
    found = _viewable_order(request, pk)
    if found is None or not is_party(request.user, found.contract):
        return deny_or_login(request)
    order = selectors.order_for_page(pk)
    form = OrderResponseForm(request.POST, request.FILES, findings=list(order.findings.all()))
    if form.is_valid():
        try:
            services.order_respond(
                actor=request.user, order=order, responses=form.responses(), evidence=form.evidence()
            )
        except DomainError as exc:
            order = selectors.order_for_page(pk)
            if not (can_respond_to_order(request.user, order) and timezone.localdate() <= order.deadline):
                messages.error(request, str(exc))  # no longer answerable: say why on the page as it is now
                return _to_order(order)
            apply_domain_error(form, exc, request)
            if request.FILES:
                messages.warning(
                    request, _("Nothing was saved, so the files you chose were not kept: choose them again.")
                )
        else:
            messages.success(
                request,
                _(
                    "Your answer is sent. An evaluator will re-inspect each finding; you will "
                    "be notified of the outcome."
                ),
            )
            return _to_order(order)
    return _order_page(request, order, respond_form=form)


@require_POST
def order_reinspect(request, pk: int):
    """The re-inspection: each finding resolved, partly resolved or not resolved → ``services.order_reinspect``."""
    found = _viewable_order(request, pk)
    if found is None or not _may_reinspect(request.user, found):
        return deny_or_login(request)
    order = selectors.order_for_page(pk)
    form = ReinspectionForm(request.POST, findings=list(order.findings.all()))
    if form.is_valid():
        try:
            order = services.order_reinspect(actor=request.user, order=order, outcomes=form.outcomes())
        except DomainError as exc:
            order = selectors.order_for_page(pk)
            if not can_reinspect_order(request.user, order):
                messages.error(request, str(exc))
                return _to_order(order)
            apply_domain_error(form, exc, request)
        else:
            if order.state == RectificationOrder.State.PASSED:
                messages.success(
                    request,
                    _("Re-inspected: every finding is resolved, so the order passed. The provider is notified."),
                )
            else:
                messages.success(
                    request,
                    _("Re-inspected: not every finding is resolved, so the order failed. The provider is notified."),
                )
            return _to_order(order)
    return _order_page(request, order, reinspect_form=form)


# --- the termination review ------------------------------------------------------------------------


def _review_status(review: TerminationReview, *, decider: bool) -> str:
    if review.decision == TerminationReview.Decision.TERMINATE:
        return _(
            "Decided on %(date)s: terminate the contract early. The contract was terminated the same day and "
            "the provider exits (退出合作): excluded from the palace's recruitments, its last payment "
            "withheld, the handover to complete and the service drafted for re-tender."
        ) % {"date": _day(timezone.localtime(review.decided_at))}
    if review.decision == TerminationReview.Decision.CONTINUE:
        return _(
            "Decided on %(date)s: the contract continues. Another failed order in the term will ask for a "
            "decision again."
        ) % {"date": _day(timezone.localtime(review.decided_at))}
    if decider:
        return _(
            "The contract has failed %(count)d rectification orders in its term. Decide whether to terminate "
            "it early or let it continue, and give the reason: it is recorded with the decision and shown "
            "to the provider. Terminating ends the contract at once: the provider exits and is excluded from "
            "the palace's recruitments, the last payment is withheld and the service is drafted for "
            "re-tender."
        ) % {"count": len(review.failed_orders.all())}
    return _("Waiting for the palace's administrator to decide whether to terminate the contract early.")


def termination_review(request, pk: int):
    """The administrator decides; the palace's staff read; the provider reads the decision once made."""
    review = get_object_or_404(TerminationReview.objects.select_related("contract"), pk=pk)
    user = request.user
    staff = user.is_authenticated and _is_staff(user, review.contract.palace_id)
    if not (staff or (review.decision and is_party(user, review.contract))):
        return deny_or_login(request)
    decider = can_decide_termination(user, review)
    form = None
    if request.method == "POST":
        if not has_role(user, review.contract.palace_id, Role.ADMIN):
            return deny_or_login(request)
        if not decider:  # decided meanwhile (a second tab, another administrator)
            messages.error(request, str(services.ERR_DECIDED))
            return redirect("evaluations:termination_review", pk=review.pk)
        form = TerminationDecisionForm(request.POST)
        if form.is_valid():
            try:
                review = services.termination_decide(
                    actor=user,
                    review=review,
                    decision=form.cleaned_data["decision"],
                    reason=form.cleaned_data["reason"],
                )
            except DomainError as exc:
                apply_domain_error(form, exc, request)
            else:
                messages.success(
                    request, _("The decision is recorded: %(decision)s.") % {"decision": review.get_decision_display()}
                )
                return redirect("evaluations:termination_review", pk=review.pk)
    review = selectors.review_for_page(pk)
    orders = list(review.failed_orders.all())
    for o in orders:
        o.reason = reason_text(o)
    return TemplateResponse(
        request,
        REVIEW_PAGE,
        {
            "review": review,
            "contract": review.contract,
            "orders": orders,
            "staff": staff,
            # The exit (a package above this one) is reached through the review it ended.
            "exit": getattr(review, "exit", None) if review.decision else None,
            "status": _review_status(review, decider=decider),
            "form": (form or TerminationDecisionForm()) if decider else None,
            "page_title": _("Termination review · %(contract)s") % {"contract": review.contract.number},
        },
    )
