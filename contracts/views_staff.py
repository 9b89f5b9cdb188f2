"""The palace staff's contract pages: the tables, the shared contract and report pages, and their actions.

The contract and report pages are shared with the contracted provider's users; each
shows only the actions the viewer may take. Every action is a POST that calls one
service and comes back to the page with the service's verdict as a message.
"""

from functools import wraps

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from core.errors import DomainError
from core.permissions import palace_ids
from core.registry import page_sections
from core.tables import FilteredTableView
from core.viewmixins import apply_domain_error, deny_or_login
from procurement.models import ServiceCategory
from procurement.permissions import provider_of

from . import selectors, services
from .filters import ContractFilter, OverdueReportFilter
from .forms_staff import ContractForm, ContractKpiFormSet, ReportReviewForm
from .models import Contract, Milestone, ServiceReport
from .permissions import (
    can_accept_contract,
    can_edit_report,
    can_manage_contract,
    can_review_report,
    can_view_contract,
    can_view_report,
    is_party,
)
from .tables import ContractTable, OverdueReportTable


def _staff_only(request):
    """The tables are the palace staff's: a provider, or a user of no palace, is refused."""
    user = request.user
    if user.is_authenticated and (provider_of(user) is not None or not (user.is_superuser or palace_ids(user))):
        return deny_or_login(request)
    return None


def _day(value) -> str:
    return date_format(value, "Y-m-d") if value else "—"


class _StaffTableView(FilteredTableView):
    template_name = "contracts/staff/table_page.html"

    def dispatch(self, request, *args, **kwargs):
        return _staff_only(request) or super().dispatch(request, *args, **kwargs)

    def get_filterset_kwargs(self, filterset_class):
        kwargs = super().get_filterset_kwargs(filterset_class)
        palaces = selectors.palaces_for(self.request.user)
        self.multi_palace = len(palaces) > 1
        # One palace: a palace filter (and column) would say the same thing on every row.
        kwargs["palaces"] = palaces if self.multi_palace else None
        kwargs["providers"] = selectors.contract_providers_for(self.request.user)
        return kwargs

    def get_table_kwargs(self):
        kwargs = super().get_table_kwargs()
        if not getattr(self, "multi_palace", False):
            kwargs["exclude"] = ("palace",)
        return kwargs


# --- the tables ---------------------------------------------------------------------------------


class ContractListView(_StaffTableView):
    table_class = ContractTable
    filterset_class = ContractFilter
    page_title = gettext_lazy("Contracts")
    export_name = "contracts"

    def get_queryset(self):
        return selectors.contracts_for(self.request.user)

    def get_filterset_kwargs(self, filterset_class):
        kwargs = super().get_filterset_kwargs(filterset_class)
        kwargs["projects"] = selectors.contract_projects_for(self.request.user)
        return kwargs


class OverdueReportListView(_StaffTableView):
    table_class = OverdueReportTable
    filterset_class = OverdueReportFilter
    page_title = gettext_lazy("Overdue reports")
    export_name = "overdue-reports"

    def get_queryset(self):
        self.today = timezone.localdate()
        return selectors.overdue_reports_for(self.request.user, self.today)

    def get_table_kwargs(self):
        return super().get_table_kwargs() | {"today": self.today}


# --- the contract page --------------------------------------------------------------------------


def _what_next(contract: Contract, *, manager: bool, party: bool, can_accept: bool) -> str:
    """One paragraph on where the contract stands and what happens next, for this viewer."""
    State, state = Contract.State, contract.state
    if state == State.DRAFT and contract.signed_at is None:
        if party:
            return _(
                "The palace is preparing this contract. You will be asked to accept it once the palace has signed it."
            )
        if manager:
            return _(
                "A draft: check the amount, the term, the start date and the KPI targets, then sign for "
                "the palace. The provider is then asked to accept it; the contract is in force from the "
                "provider's acceptance."
            )
        return _("A draft: the palace's administrator checks the terms and signs it; then the provider accepts it.")
    if state == State.DRAFT:
        signed = _day(timezone.localtime(contract.signed_at))
        if can_accept:
            return _(
                "The palace signed this contract on %(date)s. Read the terms and accept it: the contract "
                "is then in force and every report period is scheduled."
            ) % {"date": signed}
        return _(
            "Signed by the palace on %(date)s. Waiting for the provider to accept the contract; it is in "
            "force from the acceptance."
        ) % {"date": signed}
    if state == State.ACTIVE:
        return _(
            "In force from %(start)s to %(end)s. The provider submits a service report for each period, "
            "due on the 5th working day after it; the palace's evaluators and administrators review "
            "each one. Payment milestones are released when their condition holds."
        ) % {"start": _day(contract.starts_on), "end": _day(contract.ends_on)}
    if state == State.RECTIFICATION:
        return _(
            "Under rectification: a rectification order is open. The mid-term payment stays locked "
            "until it is closed; reports are still due as scheduled."
        )
    if state == State.FINAL_EVALUATION:
        return _(
            "In final evaluation: the term is scored as a whole. The last payment follows a final "
            "rating of 合格 (pass) or better."
        )
    if state == State.COMPLETED:
        return _("Completed.")
    return _("Terminated.")


