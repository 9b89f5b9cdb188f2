"""Inspections, red lines, checklists and indicator weights (DOMAIN.md §4), and the evaluator's inbox.

Administrators keep the checklists and the weights, and assign inspections from the
contract page. The assigned evaluator scores the inspection on site, usually on a
phone; evaluators and administrators record red lines. The provider sees an inspection
only once it is submitted: before that its page answers 404 to any provider, so that a
spot check stays unannounced. Every write goes through one service, whose refusal is
shown on the form.
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from contracts.models import Contract
from contracts.permissions import can_view_contract
from core.errors import DomainError
from core.models import Role
from core.permissions import has_role, is_admin_anywhere
from core.viewmixins import apply_domain_error, deny_or_login
from core.workdays import add_working_days
from evaluations.realtime import selectors
from evaluations.realtime.checklists import ensure_default_checklists
from evaluations.realtime.forms import (
    ChecklistForm,
    ChecklistItemFormSet,
    InspectionAssignForm,
    InspectionScoreForm,
    RedLineForm,
    WeightsForm,
)
from evaluations.realtime.models import ChecklistTemplate, Inspection, RedLine
from evaluations.realtime.permissions import (
    can_assign_inspection,
    can_record_red_line,
    can_submit_inspection,
    can_view_inspection,
)
from evaluations.realtime.services import inspections as services
from evaluations.realtime.services.inspections import ERR_CONTRACT_NOT_IN_FORCE, ERR_INSPECTION_DONE
from evaluations.realtime.services.settings import checklist_set_active, weights_update
from procurement.models import ServiceCategory
from procurement.permissions import provider_of

TEMPLATES = "evaluations/inspections/"
DUE_IN_WORKING_DAYS = 5  # the assignment form's suggested due date
CATEGORY_ORDER = {c: n for n, c in enumerate(ServiceCategory.values)}


def _refused(form, exc: DomainError, fields: dict[str, str | None]) -> None:
    """Show a service's refusal on the form field it concerns (``fields`` maps the service's names to the form's)."""
    field = fields.get(exc.field, exc.field)
    apply_domain_error(form, DomainError(exc.message, field=field))


def _top_errors(form) -> list[str]:
    """Everything wrong with the form, said at its top: on a phone the field in question may be far below."""
    errors = [str(e) for e in form.non_field_errors()]
    if any(name != "__all__" for name in form.errors):
        errors.append(_("Nothing was saved. Correct the fields marked below and submit again."))
    return errors


def _contract(pk: int) -> Contract:
    return get_object_or_404(Contract.objects.select_related("palace", "provider", "project"), pk=pk)


def _to_contract(contract: Contract, anchor: str = "inspections"):
    return redirect(reverse("contracts:contract_detail", args=[contract.pk]) + f"#{anchor}")


# --- the evaluator's inbox ----------------------------------------------------------------------


# --- assigning an inspection --------------------------------------------------------------------


def inspection_assign(request, pk: int):
    contract = _contract(pk)
    user = request.user
    if not has_role(user, contract.palace_id, Role.ADMIN):
        return deny_or_login(request)
    if not can_assign_inspection(user, contract):
        messages.error(request, str(ERR_CONTRACT_NOT_IN_FORCE))
        return _to_contract(contract)
    checklists = selectors.checklist_choices(contract)
    bound = request.method == "POST"
    form = InspectionAssignForm(
        request.POST if bound else None,
        checklists=checklists,
        inspectors=selectors.inspectors_for(contract.palace_id),
        initial={"due_on": add_working_days(timezone.localdate(), DUE_IN_WORKING_DAYS)},
    )
    if bound and form.is_valid():
        data = form.cleaned_data
        try:
            inspection = services.inspection_assign(
                actor=user,
                contract=contract,
                checklist=data["checklist"],
                inspector=data["inspector"],
                due_on=data["due_on"],
                kind=data["kind"],
            )
        except DomainError as exc:
            _refused(form, exc, {})
        else:
            messages.success(
                request,
                _("Inspection assigned to %(inspector)s, due on %(date)s. They are notified; the provider is not.")
                % {"inspector": inspection.inspector, "date": f"{inspection.due_on:%Y-%m-%d}"},
            )
            return _to_contract(contract)
    return TemplateResponse(
        request,
        TEMPLATES + "assign.html",
        {
            "contract": contract,
            "form": form,
            "errors": _top_errors(form) if form.is_bound else [],
            "has_checklists": checklists.exists(),
            "page_title": contract.number,
        },
    )


