"""The administrator's recruitment pages: the list, the draft form, the cockpit and its actions.

Every action is a POST that calls one service and comes back to the cockpit with
the service's verdict as a message. Auditors read the same cockpit without forms.
"""

from collections import defaultdict
from decimal import Decimal
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

from core.documents import documents_for_subject
from core.errors import DomainError
from core.models import Role
from core.permissions import has_role, palace_ids
from core.tables import FilteredTableView
from core.viewmixins import apply_domain_error, deny_or_login
from core.workdays import add_working_days

from . import selectors
from .filters_recruitment import RecruitmentFilter
from .forms_recruitment import (
    SUGGESTED_CRITERIA,
    SUGGESTED_DOCUMENTS,
    AwardForm,
    CancelForm,
    CorrectionDecideForm,
    CorrectionRequestForm,
    CriterionFormSet,
    ObjectionAnswerForm,
    PanelAssignForm,
    RecruitmentForm,
    ReplaceForm,
    RequiredDocumentFormSet,
)
from .models import (
    Criterion,
    Objection,
    PanelMember,
    Recruitment,
    Score,
    ScoreCorrection,
    ServiceProject,
)
from .permissions import (
    can_create_recruitment,
    can_manage_recruitment,
    can_see_applicants,
    can_see_scores,
    can_view_recruitment,
    provider_of,
)
from .services import award, compilation, drafting, panels, publishing
from .tables_recruitment import RecruitmentTable

SUGGESTED_WINDOW_WORKING_DAYS = 10
CANCELLABLE = {
    Recruitment.State.DRAFT,
    Recruitment.State.PUBLISHED,
    Recruitment.State.CLOSED,
    Recruitment.State.EVALUATING,
    Recruitment.State.PUBLICITY,
}


def _detail(recruitment, anchor: str = ""):
    url = reverse("procurement:recruitment_detail", args=[recruitment.pk])
    return redirect(f"{url}#{anchor}" if anchor else url)


def _form_errors(request, form) -> None:
    for field, errors in form.errors.items():
        label = form.fields[field].label if field in form.fields else ""
        for error in errors:
            messages.error(request, f"{label}: {error}" if label else error)


# --- the list -----------------------------------------------------------------------------------


class RecruitmentListView(FilteredTableView):
    table_class = RecruitmentTable
    filterset_class = RecruitmentFilter
    page_title = gettext_lazy("Recruitments")
    export_name = "recruitments"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not (request.user.is_superuser or palace_ids(request.user)):
            return deny_or_login(request)
        return super().dispatch(request, *args, **kwargs)

    def get_queryset(self):
        return selectors.recruitments_for(self.request.user)

    def get_filterset_kwargs(self, filterset_class):
        kwargs = super().get_filterset_kwargs(filterset_class)
        kwargs["projects"] = selectors.service_projects_for(self.request.user)
        return kwargs

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        if can_create_recruitment(self.request.user):
            ctx["create_url"] = reverse("procurement:recruitment_create")
            ctx["create_label"] = _("New recruitment")
        return ctx


# --- drafting -----------------------------------------------------------------------------------


def _criteria_inputs(formset) -> list[drafting.CriterionInput]:
    return [
        drafting.CriterionInput(
            name=row["name"], max_points=row["max_points"], kind=row["kind"], description=row.get("description") or ""
        )
        for row in formset.filled()
    ]


