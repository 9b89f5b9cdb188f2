"""The final panel review in the UI: the administrator's panel page and the evaluator's seat.

``final_panel_assign`` is where the palace's administrator names the panel, follows its
seats (their states only: the scores stay sealed until the panel compiles) and appoints
a replacement for a recused evaluator (``final_panel_replace``). ``final_seat`` is the
evaluator's one page: declare first, knowing only whom the review is about; then the
scoring sheet beside the term's facts; then, if asked, the justification of outliers;
after compilation, the panel's points. Each form calls one service, whose
``final_changed`` moves the final evaluation's workflow (evaluations/flows_final.py).
"""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from contracts.selectors import kpi_progress
from core.errors import DomainError
from core.models import Role, User
from core.permissions import has_role
from core.viewmixins import apply_domain_error, deny_or_login
from evaluations.final.forms import (
    FinalDeclarationForm,
    FinalPanelForm,
    FinalSheetForm,
    JustificationForm,
    ReplaceForm,
)
from evaluations.final.models import (
    REVIEW_MAXIMA,
    FinalEvaluation,
    FinalPanelScore,
    FinalPanelSeat,
    ReviewCriterion,
)
from evaluations.final.permissions import can_name_final_panel
from evaluations.final.scoring import PERIOD_SCORES, panel_means
from evaluations.final.selectors import term_components
from evaluations.final.services import panel as final_panel
from evaluations.final.services import panel as services
from evaluations.realtime.charts import trend_chart
from evaluations.realtime.scoring import KPI, SATISFACTION
from evaluations.rectification.selectors import contract_orders
from evaluations.standing.selectors import contract_score
from procurement.permissions import can_work_panel_seat

PANEL_PAGE = "evaluations/final/panel_assign.html"
SEAT_PAGE = "evaluations/final/seat.html"
STALE = gettext_lazy("This page was out of date; here is what your seat needs now.")

_EVALUATION = FinalEvaluation.objects.select_related("contract__provider", "contract__project", "contract__palace")


def _evaluators(palace_id: int):
    return (
        User.objects.filter(memberships__palace_id=palace_id, memberships__role=Role.EVALUATOR, is_active=True)
        .order_by("username")
        .distinct()
    )


def _panel(evaluation: FinalEvaluation) -> list[FinalPanelSeat]:
    return list(evaluation.panel.select_related("evaluator", "replaces__evaluator", "replaced_by").order_by("pk"))


def _compiled(evaluation: FinalEvaluation) -> bool:
    return evaluation.panel_value is not None


def _results(evaluation: FinalEvaluation, seats: list[FinalPanelSeat]):
    """After compilation: per criterion, its maximum, the panel's points and each counting seat's points."""
    counting = [s for s in seats if s.state != FinalPanelSeat.State.RECUSED]
    scores = list(FinalPanelScore.objects.filter(seat__in=counting))
    means = panel_means(scores)
    by_cell = {(s.seat_id, s.criterion): s for s in scores}
    return [
        {
            "criterion": c,
            "max": REVIEW_MAXIMA[c],
            "mean": means[c.value],
            "cells": [by_cell.get((seat.pk, c.value)) for seat in counting],
        }
        for c in ReviewCriterion
    ], counting


# --- the administrator's panel page ----------------------------------------------------------------


