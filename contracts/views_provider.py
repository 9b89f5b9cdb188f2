"""The provider's side of contracts: its contracts, accepting one, and writing its service reports.

Thin views: the services decide every rule (who may act, the period, the file types,
"already submitted") and their messages are what the provider reads. A provider
reaches only its own contracts and reports; anyone else's answers 403, and palace
staff are refused these pages (they read the shared contract and report pages).
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from core.errors import DomainError
from core.viewmixins import apply_domain_error
from procurement.models import Provider
from procurement.permissions import provider_of

from . import selectors_provider as selectors
from . import services
from .forms_provider import (
    FORMSET_MAX_ROWS,
    ImportForm,
    ReportForm,
    activity_formset,
    formset_posted,
)
from .imports import ImportRejected
from .models import Contract, ServiceReport


def _provider(request) -> Provider:
    """The viewer's organisation; staff and other accounts are refused (after ``login_required``)."""
    provider = provider_of(request.user)
    if provider is None:
        raise PermissionDenied
    return provider


def _own_report(request, pk: int) -> ServiceReport:
    provider = _provider(request)
    try:
        report = selectors.report_for_provider(pk)
    except ServiceReport.DoesNotExist as exc:
        raise Http404 from exc
    if report.contract.provider_id != provider.pk:
        raise PermissionDenied
    return report


def _edit_problem(user, report: ServiceReport) -> str:
    """Why the report's form is not offered ("" when it is), in the service's own words."""
    return services.report_edit_problem(user, report)


def _to_detail(request, report: ServiceReport, message: str):
    messages.error(request, message)
    return redirect("contracts:report_detail", pk=report.pk)


def _still_editable_problem(request, report: ServiceReport) -> str:
    """After a refusal: has the report stopped being editable meanwhile (submitted in another tab)?"""
    return _edit_problem(request.user, ServiceReport.objects.select_related("contract").get(pk=report.pk))


# --- contracts ---------------------------------------------------------------------------------------


@login_required
def my_contracts(request):
    provider = _provider(request)
    contracts = list(selectors.contracts_of(provider))
    today = timezone.localdate()
    for contract in contracts:
        contract.awaiting_acceptance = contract.state == Contract.State.DRAFT and contract.signed_at is not None
        contract.next_overdue = (
            contract.next_due_on is not None
            and contract.next_due_on < today
            and contract.next_report_state in ServiceReport.OUTSTANDING
        )
    return TemplateResponse(
        request,
        "contracts/provider/my_contracts.html",
        {
            "provider": provider,
            "contracts": contracts,
            "awaiting": [c for c in contracts if c.awaiting_acceptance],
        },
    )


@login_required
@require_POST
def contract_accept(request, pk: int):
    provider = _provider(request)
    contract = get_object_or_404(Contract, pk=pk)
    if contract.provider_id != provider.pk:
        raise PermissionDenied
    try:
        contract = services.contract_accept(actor=request.user, contract=contract)
    except DomainError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request,
            _(
                "You accepted contract %(number)s. It is in force from %(start)s; your service reports are "
                "scheduled under “My service reports”."
            )
            % {"number": contract.number, "start": f"{contract.starts_on:%Y-%m-%d}"},
        )
    return redirect("contracts:contract_detail", pk=contract.pk)


# --- reports -----------------------------------------------------------------------------------------


@login_required
def my_reports(request):
    provider = _provider(request)
    today = timezone.localdate()
    return TemplateResponse(
        request,
        "contracts/provider/my_reports.html",
        {
            "provider": provider,
            "today": today,
            "groups": selectors.report_groups(request.user, provider, today),
        },
    )


def _render_edit(
    request, report: ServiceReport, *, form: ReportForm, formset, import_form: ImportForm, import_errors=None
):
    today = timezone.localdate()
    activities = list(report.activities.all())
    errors = list(form.non_field_errors())
    refused = bool(form.errors)
    if formset is not None and formset.is_bound:
        errors += list(formset.non_form_errors())
        refused = refused or any(formset.errors)
    if refused:
        # On a phone the field in question may be far below: say it where the page starts.
        errors.append(_("Nothing was saved. Correct the problems shown and save again."))
    return TemplateResponse(
        request,
        "contracts/provider/report_edit.html",
        {
            "report": report,
            "contract": report.contract,
            "today": today,
            "days_overdue": (today - report.due_on).days if report.is_overdue(today) else 0,
            "form": form,
            "formset": formset,
            "errors": errors,
            "activities": activities,
            "activity_count": len(activities),
            "participant_total": sum(a.participants for a in activities),
            "import_form": import_form,
            "import_errors": import_errors,
            "files_dropped": form.is_bound and bool(request.FILES.getlist("attachments")),
        },
    )