def _recruitment_form_page(request, *, recruitment: Recruitment | None, projects):
    initial_criteria, initial_documents, initial = SUGGESTED_CRITERIA, SUGGESTED_DOCUMENTS, {}
    if recruitment is not None:
        initial_criteria = [
            {"name": c.name, "description": c.description, "max_points": c.max_points, "kind": c.kind}
            for c in recruitment.criteria.all()
        ]
        initial_documents = [{"name": d.name} for d in recruitment.required_documents.all()]
    else:
        # A suggestion the administrator usually keeps: two working weeks to apply.
        initial = {"deadline_date": add_working_days(timezone.localdate(), SUGGESTED_WINDOW_WORKING_DAYS)}
        if chosen := projects.filter(pk=request.GET.get("project") or 0).first():
            initial |= {"project": chosen.pk, "title": chosen.name, "budget_ceiling": chosen.budget}
    form = RecruitmentForm(
        request.POST if request.method == "POST" else None, projects=projects, recruitment=recruitment, initial=initial
    )
    # Initial rows only prefill a fresh page: posted rows stand on their own.
    bound = request.method == "POST"
    criteria = CriterionFormSet(
        request.POST if bound else None, initial=None if bound else initial_criteria, prefix="criteria"
    )
    documents = RequiredDocumentFormSet(
        request.POST if bound else None, initial=None if bound else initial_documents, prefix="documents"
    )
    if bound and form.is_valid() and criteria.is_valid() and documents.is_valid():
        data = form.cleaned_data
        common = {
            "actor": request.user,
            "title": data["title"],
            "deadline": form.deadline,
            "criteria": _criteria_inputs(criteria),
            "required_documents": [d["name"] for d in documents.filled()],
            "description": data["description"],
            "eligibility": data["eligibility"],
            "budget_ceiling": data["budget_ceiling"],
            "panel_size": data["panel_size"],
        }
        try:
            if recruitment is None:
                recruitment = drafting.recruitment_create(project=data["project"], **common)
            else:
                recruitment = drafting.recruitment_update(recruitment=recruitment, **common)
        except DomainError as exc:
            apply_domain_error(form, exc, request)
        else:
            messages.success(
                request, _("Saved the draft “%(title)s”. Check it, then publish it.") % {"title": recruitment.title}
            )
            return _detail(recruitment)
    rows = criteria.filled() if criteria.is_bound and criteria.is_valid() else initial_criteria
    total = sum((row["max_points"] for row in rows), Decimal(0))
    return TemplateResponse(
        request,
        "procurement/recruitment/form.html",
        {
            "form": form,
            "criteria": criteria,
            "documents": documents,
            "recruitment": recruitment,
            "weight_total": total,
            "has_projects": projects.exists(),
        },
    )


def recruitment_create(request):
    if not request.user.is_authenticated:
        return deny_or_login(request)
    if not can_create_recruitment(request.user):
        return deny_or_login(request)
    projects = ServiceProject.objects.filter(
        palace_id__in=palace_ids(request.user, Role.ADMIN), is_active=True
    ).select_related("palace")
    return _recruitment_form_page(request, recruitment=None, projects=projects)


def recruitment_edit(request, pk: int):
    recruitment = get_object_or_404(Recruitment.objects.select_related("project"), pk=pk)
    if not can_manage_recruitment(request.user, recruitment):
        return deny_or_login(request)
    if recruitment.state != Recruitment.State.DRAFT:
        messages.error(request, str(drafting.ERR_NOT_DRAFT))
        return _detail(recruitment)
    projects = ServiceProject.objects.filter(pk=recruitment.project_id)
    return _recruitment_form_page(request, recruitment=recruitment, projects=projects)


# --- the cockpit ----------------------------------------------------------------------------------


def _what_next(recruitment: Recruitment, *, valid_count: int | None, panel_complete: bool) -> str:
    """One paragraph on where the recruitment stands and what happens next."""
    state, State = recruitment.state, Recruitment.State
    deadline = date_format(timezone.localtime(recruitment.deadline), "Y-m-d H:i") if recruitment.deadline else "—"
    if state == State.DRAFT:
        return _(
            "A draft: nobody outside the palace sees it. Check the notice and the criteria, then publish. "
            "Applications are then open until the deadline, at least 5 working days later."
        )
    if state == State.PUBLISHED:
        return _(
            "Open for applications until %(deadline)s. Applications are sealed: until the deadline only "
            "their number is shown. At the deadline the recruitment closes by itself; with fewer than 2 "
            "valid applications it fails."
        ) % {"deadline": deadline}
    if state == State.CLOSED:
        return _(
            "Closed with %(count)d valid applications. Next: the administrator names a panel of "
            "%(size)d evaluators, which opens the evaluation."
        ) % {"count": valid_count or 0, "size": recruitment.panel_size}
    if state == State.EVALUATING and recruitment.compiled_at is None:
        if not panel_complete:
            return _("An evaluator recused; the panel cannot finish until the administrator appoints a replacement.")
        return _(
            "The panel is at work: each evaluator declares any conflict of interest, then scores. Scores "
            "stay sealed until every evaluator has submitted; outliers must be justified. The scores are "
            "then compiled automatically."
        )
    if state == State.EVALUATING:
        return _(
            "The scores are compiled and locked. Next: propose the award, normally to the top-ranked "
            "applicant. A score can still be corrected with a reason, approved by a second "
            "administrator."
        )
    if state == State.PUBLICITY:
        until = date_format(timezone.localtime(recruitment.publicity_ends_at), "Y-m-d")
        return _(
            "The result is in publicity until %(until)s. Applicants may object, and every objection must "
            "be answered. When publicity ends with every objection answered the recruitment is awarded "
            "and a draft contract is created."
        ) % {"until": until}
    if state == State.AWARDED:
        return _("Awarded. The draft contract follows from here.")
    if state == State.FAILED:
        return _("Failed: fewer than 2 valid applications at the deadline. It can be re-issued with one click.")
    return _("Cancelled. It can be re-issued as a new draft.")


