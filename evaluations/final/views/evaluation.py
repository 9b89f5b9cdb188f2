"""The final evaluation in the UI: the table and the evaluation's page.

One page serves every viewer: the breakdown (each component's weight, value and points, the
deduction, the red-line cap), the trend of the term's monthly scores, the appeal, the approval
trail and the documents, and, below a status line that says where it stands and who acts next,
the one form that is the viewer's to use (each posts to a view in ``final.views.actions``).
The provider sees that its evaluation is under way while the panel is at work, and its
points only from the proposal on.
"""

from datetime import date, timedelta

from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from contracts.permissions import is_party
from contracts.selectors import kpi_progress
from core.documents import documents_for_subject
from core.models import IssuedDocument, Palace, Role
from core.permissions import has_role, palace_ids
from core.tables import FilteredTableView
from core.viewmixins import deny_or_login
from core.workdays import working_days_between
from evaluations.final import scoring
from evaluations.final import selectors as selectors
from evaluations.final.filters import FinalEvaluationFilter
from evaluations.final.forms import AppealDecisionForm
from evaluations.final.models import (
    FinalEvaluation,
    FinalPanelSeat,
    FinalRating,
)
from evaluations.final.permissions import (
    RENEWABLE_RATINGS,
    can_appeal_final,
    can_confirm_final,
    can_decide_appeal,
    can_renew_final,
    can_view_final,
    is_final_admin,
)
from evaluations.final.services import evaluation as services
from evaluations.final.tables import FinalEvaluationTable, rating_chip
from evaluations.realtime.charts import trend_chart
from evaluations.realtime.models import PeriodScore
from evaluations.rectification.models import RectificationOrder
from evaluations.standing.selectors import trend_points
from procurement.permissions import provider_of

TEMPLATES = "evaluations/final/"
State = FinalEvaluation.State


def _day(value) -> str:
    if value is None:
        return "—"
    return date_format(timezone.localtime(value) if hasattr(value, "hour") else value, "Y-m-d")


def _name(user) -> str:
    return (user.get_full_name() or user.get_username()) if user else "—"


def _rating(rating: str) -> str:
    return str(FinalRating(rating).label) if rating else "—"


# --- the table ----------------------------------------------------------------------------------


class FinalListView(FilteredTableView):
    """The palace's administrators and auditors see its evaluations; evaluators those whose panel they sit
    on; a provider's users their own."""

    template_name = TEMPLATES + "list.html"
    table_class = FinalEvaluationTable
    filterset_class = FinalEvaluationFilter
    page_title = gettext_lazy("Final evaluations")
    export_name = "final-evaluations"

    def dispatch(self, request, *args, **kwargs):
        user = request.user
        if user.is_authenticated and not (user.is_superuser or palace_ids(user) or provider_of(user)):
            return deny_or_login(request)
        return super().dispatch(request, *args, **kwargs)

    def get_queryset(self):
        return selectors.final_evaluations_for(self.request.user)

    def get_filterset_kwargs(self, filterset_class):
        kwargs = super().get_filterset_kwargs(filterset_class)
        user = self.request.user
        self.staff = user.is_superuser or bool(palace_ids(user))
        palaces = None
        if self.staff:
            palaces = (
                Palace.objects.all() if user.is_superuser else Palace.objects.filter(pk__in=palace_ids(user))
            ).order_by("name")
        # One palace, or a provider: a palace filter (and column) would say the same thing on every row.
        self.multi_palace = palaces is not None and palaces.count() > 1
        kwargs["palaces"] = palaces if self.multi_palace else None
        return kwargs

    def get_table_kwargs(self):
        exclude = []
        if not getattr(self, "multi_palace", False):
            exclude.append("palace")
        if not getattr(self, "staff", True):
            exclude.append("provider")  # a provider's own name on every row
        return super().get_table_kwargs() | {"exclude": exclude}

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["weights_url"] = (
            reverse("evaluations:final_weights") if self.staff and not self.request.user.is_superuser else None
        )
        return ctx


# --- the evaluation's page ----------------------------------------------------------------------


