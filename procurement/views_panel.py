"""The evaluator's side of a panel: one page per seat that declares, scores and justifies.

``seat_task`` is the view of the panel workflow's seat tasks (procurement/flows.py):
it binds a form and calls a service; the service's ``panel_changed`` moves the
process on. ``panel_task`` is where notifications point: it forwards to the seat's
open task, or says what has become of the seat.
"""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from viewflow.workflow.status import STATUS

from core.errors import DomainError
from core.registry import page_sections
from core.viewmixins import apply_domain_error, deny_or_login

from . import selectors
from .forms_recruitment import DeclarationForm, JustificationForm, ScoreSheetForm
from .models import Criterion, PanelMember, Recruitment
from .permissions import can_see_scores, can_work_panel_seat
from .services import compilation, panels, recruitment


def panel_task(request, member_pk: int):
    if not request.user.is_authenticated:
        return deny_or_login(request)
    member = get_object_or_404(PanelMember.objects.select_related("recruitment", "evaluator"), pk=member_pk)
    if not can_work_panel_seat(request.user, member):
        return deny_or_login(request)
    task = selectors.open_seat_task(member)
    if task is not None and task.owner_id == request.user.pk:
        return redirect(task.flow_task.reverse("execute", args=[task.process_id, task.pk]))
    return _page(request, member, step="status")


def _seat_status(member: PanelMember) -> str:
    recruitment, State = member.recruitment, PanelMember.State
    if member.state == State.RECUSED:
        return _(
            "You declared a conflict of interest and are recused from this panel. Thank you; the "
            "administrator appoints a replacement."
        )
    if recruitment.state == Recruitment.State.CANCELLED:
        return _("This recruitment was cancelled; there is nothing more to do.")
    if recruitment.compiled_at is not None:
        return _("The panel's scores are compiled. The ranking is on the recruitment's page.")
    if member.state in (State.SUBMITTED, State.JUSTIFYING):
        return _(
            "Your scores are submitted. They stay sealed until every evaluator has submitted; if any of "
            "your scores is an outlier you will be asked to justify it."
        )
    return _("There is no task for this seat at the moment.")


def seat_task(request, task):
    """The seat task page, for its evaluator only (checked by the flow node before this runs)."""
    member = selectors.panel_seat(task.data["member"])
    if task.status not in (STATUS.NEW, STATUS.ASSIGNED):
        # Done already: a double submit, a second tab, the back button.
        done = (
            compilation.ERR_NOT_SCORING
            if member.state in (PanelMember.State.SUBMITTED, PanelMember.State.JUSTIFYING)
            else _seat_status(member)
        )
        messages.info(request, str(done))
        return redirect("procurement:panel_task", member_pk=member.pk)
    step = _step(task, member)
    if request.method == "POST":
        posted = request.POST.get("step")
        form = _form(member, posted, request.POST)
        if form is None:
            messages.error(request, _("This page was out of date; here is what your seat needs now."))
        elif form.is_valid():
            try:
                _submit(request, member, posted, form)
            except DomainError as exc:
                member.refresh_from_db()
                step = _step(task, member)
                if posted == step:
                    apply_domain_error(form, exc, request)
                    return _page(request, member, step=step, form=form)
                messages.error(request, str(exc))  # a stale page: say why, show what is needed now
            else:
                return redirect("procurement:panel_task", member_pk=member.pk)
        elif posted == step:
            return _page(request, member, step=step, form=form)
        else:
            messages.error(request, _("This page was out of date; here is what your seat needs now."))
    return _page(request, member, step=step)


def _step(task, member: PanelMember) -> str:
    if task.flow_task.name == "justify":
        return "justify" if member.state == PanelMember.State.JUSTIFYING else "status"
    if member.state == PanelMember.State.ASSIGNED:
        return "declare"
    if member.state == PanelMember.State.DECLARED:
        return "score"
    return "status"


def _sheet_parts(member: PanelMember):
    applications = selectors.valid_applications_with_documents(member.recruitment)
    criteria = [c for c in member.recruitment.criteria.all() if c.kind == Criterion.Kind.SUBJECTIVE]
    return applications, criteria


def _form(member: PanelMember, step: str | None, data=None):
    if step == "declare":
        return DeclarationForm(data, applications=list(recruitment.valid_applications(member.recruitment)))
    if step == "score":
        applications, criteria = _sheet_parts(member)
        return ScoreSheetForm(
            data, applications=applications, criteria=criteria, initial=selectors.previous_round_sheet(member)
        )
    if step == "justify":
        return JustificationForm(data, scores=selectors.own_flagged_scores(member))
    return None


def _submit(request, member: PanelMember, step: str, form) -> None:
    actor = request.user
    if step == "declare":
        member = panels.panel_declare(actor=actor, member=member, conflicts=form.conflicts())
        if member.state == PanelMember.State.RECUSED:
            messages.info(
                request,
                _(
                    "You declared a conflict of interest, so you are recused from this panel. "
                    "The administrator will appoint a replacement."
                ),
            )
        else:
            messages.success(
                request, _("Declared: no conflict of interest. The applications are now open to you for scoring.")
            )
    elif step == "score":
        compilation.scores_submit(
            actor=actor,
            member=member,
            scores=[
                compilation.ScoreInput(application_id=a, criterion_id=c, points=points, comment=comment)
                for a, c, points, comment in form.sheet()
            ],
        )
        messages.success(request, _("Your scores are submitted. They stay sealed until the whole panel has submitted."))
    else:
        compilation.scores_justify(actor=actor, member=member, justifications=form.justifications())
        messages.success(request, _("Your justifications are recorded."))


def _page(request, member: PanelMember, *, step: str, form=None):
    recruitment = member.recruitment
    ctx = {
        "member": member,
        "recruitment": recruitment,
        "step": step,
        "status": _seat_status(member),
        "criteria": list(recruitment.criteria.all()),
    }
    if step in ("declare", "score", "justify"):
        ctx["form"] = form or _form(member, step)
    if step == "score":
        ctx["applications"] = ctx["form"].rows
        for application, _cells in ctx["form"].rows:
            application.current_documents = [d for d in application.documents.all() if d.version == application.version]
    ctx["can_see_ranking"] = can_see_scores(request.user, recruitment)
    ctx["page_sections"] = page_sections("procurement.panel_seat", request, member)
    return TemplateResponse(request, "procurement/panel/seat.html", ctx)