def _milestone_rows(contract: Contract, today, manager: bool) -> list[dict]:
    """Each milestone, with a release button for the administrator once the contract is in force.

    The button is disabled, with the reason beside it, exactly when the service would refuse:
    both ask ``services.milestone_problem``.
    """
    buttons = manager and contract.state != Contract.State.DRAFT
    rows = []
    for m in contract.milestones.all():
        problem = services.milestone_problem(m, today) if buttons and m.released_at is None else ""
        rows.append({"milestone": m, "button": buttons, "problem": problem})
    return rows


def contract_detail(request, pk: int):
    contract = get_object_or_404(Contract, pk=pk)
    user = request.user
    if not can_view_contract(user, contract):
        return deny_or_login(request)
    contract = selectors.contract_for_detail(pk)
    today = timezone.localdate()
    manager = can_manage_contract(user, contract)
    party = is_party(user, contract)
    can_accept = can_accept_contract(user, contract)
    reports = list(contract.reports.all())
    for report in reports:
        report.overdue = report.is_overdue(today)
    ctx = {
        "contract": contract,
        "today": today,
        "manager": manager,
        "party": party,
        "can_accept": can_accept,
        "can_edit": manager and contract.state == Contract.State.DRAFT and contract.signed_at is None,
        "can_sign": manager and contract.state == Contract.State.DRAFT and contract.signed_at is None,
        # What the service would refuse signing for, beside a disabled button.
        "sign_problem": services.sign_problem(contract),
        "what_next": _what_next(contract, manager=manager, party=party, can_accept=can_accept),
        # Progress against the term means something only once the contract is in force.
        "kpi": None if contract.state == Contract.State.DRAFT else selectors.kpi_progress(contract, today),
        "milestones": _milestone_rows(contract, today, manager),
        "reports": reports,
        "page_title": contract.number,
        # Sections that later stages add (the real-time score, inspections): core.registry.
        "page_sections": page_sections("contracts.contract_detail", request, contract),
    }
    return TemplateResponse(request, "contracts/contract_detail.html", ctx)


def contract_edit(request, pk: int):
    contract = get_object_or_404(Contract, pk=pk)
    if not can_manage_contract(request.user, contract):
        return deny_or_login(request)
    if contract.state != Contract.State.DRAFT or contract.signed_at is not None:
        messages.error(request, str(services.ERR_NOT_DRAFT))
        return redirect("contracts:contract_detail", pk=contract.pk)
    contract = selectors.contract_for_detail(pk)
    bound = request.method == "POST"
    form = ContractForm.for_contract(contract, request.POST if bound else None)
    initial = [
        {"metric": k.metric, "category": k.category, "label": k.label, "target": k.target, "unit": k.unit}
        for k in contract.kpi_targets.all()
    ]
    data = request.POST
    if bound and "add_row" in data:
        # "Add a row" re-shows the page with one more blank row; nothing is saved.
        data = data.copy()
        rows = data.get("kpi-TOTAL_FORMS", "")
        data["kpi-TOTAL_FORMS"] = str(min(int(rows) + 1 if rows.isdigit() else 1, ContractKpiFormSet.max_num))
        form = ContractForm.for_contract(contract, data)
    kpis = ContractKpiFormSet(data if bound else None, initial=None if bound else initial, prefix="kpi")
    if bound and "add_row" not in data and form.is_valid() and kpis.is_valid():
        cleaned = form.cleaned_data
        try:
            services.contract_update(
                actor=request.user,
                contract=contract,
                amount=cleaned["amount"],
                term_months=cleaned["term_months"],
                starts_on=cleaned["starts_on"],
                report_schedule=cleaned["report_schedule"],
                kpi_targets=[
                    services.KpiTargetInput(
                        metric=row["metric"],
                        target=row["target"],
                        unit=row["unit"],
                        label=row.get("label") or "",
                        category=row.get("category") or "",
                    )
                    for row in kpis.filled()
                ],
            )
        except DomainError as exc:
            apply_domain_error(form, exc, request)
        else:
            messages.success(
                request, _("The draft contract is saved. Sign it for the palace when the terms are agreed.")
            )
            return redirect("contracts:contract_detail", pk=contract.pk)
    return TemplateResponse(
        request,
        "contracts/staff/contract_form.html",
        {
            "contract": contract,
            "form": form,
            "kpis": kpis,
            "page_title": contract.number,
            "adding_row": bound and "add_row" in data,
        },
    )