def _appeal_window(evaluation: FinalEvaluation, today: date) -> dict | None:
    """The deadline and the working days left to appeal after today, while the rating is proposed."""
    if evaluation.state != State.PROPOSED or evaluation.appeal_deadline is None:
        return None
    deadline = evaluation.appeal_deadline
    if today > deadline:
        return {"deadline": deadline, "open": False, "left": 0}
    return {"deadline": deadline, "open": True, "left": working_days_between(today, deadline)}


def _window_text(window: dict | None) -> str:
    if window is None:
        return ""
    if not window["open"]:
        return _("closed")
    if window["left"] == 0:
        return _("today is the last day")
    return ngettext("%(n)d working day left after today", "%(n)d working days left after today", window["left"]) % {
        "n": window["left"]
    }


def _status(
    ev: FinalEvaluation,
    *,
    user,
    party: bool,
    admin: bool,
    window: dict | None,
    total,
    rating: str,
    seats: tuple[int, int],
) -> str:
    """One paragraph on where the evaluation stands and what happens next, for this viewer."""
    contract = ev.contract
    if ev.state == State.CANCELLED:
        return _(
            "Ended unrated: the contract was terminated early on %(date)s, after its termination review, "
            "and the provider exits (退出合作). The exit, not a rating, closes this term."
        ) % {"date": _day(contract.ended_at)}
    if ev.state == State.PANEL:
        if party:
            return _(
                "The palace is evaluating your contract's term: a panel of evaluators reviews the service, and "
                "the term's monthly scores, KPI completion and worker satisfaction are counted in. You will be "
                "notified when the rating is proposed, with its breakdown; you may then appeal it within "
                "%(days)d working days."
            ) % {"days": services.APPEAL_WORKING_DAYS}
        done, size = seats
        if size == 0:
            return _(
                "The panel review is to be assigned: an administrator names at least three evaluators of the "
                "palace. When they have all scored, the points are worked out and the rating is proposed to "
                "the provider."
            )
        return _(
            "The panel review is under way: %(done)d of %(size)d evaluators have submitted their scores. "
            "When all have, the points are worked out and the rating is proposed to the provider."
        ) % {"done": done, "size": size}
    proposed = {
        "rating": _rating(ev.proposed_rating),
        "total": f"{ev.proposed_total:.2f}",
        "date": _day(ev.proposed_at),
        "deadline": _day(ev.appeal_deadline),
    }
    if ev.state == State.PROPOSED and window and window["open"]:
        if party:
            return (
                _(
                    "Proposed on %(date)s: %(rating)s, %(total)s points. If you disagree with the breakdown, you "
                    "may appeal once, with your grounds and evidence, by %(deadline)s. Without an appeal, the "
                    "palace's administrator signs the rating off after that day."
                )
                % proposed
            )
        return (
            _(
                "Proposed on %(date)s: %(rating)s, %(total)s points. The provider may appeal until %(deadline)s; "
                "after that an administrator signs the rating off."
            )
            % proposed
        )
    if ev.state == State.PROPOSED:
        if admin:
            return (
                _(
                    "Proposed on %(date)s: %(rating)s, %(total)s points. The appeal window closed on %(deadline)s "
                    "without an appeal: sign the rating off to make it final."
                )
                % proposed
            )
        return (
            _(
                "Proposed on %(date)s: %(rating)s, %(total)s points. The appeal window closed on %(deadline)s "
                "without an appeal; waiting for an administrator's sign-off."
            )
            % proposed
        )
    appeal = getattr(ev, "appeal", None)
    if ev.state == State.APPEALED:
        lodged = {"date": _day(appeal.lodged_at) if appeal else "—"}
        if admin:
            return (
                _(
                    "The provider appealed on %(date)s. Read the grounds and evidence below, then uphold the "
                    "proposed rating or adjust its points, with a reason: the reason is shown to the provider and "
                    "printed in the assessment report. The rating is then signed off."
                )
                % lodged
            )
        if party:
            return (
                _(
                    "You appealed on %(date)s. The palace's administrator decides: upholds the proposed rating or "
                    "adjusts it, with a reason. You will be notified of the decision."
                )
                % lodged
            )
        return _("The provider appealed on %(date)s; waiting for an administrator's decision.") % lodged
    standing = {"rating": _rating(rating), "total": f"{total:.2f}" if total is not None else "—"}
    if ev.state == State.SIGN_OFF:
        if admin:
            return (
                _("Ready for sign-off: %(rating)s, %(total)s points. Your sign-off makes the rating final.") % standing
            )
        return _("Waiting for an administrator's sign-off: %(rating)s, %(total)s points.") % standing
    if ev.state == State.CONFIRMING:
        signed = {"name": _name(ev.signed_off_by), "date": _day(ev.signed_off_at)}
        if admin and ev.signed_off_by_id == user.pk:
            return (
                _(
                    "You signed off this 差 on %(date)s. It awaits confirmation by another administrator of the "
                    "palace: a 差 ends the partnership, so two administrators decide it."
                )
                % signed
            )
        if admin:
            return (
                _(
                    "%(name)s signed off this 差 on %(date)s. As a second administrator, confirm it to make it "
                    "final: the contract is then terminated, the last payment withheld, the provider excluded "
                    "from this palace's recruitments and the service re-tendered."
                )
                % signed
            )
        return (
            _(
                "%(name)s signed off this 差 on %(date)s; it awaits confirmation by a second administrator of "
                "the palace."
            )
            % signed
        )
    # final
    final = {
        "rating": _rating(ev.rating),
        "total": f"{ev.total:.2f}",
        "date": _day(ev.finalised_at),
        "ends": _day(contract.ends_on),
    }
    text = _("Final since %(date)s: %(rating)s, %(total)s points.") % final
    if ev.outcome == FinalEvaluation.Outcome.RENEWED:
        return text + " " + _("The contract was renewed for a new term without re-tender.")
    if ev.outcome == FinalEvaluation.Outcome.EXITED:
        return (
            text
            + " "
            + _(
                "The partnership ends (退出合作): the contract is terminated and both sides complete "
                "the handover checklist."
            )
        )
    if ev.outcome == FinalEvaluation.Outcome.RETENDER:
        return (
            text
            + " "
            + _(
                "The service is re-tendered when the term ends on %(ends)s: the contract is then "
                "completed and a new recruitment is drafted for the administrator."
            )
            % final
        )
    if ev.rating in RENEWABLE_RATINGS and contract.renewal_of_id is None:
        if admin:
            return (
                text
                + " "
                + _(
                    "You may renew the contract once without re-tender: a new term is drafted for "
                    "you to review and sign. Otherwise the contract is completed when the term ends "
                    "on %(ends)s."
                )
                % final
            )
        return text + " " + _("The palace may renew the contract once without re-tender.")
    if ev.rating in RENEWABLE_RATINGS:
        return (
            text
            + " "
            + _(
                "This contract is itself a renewal, so it cannot be renewed again; the contract is "
                "completed when the term ends on %(ends)s."
            )
            % final
        )
    return text