def final_panel_assign(request, pk: int):
    """Name the panel (the palace's administrators); the palace's administrators and auditors follow it."""
    evaluation = get_object_or_404(_EVALUATION, pk=pk)
    user = request.user
    palace_id = evaluation.contract.palace_id
    if not (user.is_authenticated and (user.is_superuser or has_role(user, palace_id, Role.ADMIN, Role.AUDITOR))):
        return deny_or_login(request)
    manager = can_name_final_panel(user, evaluation)
    at_panel = evaluation.state == FinalEvaluation.State.PANEL
    form = None
    if request.method == "POST":
        if not manager:
            return deny_or_login(request)
        form = FinalPanelForm(request.POST, evaluators=_evaluators(palace_id))
        if form.is_valid():
            try:
                seats = services.final_panel_assign(
                    actor=user, evaluation=evaluation, evaluators=list(form.cleaned_data["evaluators"])
                )
            except DomainError as exc:
                apply_domain_error(form, exc, request)
            else:
                messages.success(
                    request, _("The panel is named: %(count)d evaluators, each notified.") % {"count": len(seats)}
                )
                return redirect("evaluations:final_panel_assign", pk=evaluation.pk)
    seats = _panel(evaluation)
    if manager and at_panel and not seats and form is None:
        form = FinalPanelForm(evaluators=_evaluators(palace_id))
    on_panel = {s.evaluator_id for s in seats}
    replace_forms = []
    if manager and at_panel:
        free = _evaluators(palace_id).exclude(pk__in=on_panel)
        replace_forms = [
            (s, ReplaceForm(evaluators=free, prefix=f"seat{s.pk}"))
            for s in seats
            if s.state == FinalPanelSeat.State.RECUSED and not hasattr(s, "replaced_by")
        ]
    results, counting = _results(evaluation, seats) if _compiled(evaluation) else (None, [])
    return TemplateResponse(
        request,
        PANEL_PAGE,
        {
            "evaluation": evaluation,
            "contract": evaluation.contract,
            "seats": seats,
            "submitted": sum(s.state == FinalPanelSeat.State.SUBMITTED for s in seats),
            "form": form if (manager and at_panel and not seats) else None,
            "replace_forms": replace_forms,
            "results": results,
            "counting": counting,
            "at_panel": at_panel,
            "page_title": _("Final panel review · %(contract)s") % {"contract": evaluation.contract.number},
        },
    )


@require_POST
def final_panel_replace(request, pk: int):
    """Appoint a replacement for a recused evaluator → ``services.final_panel_replace``."""
    seat = get_object_or_404(FinalPanelSeat.objects.select_related("evaluation__contract", "evaluator"), pk=pk)
    evaluation = seat.evaluation
    if not (request.user.is_authenticated and can_name_final_panel(request.user, evaluation)):
        return deny_or_login(request)
    palace_id = evaluation.contract.palace_id
    form = ReplaceForm(request.POST, evaluators=_evaluators(palace_id), prefix=f"seat{seat.pk}")
    if form.is_valid():
        try:
            replacement = services.final_panel_replace(
                actor=request.user, seat=seat, evaluator=form.cleaned_data["evaluator"]
            )
        except DomainError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(
                request,
                _("%(name)s replaces %(old)s on the panel and is notified.")
                % {"name": replacement.evaluator, "old": seat.evaluator},
            )
    else:
        messages.error(request, _("Choose the evaluator to appoint."))
    return redirect("evaluations:final_panel_assign", pk=evaluation.pk)


# --- the evaluator's seat ------------------------------------------------------------------------------


def _step(seat: FinalPanelSeat, evaluation: FinalEvaluation) -> str:
    State = FinalPanelSeat.State
    if evaluation.state != FinalEvaluation.State.PANEL or seat.state == State.RECUSED:
        return "status"
    return {State.ASSIGNED: "declare", State.DECLARED: "score", State.JUSTIFYING: "justify"}.get(seat.state, "status")


def _form(seat: FinalPanelSeat, step: str | None, data=None):
    if step == "declare":
        return FinalDeclarationForm(data)
    if step == "score":
        return FinalSheetForm(data)
    if step == "justify":
        flagged = seat.scores.filter(is_outlier=True, justification="").order_by("criterion")
        return JustificationForm(data, scores=list(flagged))
    return None


def _status(seat: FinalPanelSeat, evaluation: FinalEvaluation) -> str:
    State = FinalPanelSeat.State
    if seat.state == State.RECUSED:
        return _(
            "You declared a conflict of interest and are recused from this panel. Thank you; the "
            "administrator appoints a replacement."
        )
    if _compiled(evaluation):
        return _(
            "The panel's scores are compiled: the panel review gives %(points)s points out of 100. The "
            "points of every evaluator are shown below."
        ) % {"points": evaluation.panel_value}
    if evaluation.state != FinalEvaluation.State.PANEL:
        return _("The panel review of this evaluation is over; there is nothing more to do.")
    if seat.state == State.SUBMITTED:
        return _(
            "Your scores are submitted. They stay sealed until every evaluator has submitted; if any of "
            "your scores is an outlier you will be asked to justify it."
        )
    return _("There is nothing for this seat to do at the moment.")