def _ranking_rows(recruitment: Recruitment, criteria: list[Criterion]) -> list[dict]:
    rows = []
    for application in selectors.compiled_ranking(recruitment):
        by_criterion = {c.criterion_id: c.points for c in application.compiled.all()}
        rows.append({"application": application, "points": [by_criterion.get(c.pk) for c in criteria]})
    return rows


def _score_matrix(recruitment, panel, subjective, corrections) -> list[dict]:
    """Per evaluator: one row per applicant, one cell per subjective criterion, corrections beside."""
    corrected = defaultdict(list)
    for correction in corrections:
        corrected[correction.score_id].append(correction)
    cells: dict[int, dict[tuple[int, int], Score]] = defaultdict(dict)
    applications: dict[int, object] = {}
    for score in selectors.scores_of(recruitment):
        score.corrections_list = corrected.get(score.pk, [])
        cells[score.member_id][(score.application_id, score.criterion_id)] = score
        applications.setdefault(score.application_id, score.application)
    matrix = []
    for member in panel:
        if member.pk not in cells:
            continue
        rows = [
            {"application": application, "cells": [cells[member.pk].get((application.pk, c.pk)) for c in subjective]}
            for application in applications.values()
        ]
        matrix.append({"member": member, "rows": rows})
    return matrix


def recruitment_detail(request, pk: int):
    recruitment = get_object_or_404(Recruitment, pk=pk)
    user = request.user
    if not can_view_recruitment(user, recruitment) or provider_of(user) is not None:
        return deny_or_login(request)
    recruitment = selectors.recruitment_detail(pk)
    manager = can_manage_recruitment(user, recruitment)
    State = Recruitment.State
    criteria = list(recruitment.criteria.all())
    subjective = [c for c in criteria if c.kind == Criterion.Kind.SUBJECTIVE]
    panel = selectors.panel_of(recruitment)
    active = [m for m in panel if m.state != PanelMember.State.RECUSED]
    show_applicants = can_see_applicants(user, recruitment)
    show_scores = can_see_scores(user, recruitment)
    applicants = selectors.applicants_of(recruitment) if show_applicants else []
    for application in applicants:
        application.current_documents = [d for d in application.documents.all() if d.version == application.version]
    valid_count = selectors.valid_application_count(recruitment)
    ctx = {
        "recruitment": recruitment,
        "manager": manager,
        "criteria": criteria,
        "weight_total": sum((c.max_points for c in criteria), Decimal(0)),
        "sealed": recruitment.state in (State.DRAFT, State.PUBLISHED),
        "application_count": selectors.live_application_count(recruitment),
        "show_applicants": show_applicants,
        "applicants": applicants,
        "show_scores": show_scores,
        "panel": panel,
        "panel_submitted": sum(1 for m in active if m.state == PanelMember.State.SUBMITTED),
        "what_next": _what_next(
            recruitment, valid_count=valid_count, panel_complete=len(active) >= recruitment.panel_size or not panel
        ),
        "subjective": subjective,
        "documents": list(documents_for_subject(recruitment))
        if user.is_superuser or has_role(user, recruitment.palace_id, Role.ADMIN, Role.AUDITOR)
        else [],
    }
    if show_applicants:
        ctx["objections"] = selectors.objections_of(recruitment)
    if show_scores:
        corrections = selectors.corrections_of(recruitment)
        ctx["ranking"] = _ranking_rows(recruitment, criteria)
        ctx["matrix"] = _score_matrix(recruitment, panel, subjective, corrections)
        ctx["corrections"] = corrections
    if manager:
        ctx.update(_action_forms(request, recruitment, panel))
    return TemplateResponse(request, "procurement/recruitment/detail.html", ctx)