def _steps(ev: FinalEvaluation, rating: str) -> list[dict]:
    """The progress bar: each step done, current or to come; the second confirmation only for a 差."""
    order = [State.PANEL, State.PROPOSED, State.APPEALED, State.SIGN_OFF, State.CONFIRMING, State.FINAL]
    if ev.state not in order:  # ended unrated by an early termination: no progress to show
        return []
    at = order.index(ev.state)
    appeal = getattr(ev, "appeal", None)
    steps = [
        (State.PANEL, _("Panel review")),
        (State.PROPOSED, _("Rating proposed")),
        (State.APPEALED, _("Appeal") if appeal or at <= 1 else _("No appeal")),
        (State.SIGN_OFF, _("Sign-off")),
    ]
    if rating == scoring.POOR or ev.confirmed_at:
        steps.append((State.CONFIRMING, _("Second confirmation")))
    steps.append((State.FINAL, _("Final")))
    out = []
    for state, label in steps:
        i = order.index(state)
        skipped = state == State.APPEALED and not appeal and at > 1
        out.append({"label": label, "done": i < at and not skipped, "current": i == at, "skipped": skipped})
    return out


def _trail(ev: FinalEvaluation) -> list[dict]:
    """Who did what, when: the approval trail."""
    rows = [{"at": ev.opened_at, "text": _("Final evaluation opened, 30 days before the term ends.")}]
    if ev.proposed_at:
        rows.append(
            {
                "at": ev.proposed_at,
                "text": _(
                    "Panel review compiled; rating proposed: %(rating)s, %(total)s "
                    "points. Appeal window until %(date)s."
                )
                % {
                    "rating": _rating(ev.proposed_rating),
                    "total": f"{ev.proposed_total:.2f}",
                    "date": _day(ev.appeal_deadline),
                },
            }
        )
    appeal = getattr(ev, "appeal", None)
    if appeal is not None:
        rows.append(
            {"at": appeal.lodged_at, "text": _("Appeal lodged by %(name)s.") % {"name": _name(appeal.lodged_by)}}
        )
        if appeal.decided_at:
            rows.append(
                {
                    "at": appeal.decided_at,
                    "text": _("Appeal decided by %(name)s: %(decision)s.")
                    % {"name": _name(appeal.decided_by), "decision": appeal.get_decision_display()},
                }
            )
    if ev.signed_off_at:
        rows.append({"at": ev.signed_off_at, "text": _("Signed off by %(name)s.") % {"name": _name(ev.signed_off_by)}})
    if ev.confirmed_at:
        rows.append(
            {
                "at": ev.confirmed_at,
                "text": _("Confirmed by %(name)s, a second administrator.") % {"name": _name(ev.confirmed_by)},
            }
        )
    if ev.finalised_at:
        rows.append(
            {
                "at": ev.finalised_at,
                "text": _("Final: %(rating)s, %(total)s points.")
                % {"rating": _rating(ev.rating), "total": f"{ev.total:.2f}"},
                "good": ev.rating != scoring.POOR,
                "bad": ev.rating == scoring.POOR,
            }
        )
    if ev.outcome_at and ev.outcome == FinalEvaluation.Outcome.RENEWED:
        rows.append(
            {"at": ev.outcome_at, "text": _("Renewed by %(name)s.") % {"name": _name(ev.outcome_by)}, "good": True}
        )
    return rows