# --- one inspection -----------------------------------------------------------------------------


def inspection(request, pk: int):
    found = get_object_or_404(Inspection.objects.select_related("contract"), pk=pk)
    user = request.user
    if not can_view_inspection(user, found):
        # A spot check is unannounced: to a provider, an inspection not yet submitted does not exist.
        if found.state != Inspection.State.SUBMITTED and provider_of(user) is not None:
            raise Http404
        return deny_or_login(request)
    may_submit = can_submit_inspection(user, found)
    if request.method == "POST" and not may_submit:
        if found.state == Inspection.State.SUBMITTED and found.inspector_id == user.pk:
            messages.info(request, str(ERR_INSPECTION_DONE))
            return redirect("evaluations:inspection", pk=pk)
        raise PermissionDenied
    found = selectors.inspection_for_page(pk)
    form = None
    if may_submit:
        bound = request.method == "POST"
        form = InspectionScoreForm(
            request.POST if bound else None, request.FILES if bound else None, items=list(found.checklist.items.all())
        )
        if bound and form.is_valid():
            data = form.cleaned_data
            try:
                done = services.inspection_submit(
                    actor=user,
                    inspection=found,
                    items=form.item_inputs(),
                    inspected_on=data["inspected_on"],
                    notes=data["notes"],
                    evidence=data["evidence"],
                )
            except DomainError as exc:
                _refused(form, exc, {"items": None, "date": "inspected_on", "file": "evidence"})
            else:
                messages.success(request, _submitted_message(done))
                return redirect("evaluations:inspection", pk=pk)
    month = None
    if found.state == Inspection.State.SUBMITTED and found.order_id is None:
        month = selectors.month_score(found.contract, found.inspected_on)
    scores = {s.item_id: s for s in found.item_scores.all()}
    return TemplateResponse(
        request,
        TEMPLATES + "inspection.html",
        {
            "inspection": found,
            "contract": found.contract,
            "form": form,
            "errors": _top_errors(form) if form is not None and form.is_bound else [],
            "files_dropped": form is not None and form.is_bound and bool(request.FILES.getlist("evidence")),
            "rows": [{"item": item, "score": scores.get(item.pk)} for item in found.checklist.items.all()],
            "month": month,
            "today": timezone.localdate(),
            "staff": user.is_superuser or has_role(user, found.contract.palace_id),
            "is_inspector": found.inspector_id == user.pk,
            "page_title": _("Inspection"),
        },
    )


def _submitted_message(inspection: Inspection) -> str:
    if inspection.order_id is not None:
        return _("Submitted: %(score)s points.") % {"score": f"{inspection.score:.2f}"}
    month = selectors.month_score(inspection.contract, inspection.inspected_on)
    if month is None or month.score is None:
        return _("Submitted: %(score)s points.") % {"score": f"{inspection.score:.2f}"}
    text = _("Submitted: %(score)s points. The score of %(contract)s for %(month)s is now %(month_score)s.") % {
        "score": f"{inspection.score:.2f}",
        "contract": inspection.contract.number,
        "month": f"{month.month:%Y-%m}",
        "month_score": f"{month.score:.2f}",
    }
    # The month may have failed with this inspection: say that the order went out, as a red line does.
    order = month.orders.filter(trigger="score", issued_at__gte=inspection.submitted_at).first()
    if order is not None:
        text += " " + _("The month is below 60, so rectification order %(number)s was issued to the provider.") % {
            "number": order.number
        }
    return text


# --- red lines ----------------------------------------------------------------------------------