def _action_forms(request, recruitment: Recruitment, panel: list[PanelMember]) -> dict:
    """The forms the administrator may use now, each posting to its own action."""
    State, forms = Recruitment.State, {}
    if recruitment.state == State.DRAFT:
        forms["publish_errors"], forms["publish_warnings"] = publishing.publish_problems(recruitment, timezone.now())
    if recruitment.state in CANCELLABLE:
        forms["cancel_form"] = CancelForm()
    if recruitment.state == State.CLOSED:
        forms["assign_form"] = PanelAssignForm(
            evaluators=selectors.palace_evaluators(recruitment.palace_id), panel_size=recruitment.panel_size
        )
    if recruitment.state == State.EVALUATING:
        seated = {m.evaluator_id for m in panel}
        candidates = selectors.palace_evaluators(recruitment.palace_id).exclude(pk__in=seated)
        forms["replace_forms"] = [
            (member, ReplaceForm(evaluators=candidates, prefix=f"replace-{member.pk}"))
            for member in panel
            if member.state == PanelMember.State.RECUSED and getattr(member, "replaced_by", None) is None
        ]
    if recruitment.state == State.EVALUATING and recruitment.compiled_at is not None:
        forms["correction_form"] = CorrectionRequestForm(
            scores=Score.objects.filter(member__recruitment=recruitment, criterion__kind=Criterion.Kind.SUBJECTIVE)
            .select_related("member__evaluator", "application__provider", "criterion")
            .order_by("member_id", "application__rank", "criterion__position")
        )
        top = recruitment.applications.filter(is_valid=True, rank=1).first()
        forms["award_form"] = AwardForm(
            applications=recruitment.applications.filter(is_valid=True).select_related("provider").order_by("rank"),
            initial={"application": top.pk if top else None},
        )
    if recruitment.compiled_at is not None:
        forms["decide_form"] = CorrectionDecideForm()
    if recruitment.state == State.PUBLICITY:
        forms["answer_form"] = ObjectionAnswerForm()
        forms["finalise_problem"] = award.finalise_problem(recruitment, timezone.now())
        forms["can_finalise"] = not forms["finalise_problem"]
    forms["can_reissue"] = recruitment.state in (State.FAILED, State.CANCELLED)
    return forms


# --- actions --------------------------------------------------------------------------------------


def admin_action(view):
    """A POST by the palace's administrator; it answers with the cockpit and a message."""

    @require_POST
    @wraps(view)
    def wrapper(request, pk: int, **kwargs):
        if not request.user.is_authenticated:
            return deny_or_login(request)
        recruitment = get_object_or_404(Recruitment, pk=pk)
        if not can_manage_recruitment(request.user, recruitment):
            return deny_or_login(request)
        try:
            response = view(request, recruitment, **kwargs)
        except DomainError as exc:
            messages.error(request, str(exc))
            response = None
        return response or _detail(recruitment)

    return wrapper


@admin_action
def recruitment_publish(request, recruitment: Recruitment):
    try:
        warnings = publishing.recruitment_publish(actor=request.user, recruitment=recruitment)
    except DomainError as exc:
        recruitment.refresh_from_db()
        errors = []
        if recruitment.state == Recruitment.State.DRAFT:
            errors, _warnings = publishing.publish_problems(recruitment, timezone.now())
        for problem in errors or [str(exc)]:
            messages.error(request, problem)
        return None
    for warning in warnings:
        messages.warning(request, warning)
    recruitment.refresh_from_db()
    messages.success(
        request,
        _("Published. Applications are open until %(deadline)s.")
        % {"deadline": date_format(timezone.localtime(recruitment.deadline), "Y-m-d H:i")},
    )
    return None


@admin_action
def recruitment_cancel(request, recruitment: Recruitment):
    form = CancelForm(request.POST)
    if not form.is_valid():
        _form_errors(request, form)
        return None
    publishing.recruitment_cancel(actor=request.user, recruitment=recruitment, reason=form.cleaned_data["reason"])
    messages.success(request, _("The recruitment is cancelled; the applicants are told why."))
    return None


@admin_action
def recruitment_reissue(request, recruitment: Recruitment):
    clone = publishing.recruitment_reissue(actor=request.user, recruitment=recruitment)
    messages.success(
        request,
        _("Re-issued as the draft %(number)s. Set its deadline, check it, then publish.") % {"number": clone.number},
    )
    return redirect("procurement:recruitment_edit", pk=clone.pk)