def _term_facts(evaluation: FinalEvaluation) -> dict:
    """What an evaluator weighs: the term's components as the rating will read them (``term_components``),
    the monthly scores' trend, each KPI target's delivery, the rectification orders and the red lines."""
    contract = evaluation.contract
    today = timezone.localdate()
    found = term_components(contract)
    standing = contract_score(contract, today)
    return {
        "mean": found[PERIOD_SCORES],
        "kpi_completion": found[KPI],
        "satisfaction": found[SATISFACTION],
        "failed_orders": found["failed_orders"],
        "months_scored": sum(p.score is not None for p in standing.trend),
        "chart": trend_chart(standing.trend, title=_("Monthly score over the term")) if standing.trend else "",
        "kpi": kpi_progress(contract, today),
        "orders": contract_orders(contract),
        "red_lines": standing.red_lines,
    }


def _seat_page(request, seat: FinalPanelSeat, *, step: str, form=None):
    evaluation = seat.evaluation
    ctx = {
        "seat": seat,
        "evaluation": evaluation,
        "contract": evaluation.contract,
        "step": step,
        "status": _status(seat, evaluation),
        "maxima": [(c, REVIEW_MAXIMA[c]) for c in ReviewCriterion],
        "page_title": _("Final panel review · %(contract)s") % {"contract": evaluation.contract.number},
    }
    if step in ("declare", "score", "justify"):
        ctx["form"] = form or _form(seat, step)
    if step in ("score", "justify"):
        # Only once the evaluator has declared no conflict: nothing of the term before the declaration.
        ctx["facts"] = _term_facts(evaluation)
    if _compiled(evaluation) and seat.state != FinalPanelSeat.State.RECUSED:
        ctx["results"], ctx["counting"] = _results(evaluation, _panel(evaluation))
    return TemplateResponse(request, SEAT_PAGE, ctx)


def _submit(request, seat: FinalPanelSeat, step: str, form) -> None:
    actor = request.user
    if step == "declare":
        seat = services.final_panel_declare(
            actor=actor, seat=seat, conflict=form.cleaned_data["conflict"], note=form.cleaned_data["note"]
        )
        if seat.state == FinalPanelSeat.State.RECUSED:
            messages.info(
                request,
                _(
                    "You declared a conflict of interest, so you are recused from this panel. "
                    "The administrator will appoint a replacement."
                ),
            )
        else:
            messages.success(request, _("Declared: no conflict of interest. The term is now open to you for scoring."))
    elif step == "score":
        services.final_panel_submit(actor=actor, seat=seat, scores=form.scores())
        messages.success(request, _("Your scores are submitted. They stay sealed until the whole panel has submitted."))
    else:
        services.final_panel_justify(actor=actor, seat=seat, justifications=form.justifications())
        messages.success(request, _("Your justifications are recorded."))


def _stale(seat: FinalPanelSeat, posted: str | None) -> str:
    """Why a form posted from an older page was not taken: said in the services' words where they have them."""
    State = FinalPanelSeat.State
    if posted == "declare" and seat.state != State.ASSIGNED:
        return str(final_panel.ERR_ALREADY_DECLARED)
    if posted == "score" and seat.state in (State.SUBMITTED, State.JUSTIFYING):
        return str(final_panel.ERR_ALREADY_SUBMITTED)
    return str(STALE)


def final_seat(request, pk: int):
    """The evaluator's seat on the final panel review: declare, score, justify; for its evaluator only."""
    seat = get_object_or_404(FinalPanelSeat.objects.select_related("evaluator"), pk=pk)
    if not can_work_panel_seat(request.user, seat):
        return deny_or_login(request)
    seat.evaluation = get_object_or_404(_EVALUATION, pk=seat.evaluation_id)
    step = _step(seat, seat.evaluation)
    if request.method == "POST":
        posted = request.POST.get("step")
        form = _form(seat, posted, request.POST) if posted == step else None
        if form is None:  # a second tab, the back button, a double click
            messages.error(request, _stale(seat, posted))
            return redirect("evaluations:final_seat", pk=seat.pk)
        if form.is_valid():
            try:
                _submit(request, seat, posted, form)
            except DomainError as exc:
                evaluation = seat.evaluation
                seat.refresh_from_db()
                evaluation.refresh_from_db()
                seat.evaluation = evaluation
                if _step(seat, evaluation) == posted:
                    apply_domain_error(form, exc, request)
                    return _seat_page(request, seat, step=posted, form=form)
                messages.error(request, str(exc))  # a stale page: say why, show what is needed now
            return redirect("evaluations:final_seat", pk=seat.pk)
        return _seat_page(request, seat, step=step, form=form)
    return _seat_page(request, seat, step=step)