def _viewable(request, pk: int) -> FinalEvaluation | None:
    ev = get_object_or_404(FinalEvaluation.objects.select_related("contract"), pk=pk)
    return ev if can_view_final(request.user, ev) else None


def _for_page(pk: int) -> FinalEvaluation:
    return (
        FinalEvaluation.objects.select_related(
            "contract__palace",
            "contract__provider",
            "contract__project",
            "contract__renewal_of",
            "signed_off_by",
            "confirmed_by",
            "outcome_by",
            "appeal__lodged_by",
            "appeal__decided_by",
        )
        .prefetch_related("panel")
        .get(pk=pk)
    )


def _url(name: str, pk: int) -> str | None:
    """A link to another part's page (exit, history), or None while that page is not installed."""
    try:
        return reverse(name, args=[pk])
    except NoReverseMatch:
        return None


def _page(request, ev: FinalEvaluation, *, decide_form=None):
    user = request.user
    contract = ev.contract
    today = timezone.localdate()
    party = is_party(user, contract)
    admin = is_final_admin(user, ev)
    shows = selectors.shows_points(user, ev)
    breakdown = selectors.final_breakdown(ev) if shows else None
    total, rating = (breakdown.total, breakdown.rating) if breakdown else (None, "")
    window = _appeal_window(ev, today)
    appeal = getattr(ev, "appeal", None) if shows else None
    # While the panel is at work, the staff see how far it has got (never the sealed scores).
    seats = (
        [s for s in ev.panel.all() if s.state != FinalPanelSeat.State.RECUSED]
        if ev.state == State.PANEL and not party
        else []
    )
    submitted = sum(1 for s in seats if s.state == FinalPanelSeat.State.SUBMITTED)
    ctx = {
        "ev": ev,
        "contract": contract,
        "today": today,
        "party": party,
        "admin": admin,
        "staff": not party,
        "shows_points": shows,
        "breakdown": breakdown,
        "total": total,
        "rating": rating,
        "rating_chip": rating_chip(rating) if rating else "",
        "window": window,
        "window_text": _window_text(window),
        "status": _status(
            ev,
            user=user,
            party=party,
            admin=admin,
            window=window,
            total=total,
            rating=rating,
            seats=(submitted, len(seats)),
        ),
        "steps": _steps(ev, rating),
        "trail": _trail(ev) if shows else [],
        "appeal": appeal,
        "evidence": list(appeal.evidence.select_related("file")) if appeal else [],
        "page_title": _("Final evaluation · %(contract)s") % {"contract": contract.number},
    }
    if breakdown is not None:
        ctx["proposed_chip"] = rating_chip(breakdown.proposed_rating)
        uncapped = scoring.final_rating(total) if total is not None else ""
        ctx["uncapped_rating"], ctx["uncapped_label"] = uncapped, _rating(uncapped)
        ctx["failed_orders"] = list(
            RectificationOrder.objects.filter(contract=contract, state=RectificationOrder.State.FAILED)
            .select_related("period")
            .order_by("issued_at")
        )
        periods = list(PeriodScore.objects.filter(contract=contract).order_by("month"))
        ctx["chart"] = trend_chart(
            trend_points(contract, periods, min(today, contract.ends_on) if contract.ends_on else today),
            title=_("Monthly scores of %(contract)s over the term") % {"contract": contract.number},
            chart_id=f"final-trend-{ev.pk}",
        )
        ctx["kpi_rows"] = (
            [
                r
                for r in kpi_progress(contract, today=contract.ends_on + timedelta(days=1))
                if r.measured and r.full_target
            ]
            if contract.ends_on
            else []
        )
    # The viewer's actions.
    ctx["may_appeal"] = can_appeal_final(user, ev) and window is not None and window["open"] and appeal is None
    if can_decide_appeal(user, ev):
        ctx["decide_form"] = decide_form or AppealDecisionForm()
    ctx["may_sign_off"] = admin and (
        ev.state == State.SIGN_OFF or (ev.state == State.PROPOSED and window is not None and not window["open"])
    )
    ctx["may_confirm"] = can_confirm_final(user, ev)
    ctx["may_renew"] = can_renew_final(user, ev)
    if ctx["may_renew"]:
        ctx["renewal_starts"] = contract.ends_on + timedelta(days=1)
    # Where the story goes on: the assessment report, the exit, the renewal.
    if ev.state == State.FINAL:
        ctx["documents"] = list(documents_for_subject(ev))
    exit_ = getattr(ev, "exit", None) if ev.outcome == FinalEvaluation.Outcome.EXITED else None
    ctx["exit_url"] = _url("evaluations:exit_detail", exit_.pk) if exit_ else None
    if exit_ is not None and ev.state == State.FINAL:  # the exit notice goes with the assessment report
        ctx["documents"] += list(documents_for_subject(exit_).filter(kind=IssuedDocument.Kind.EXIT_NOTICE))
    renewal = getattr(contract, "renewal", None) if ev.outcome == FinalEvaluation.Outcome.RENEWED else None
    ctx["renewal"] = renewal
    ctx["history_url"] = _url("evaluations:provider_history", contract.provider_id) if not party else None
    if user.is_superuser or has_role(user, contract.palace_id, Role.ADMIN, Role.AUDITOR):
        ctx["panel_url"] = _url("evaluations:final_panel_assign", ev.pk)
    seat = next((s for s in ev.panel.all() if s.evaluator_id == user.pk), None) if not party else None
    ctx["seat_url"] = _url("evaluations:final_seat", seat.pk) if seat else None
    return TemplateResponse(request, TEMPLATES + "detail.html", ctx)


def final_detail(request, pk: int):
    if _viewable(request, pk) is None:
        return deny_or_login(request)
    return _page(request, _for_page(pk))


def _to_page(ev: FinalEvaluation, anchor: str = ""):
    return redirect(reverse("evaluations:final_detail", args=[ev.pk]) + anchor)


# --- the provider's appeal ----------------------------------------------------------------------


# --- the administrator's decisions --------------------------------------------------------------


# --- the palace's weights -----------------------------------------------------------------------