def red_line_record(request, pk: int):
    contract = _contract(pk)
    user = request.user
    if not has_role(user, contract.palace_id, Role.EVALUATOR, Role.ADMIN):
        return deny_or_login(request)
    if not can_record_red_line(user, contract):
        messages.error(request, str(ERR_CONTRACT_NOT_IN_FORCE))
        return _to_contract(contract)
    bound = request.method == "POST"
    form = RedLineForm(request.POST if bound else None, request.FILES if bound else None)
    if bound and form.is_valid():
        data = form.cleaned_data
        try:
            red_line = services.red_line_record(
                actor=user,
                contract=contract,
                category=data["category"],
                occurred_on=data["occurred_on"],
                description=data["description"],
                evidence=data["evidence"],
            )
        except DomainError as exc:
            _refused(form, exc, {"date": "occurred_on", "file": "evidence"})
        else:
            order = getattr(red_line, "order", None)
            if order is not None:
                messages.warning(
                    request,
                    _(
                        "Red line recorded. The month of %(month)s fails, and rectification "
                        "order %(number)s was issued to the provider."
                    )
                    % {"month": f"{red_line.occurred_on:%Y-%m}", "number": order.number},
                )
            else:
                messages.warning(
                    request,
                    _("Red line recorded. The month of %(month)s fails.") % {"month": f"{red_line.occurred_on:%Y-%m}"},
                )
            return redirect("evaluations:red_line", pk=red_line.pk)
    return TemplateResponse(
        request,
        TEMPLATES + "red_line_form.html",
        {
            "contract": contract,
            "form": form,
            "errors": _top_errors(form) if form.is_bound else [],
            "files_dropped": form.is_bound and bool(request.FILES.getlist("evidence")),
            "page_title": contract.number,
        },
    )


def red_line(request, pk: int):
    found = get_object_or_404(RedLine.objects.select_related("contract"), pk=pk)
    if not can_view_contract(request.user, found.contract):
        return deny_or_login(request)
    found = selectors.red_line_for_page(pk)
    return TemplateResponse(
        request,
        TEMPLATES + "red_line.html",
        {
            "red_line": found,
            "contract": found.contract,
            "order": getattr(found, "order", None),
            "page_title": _("Red-line event"),
        },
    )


# --- checklists ---------------------------------------------------------------------------------


def _admin_palaces(request):
    """The palaces whose settings the user keeps; None (after a refusal) when there are none."""
    user = request.user
    if not user.is_authenticated or not is_admin_anywhere(user):
        return None
    return list(selectors.admin_palaces(user))


def checklist_list(request):
    palaces = _admin_palaces(request)
    if palaces is None:
        return deny_or_login(request)
    if request.method == "POST":
        _checklist_action(request, palaces)
        return redirect("evaluations:checklist_list")
    checklists = list(selectors.checklists_for(request.user))
    groups = []
    for palace in palaces:
        own = sorted(
            (c for c in checklists if c.palace_id == palace.pk),
            key=lambda c: (CATEGORY_ORDER.get(c.category, 99), not c.is_active, c.name),
        )
        groups.append(
            {
                "palace": palace,
                "checklists": own,
                "weights": selectors.weights_of(palace),
                "missing": selectors.categories_without_checklist(palace.pk),
            }
        )
    return TemplateResponse(
        request,
        TEMPLATES + "checklist_list.html",
        {
            "groups": groups,
            "multi_palace": len(palaces) > 1,
            "page_title": _("Checklists and weights"),
        },
    )


def _checklist_action(request, palaces) -> None:
    """The list's buttons: add the standard checklists, take one out of use, or back into use."""
    action = request.POST.get("action")
    by_pk = {str(p.pk): p for p in palaces}
    try:
        if action == "standard":
            palace = by_pk.get(request.POST.get("palace", ""))
            if palace is None:
                raise PermissionDenied
            created = ensure_default_checklists(palace, request.user)
            if created:
                messages.success(
                    request,
                    _("Added %(count)d standard checklists: %(names)s.")
                    % {"count": len(created), "names": "、".join(c.name for c in created)},
                )
            else:
                messages.info(request, _("Every service category has a checklist already."))
        elif action in ("deactivate", "activate"):
            checklist = get_object_or_404(ChecklistTemplate, pk=request.POST.get("checklist") or 0, palace__in=palaces)
            checklist = checklist_set_active(actor=request.user, checklist=checklist, active=action == "activate")
            messages.success(
                request,
                (
                    _("“%(name)s” is in use again.")
                    if checklist.is_active
                    else _("“%(name)s” is no longer offered for new inspections.")
                )
                % {"name": checklist.name},
            )
        else:
            messages.error(request, _("Unknown action."))
    except DomainError as exc:
        messages.error(request, str(exc))