@login_required
def report_edit(request, pk: int):
    report = _own_report(request, pk)
    problem = _edit_problem(request.user, report)
    if problem:
        return _to_detail(request, report, problem)
    attachments = list(report.attachments.all())
    # A list too long to post as a form (an import, usually) is shown read-only and left alone on save.
    typed = len(report.activities.all()) <= FORMSET_MAX_ROWS
    if request.method != "POST":
        form = ReportForm(initial={"narrative": report.narrative}, on_file=attachments)
        formset = activity_formset(activities=report.activities.all()) if typed else None
        return _render_edit(request, report, form=form, formset=formset, import_form=ImportForm())

    form = ReportForm(request.POST, request.FILES, on_file=attachments)
    formset = activity_formset(request.POST) if typed and formset_posted(request.POST) else None
    form_ok = form.is_valid()
    formset_ok = formset is None or formset.is_valid()
    if form_ok and formset_ok:
        rows = formset.activity_inputs() if formset is not None else None
        try:
            report = services.report_save(
                actor=request.user,
                report=report,
                narrative=form.cleaned_data["narrative"],
                activities=rows,
                attachments=form.cleaned_data["attachments"],
                remove_attachments=form.cleaned_data["remove_attachments"],
            )
        except DomainError as exc:
            problem = _still_editable_problem(request, report)
            if problem:
                return _to_detail(request, report, problem)
            apply_domain_error(form, exc)
            if rows is not None:
                # The service numbers activities as they were sent ("Activity 3: …"): show exactly those
                # rows, in that order, so that row 3 on the page is the one the message means.
                formset = activity_formset(activities=rows)
        else:
            if request.POST.get("action") == "submit":
                return _submit(request, report, draft_saved=True)
            messages.success(request, _("Draft saved. Submit it for review when it is complete."))
            return redirect("contracts:report_edit", pk=report.pk)
    if formset is None and typed:
        formset = activity_formset(activities=report.activities.all())
    return _render_edit(request, report, form=form, formset=formset, import_form=ImportForm())


def _submit(request, report: ServiceReport, *, draft_saved: bool):
    try:
        report = services.report_submit(actor=request.user, report=report)
    except DomainError as exc:
        problem = _still_editable_problem(request, report)
        if draft_saved and not problem:
            messages.error(request, _("Your draft is saved, but it was not submitted: %(reason)s") % {"reason": exc})
            return redirect("contracts:report_edit", pk=report.pk)
        return _to_detail(request, report, str(exc))
    messages.success(
        request,
        _(
            "Your report was submitted for review (version %(version)d). You will be notified when it is "
            "accepted or returned."
        )
        % {"version": report.version},
    )
    return redirect("contracts:report_detail", pk=report.pk)


@login_required
@require_POST
def report_submit(request, pk: int):
    report = _own_report(request, pk)
    return _submit(request, report, draft_saved=False)


@login_required
@require_POST
def report_import(request, pk: int):
    report = _own_report(request, pk)
    problem = _edit_problem(request.user, report)
    if problem:
        return _to_detail(request, report, problem)
    import_form = ImportForm(request.POST, request.FILES)
    import_errors = None
    if import_form.is_valid():
        try:
            count = services.report_import_activities(
                actor=request.user, report=report, upload=import_form.cleaned_data["file"]
            )
        except ImportRejected as exc:
            import_form.add_error(None, str(exc.message))
            import_errors = [{"row": row, "message": message} for row, message in exc.errors]
        except DomainError as exc:
            problem = _still_editable_problem(request, report)
            if problem:
                return _to_detail(request, report, problem)
            import_form.add_error(None, str(exc.message))
        else:
            messages.success(
                request,
                ngettext(
                    "%(count)d activity imported. It replaces the list that was there; check it below.",
                    "%(count)d activities imported. They replace the list that was there; check them below.",
                    count,
                )
                % {"count": count},
            )
            return redirect("contracts:report_edit", pk=report.pk)
    # Refused: the page as it is saved, with every problem of the file listed. Nothing was written.
    report = selectors.report_for_provider(report.pk)
    typed = len(report.activities.all()) <= FORMSET_MAX_ROWS
    form = ReportForm(initial={"narrative": report.narrative}, on_file=report.attachments.all())
    formset = activity_formset(activities=report.activities.all()) if typed else None
    return _render_edit(
        request, report, form=form, formset=formset, import_form=import_form, import_errors=import_errors
    )