def contract_action(anchor: str):
    """A POST by the palace's administrator; it answers with the contract page, at ``anchor``, and a message."""

    def decorate(view):
        @require_POST
        @wraps(view)
        def wrapper(request, pk: int, **kwargs):
            if not request.user.is_authenticated:
                return deny_or_login(request)
            contract = get_object_or_404(Contract, pk=pk)
            if not can_manage_contract(request.user, contract):
                return deny_or_login(request)
            try:
                view(request, contract, **kwargs)
            except DomainError as exc:
                messages.error(request, str(exc))
            return redirect(reverse("contracts:contract_detail", args=[contract.pk]) + f"#{anchor}")

        return wrapper

    return decorate


@contract_action("state")
def contract_sign(request, contract: Contract):
    contract = services.contract_sign(actor=request.user, contract=contract)
    messages.success(
        request,
        _("Signed for the palace. %(provider)s is asked to accept the contract.")
        % {"provider": contract.provider.name},
    )


@contract_action("milestones")
def milestone_release(request, contract: Contract, milestone_pk: int):
    milestone = get_object_or_404(Milestone, pk=milestone_pk, contract=contract)
    milestone = services.milestone_release(actor=request.user, milestone=milestone)
    messages.success(
        request,
        _("Milestone %(position)d released: ¥%(amount)s.")
        % {"position": milestone.position, "amount": f"{milestone.amount:,.2f}"},
    )


# --- the report page ----------------------------------------------------------------------------

CATEGORY_LABELS = dict(ServiceCategory.choices)


def _frozen_activities(version) -> list[dict]:
    return [
        {**a, "category_label": CATEGORY_LABELS.get(a.get("category"), a.get("category"))} for a in version.activities
    ]


def report_detail(request, pk: int):
    report = get_object_or_404(ServiceReport.objects.select_related("contract"), pk=pk)
    if not can_view_report(request.user, report):
        return deny_or_login(request)
    return _report_page(request, pk)


def _report_page(request, pk: int, *, review_form=None, review_errors=()):
    user = request.user
    report = selectors.report_for_detail(pk)
    today = timezone.localdate()
    activities = list(report.activities.all())
    versions = list(report.versions.all())
    for version in versions:
        version.frozen = _frozen_activities(version)
        version.frozen_participants = sum(a.get("participants") or 0 for a in version.activities)
    can_review = can_review_report(user, report) and report.state == ServiceReport.State.SUBMITTED
    return TemplateResponse(
        request,
        "contracts/report_detail.html",
        {
            "report": report,
            "contract": report.contract,
            "activities": activities,
            "participant_total": sum(a.participants for a in activities),
            "attachments": list(report.attachments.all()),
            "versions": versions,
            "overdue": report.is_overdue(today),
            "days_overdue": (today - report.due_on).days,
            "review_form": (review_form or ReportReviewForm()) if can_review else None,
            "review_errors": review_errors,
            "can_edit": can_edit_report(user, report),
            "page_title": str(report),
            "page_sections": page_sections("contracts.report_detail", request, report),
        },
    )


@require_POST
def report_review(request, pk: int):
    if not request.user.is_authenticated:
        return deny_or_login(request)
    report = get_object_or_404(ServiceReport.objects.select_related("contract"), pk=pk)
    if not can_review_report(request.user, report):
        return deny_or_login(request)
    form = ReportReviewForm(request.POST)
    if not form.is_valid():
        # Shown beside the review form, with what the reviewer typed kept.
        errors = [
            f"{form.fields[f].label}: {e}" if f in form.fields else e for f, errs in form.errors.items() for e in errs
        ]
        return _report_page(request, report.pk, review_form=form, review_errors=errors)
    else:
        data = form.cleaned_data
        accept = data["decision"] == ReportReviewForm.ACCEPT
        try:
            report = services.report_review(
                actor=request.user, report=report, accept=accept, score=data["score"], comment=data["comment"]
            )
        except DomainError as exc:
            if not ServiceReport.objects.filter(pk=report.pk, state=ServiceReport.State.SUBMITTED).exists():
                messages.error(request, str(exc))  # reviewed meanwhile (another tab): nothing to re-show
                return redirect(reverse("contracts:report_detail", args=[report.pk]))
            return _report_page(request, report.pk, review_form=form, review_errors=[str(exc)])
        else:
            if accept:
                messages.success(
                    request,
                    _("The report is accepted with a score of %(score)s; the provider is notified.")
                    % {"score": f"{report.score.normalize():f}"},
                )
            else:
                messages.success(request, _("The report is returned for revision; the provider is notified."))
    return redirect(reverse("contracts:report_detail", args=[report.pk]) + "#review")