def checklist_create(request):
    palaces = _admin_palaces(request)
    if palaces is None:
        return deny_or_login(request)
    bound = request.method == "POST"
    data = request.POST
    adding = bound and "add_row" in data
    if adding:
        # "Add a row" shows the page again with one more blank row; nothing is saved.
        data = data.copy()
        data["items-TOTAL_FORMS"] = str(int(data.get("items-TOTAL_FORMS") or 0) + 1)
    initial, rows = _checklist_initial(request, palaces)
    form = ChecklistForm(data if bound else None, palaces=palaces, initial=initial)
    items = ChecklistItemFormSet(data if bound else None, initial=None if bound else rows, prefix="items")
    if bound and not adding and form.is_valid() and items.is_valid():
        cleaned = form.cleaned_data
        try:
            checklist = services.checklist_create(
                actor=request.user,
                palace_id=cleaned["palace"].pk,
                category=cleaned["category"],
                name=cleaned["name"],
                items=items.item_inputs(),
            )
        except DomainError as exc:
            _refused(form, exc, {"items": None})
        else:
            messages.success(
                request,
                _(
                    "Checklist “%(name)s” created with %(count)d items. It is offered for "
                    "inspections of %(category)s contracts first."
                )
                % {
                    "name": checklist.name,
                    "count": checklist.items.count(),
                    "category": checklist.get_category_display(),
                },
            )
            return redirect("evaluations:checklist_list")
    return TemplateResponse(
        request,
        TEMPLATES + "checklist_form.html",
        {
            "form": form,
            "items": items,
            "adding_row": adding,
            "weight_total": items.weight_total() if bound else sum((r["weight"] or 0 for r in rows), 0),
            "errors": _top_errors(form) if bound and not adding else [],
            "page_title": _("New checklist"),
        },
    )


def _checklist_initial(request, palaces) -> tuple[dict, list[dict]]:
    """A fresh form, empty or copied from one of the palace's checklists (``?copy=<pk>``) to adapt."""
    source = None
    if request.GET.get("copy", "").isdigit():
        source = (
            ChecklistTemplate.objects.filter(pk=request.GET["copy"], palace__in=palaces)
            .prefetch_related("items")
            .first()
        )
    if source is None:
        return {"category": request.GET.get("category") or None}, []
    return (
        {"palace": source.palace_id, "category": source.category, "name": source.name},
        [{"text": i.text, "weight": i.weight} for i in source.items.all()],
    )


# --- weights ------------------------------------------------------------------------------------


def weights(request):
    palaces = _admin_palaces(request)
    if palaces is None:
        return deny_or_login(request)
    bound = request.method == "POST"
    chosen = (request.POST if bound else request.GET).get("palace")
    by_pk = {str(p.pk): p for p in palaces}
    if chosen and chosen not in by_pk:
        raise PermissionDenied
    palace = by_pk.get(chosen) or palaces[0]
    current = selectors.weights_of(palace)
    form = WeightsForm(request.POST if bound else None, initial={"palace": palace.pk, **current.weights})
    if bound and form.is_valid():
        data = form.cleaned_data
        try:
            result = weights_update(
                actor=request.user,
                palace_id=palace.pk,
                inspections=data["inspections"],
                reports=data["reports"],
                satisfaction=data["satisfaction"],
                kpi=data["kpi"],
            )
        except DomainError as exc:
            form.add_error(None, str(exc.message))
        else:
            messages.success(
                request,
                _(
                    "The weights of %(palace)s are saved. This month's score of %(count)d "
                    "contracts in force was worked out again."
                )
                % {"palace": palace.name, "count": result.rescored},
            )
            if result.orders:
                messages.warning(
                    request,
                    _("Below 60 with the new weights, these contracts were issued a rectification order: %(numbers)s.")
                    % {"numbers": "、".join(o.contract.number for o in result.orders)},
                )
            return redirect(reverse("evaluations:weights") + f"?palace={palace.pk}")
    return TemplateResponse(
        request,
        TEMPLATES + "weights.html",
        {
            "palace": palace,
            "palaces": palaces,
            "current": current,
            "form": form,
            "errors": [str(e) for e in form.non_field_errors()] if bound else [],
            "page_title": _("Indicator weights"),
        },
    )