@admin_action
def panel_assign(request, recruitment: Recruitment):
    form = PanelAssignForm(
        request.POST, evaluators=selectors.palace_evaluators(recruitment.palace_id), panel_size=recruitment.panel_size
    )
    if not form.is_valid():
        _form_errors(request, form)
        return _detail(recruitment, "panel")
    members = panels.panel_assign(
        actor=request.user, recruitment=recruitment, evaluators=list(form.cleaned_data["evaluators"])
    )
    messages.success(
        request,
        _("The panel of %(count)d is named; each evaluator has a task in their inbox.") % {"count": len(members)},
    )
    return _detail(recruitment, "panel")


@admin_action
def panel_replace(request, recruitment: Recruitment, member_pk: int):
    member = get_object_or_404(PanelMember, pk=member_pk, recruitment=recruitment)
    form = ReplaceForm(
        request.POST, evaluators=selectors.palace_evaluators(recruitment.palace_id), prefix=f"replace-{member.pk}"
    )
    if not form.is_valid():
        _form_errors(request, form)
        return _detail(recruitment, "panel")
    replacement = panels.panel_replace(actor=request.user, member=member, evaluator=form.cleaned_data["evaluator"])
    messages.success(
        request, _("%(name)s replaces %(old)s on the panel.") % {"name": replacement.evaluator, "old": member.evaluator}
    )
    return _detail(recruitment, "panel")


@admin_action
def correction_request(request, recruitment: Recruitment):
    form = CorrectionRequestForm(request.POST, scores=Score.objects.filter(member__recruitment=recruitment))
    if not form.is_valid():
        _form_errors(request, form)
        return _detail(recruitment, "corrections")
    data = form.cleaned_data
    compilation.score_correction_request(
        actor=request.user,
        score=data["score"],
        corrected_points=data["corrected_points"],
        reason=data["reason"],
        justification=data["justification"],
    )
    messages.success(
        request,
        _("The correction is requested. Another administrator must approve it; until then the compiled scores stand."),
    )
    return _detail(recruitment, "corrections")


@admin_action
def correction_decide(request, recruitment: Recruitment, correction_pk: int):
    correction = get_object_or_404(ScoreCorrection, pk=correction_pk, score__member__recruitment=recruitment)
    form = CorrectionDecideForm(request.POST)
    if not form.is_valid():
        _form_errors(request, form)
        return _detail(recruitment, "corrections")
    approve = form.cleaned_data["decision"] == "approve"
    compilation.score_correction_decide(
        actor=request.user, correction=correction, approve=approve, note=form.cleaned_data["note"]
    )
    messages.success(
        request,
        _("Correction approved; the scores are compiled again.")
        if approve
        else _("Correction rejected; the score stands."),
    )
    return _detail(recruitment, "corrections")


@admin_action
def award_propose(request, recruitment: Recruitment):
    form = AwardForm(request.POST, applications=recruitment.applications.filter(is_valid=True))
    if not form.is_valid():
        _form_errors(request, form)
        return _detail(recruitment, "award")
    award.award_propose(
        actor=request.user,
        recruitment=recruitment,
        application=form.cleaned_data["application"],
        reason=form.cleaned_data["reason"],
    )
    recruitment.refresh_from_db()
    messages.success(
        request,
        _("The result is published for publicity until %(until)s.")
        % {"until": date_format(timezone.localtime(recruitment.publicity_ends_at), "Y-m-d")},
    )
    return _detail(recruitment, "award")


@admin_action
def objection_answer(request, recruitment: Recruitment, objection_pk: int):
    objection = get_object_or_404(Objection, pk=objection_pk, recruitment=recruitment)
    form = ObjectionAnswerForm(request.POST)
    if not form.is_valid():
        _form_errors(request, form)
        return _detail(recruitment, "objections")
    award.objection_answer(
        actor=request.user,
        objection=objection,
        upheld=form.cleaned_data["decision"] == "upheld",
        answer=form.cleaned_data["answer"],
        outcome=form.cleaned_data["outcome"],
    )
    messages.success(request, _("The objection is answered; the applicant is notified."))
    return _detail(recruitment, "objections")


@admin_action
def recruitment_finalise(request, recruitment: Recruitment):
    if recruitment.state != Recruitment.State.PUBLICITY:
        messages.info(request, _("Only a result in publicity can be finalised."))
        return None
    award.recruitment_finalise(recruitment=recruitment, actor=request.user)
    messages.success(request, _("Awarded. A draft contract has been created."))
    return None
