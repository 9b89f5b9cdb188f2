"""Reads for the final evaluation: who sees which, the term's components, and the one breakdown.

``final_breakdown`` is what the evaluation's page, the provider's notice and the assessment
report all show, so the three never disagree: each component with its weight, value and
points, the deduction, the red-line cap, the appeal and what it changed, and the rating.
"""

from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal

from django.db.models import Count, Q, QuerySet, Sum
from django.utils.translation import gettext_lazy as _

from contracts.models import Contract
from contracts.selectors import kpi_progress
from core.models import Role
from core.permissions import AnyUser, palace_ids
from evaluations.final.models import Appeal, FinalEvaluation, FinalPanelSeat, FinalRating
from evaluations.final.scoring import (
    FINAL_COMPONENTS,
    PANEL,
    PERIOD_SCORES,
    POOR,
    FinalPoints,
    final_points,
    final_rating,
)
from evaluations.realtime.models import PeriodScore, Rating
from evaluations.realtime.scoring import HUNDRED, KPI, SATISFACTION, mean, q
from evaluations.rectification.models import RectificationOrder
from procurement.permissions import provider_of

# How the breakdown's figures make the total (DOMAIN.md §5), said under it wherever it is shown.
ROUNDED_ONCE = _(
    "The components' points are not rounded to the cent; only their sum less the deduction is, "
    "once (half up), and the rating is read from that total."
)

COMPONENT_LABELS = {
    PERIOD_SCORES: _("Mean of the term's period scores"),
    KPI: _("KPI completion"),
    SATISFACTION: _("End-of-term satisfaction"),
    PANEL: _("Final panel review"),
}


def final_evaluations_for(user: AnyUser) -> QuerySet[FinalEvaluation]:
    """The final evaluations ``user`` may see.

    The administrators and auditors of the palace: all of its evaluations; its evaluators:
    those whose panel they sit on; a provider's users: their own (while the panel is at work
    there are no points to show, only that it is in progress). Everything for the superuser.
    """
    qs = FinalEvaluation.objects.select_related("contract__palace", "contract__provider", "contract__project", "appeal")
    if not user.is_authenticated:
        return qs.none()
    if user.is_superuser:
        return qs
    condition = Q(contract__palace_id__in=palace_ids(user, Role.ADMIN, Role.AUDITOR))
    evaluator_of = palace_ids(user, Role.EVALUATOR)
    if evaluator_of:
        condition |= Q(
            contract__palace_id__in=evaluator_of,
            pk__in=FinalPanelSeat.objects.filter(evaluator_id=user.pk).values("evaluation_id"),
        )
    provider = provider_of(user)
    if provider is not None:
        condition |= Q(contract__provider_id=provider.pk)
    return qs.filter(condition)


def shows_points(user: AnyUser, evaluation: FinalEvaluation) -> bool:
    """Whether ``user`` sees the points: staff who may see it at all, the provider from the proposal on."""
    provider = provider_of(user)
    if provider is not None and provider.pk == evaluation.contract.provider_id:
        return evaluation.state != FinalEvaluation.State.PANEL
    return True


# --- the term's components -------------------------------------------------------------------------


def term_components(contract: Contract) -> dict:
    """The three components read from the term's records, and what is deducted or capped.

    - period scores: the mean of the term's monthly scores that have one;
    - KPI: for each target measured from activities, delivery against the full-term
      target, capped at 100%, averaged;
    - satisfaction: the mean of the term's worker ratings on 0–100 (1★ = 0 … 5★ = 100);
    - the failed rectification orders and the red lines of the term.
    None for a component with no input at all.
    """
    starts, ends = contract.starts_on, contract.ends_on
    months = PeriodScore.objects.filter(
        contract=contract, score__isnull=False, month__lte=ends, month__gte=starts.replace(day=1)
    )
    found = months.aggregate(total=Sum("score"), n=Count("id"))
    period = mean(found["total"] or Decimal(0), found["n"])

    # The day after the term: kpi_progress then holds the full target due.
    rows = [r for r in kpi_progress(contract, today=ends + timedelta(days=1)) if r.measured and r.full_target]
    kpi = (
        q(sum((min(Decimal(1), r.delivered / r.full_target) * HUNDRED for r in rows), Decimal(0)) / len(rows))
        if rows
        else None
    )

    ratings = Rating.objects.filter(contract=contract, activity__date__range=(starts, ends)).aggregate(
        stars=Sum("stars"), n=Count("id")
    )
    # (stars − 1) × 25 per rating, as the monthly score counts them (stars_to_points).
    satisfaction = mean(Decimal(((ratings["stars"] or 0) - ratings["n"]) * 25), ratings["n"])

    return {
        PERIOD_SCORES: period,
        KPI: kpi,
        SATISFACTION: satisfaction,
        "failed_orders": contract.rectification_orders.filter(state=RectificationOrder.State.FAILED).count(),
        "red_lines": contract.red_lines.count(),
    }


def evaluation_weights(evaluation: FinalEvaluation) -> dict[str, int]:
    """The weights copied onto the evaluation when it opened."""
    return {
        PERIOD_SCORES: evaluation.weight_period_scores,
        KPI: evaluation.weight_kpi,
        SATISFACTION: evaluation.weight_satisfaction,
        PANEL: evaluation.weight_panel,
    }


def evaluation_points(evaluation: FinalEvaluation) -> FinalPoints:
    """The arithmetic of a proposed evaluation, from its stored values and weights."""
    values = {
        PERIOD_SCORES: evaluation.period_scores_value,
        KPI: evaluation.kpi_value,
        SATISFACTION: evaluation.satisfaction_value,
        PANEL: evaluation.panel_value,
    }
    return final_points(values, evaluation_weights(evaluation), evaluation.failed_orders)


def final_standing(evaluation: FinalEvaluation, appeal: Appeal | None = None) -> tuple[Decimal | None, str]:
    """The points and rating as they stand: fixed once final; else the proposal, or an appeal's adjustment.

    An adjusted total is rated like any total, so a red line in the term still caps it at 差.
    """
    if evaluation.state == FinalEvaluation.State.FINAL:
        return evaluation.total, evaluation.rating
    if evaluation.proposed_total is None:
        return None, ""
    if appeal is None:
        appeal = Appeal.objects.filter(evaluation_id=evaluation.pk).first()
    if appeal is not None and appeal.decision == Appeal.Decision.ADJUSTED:
        return appeal.adjusted_total, final_rating(appeal.adjusted_total, evaluation.red_lines)
    return evaluation.proposed_total, evaluation.proposed_rating


# --- the breakdown ---------------------------------------------------------------------------------


def points_text(value: Decimal | None, *, cut_short: bool = False) -> str:
    """Points as the breakdown prints them: every place that counts, from 2 to 4 ("44.995", "13.4985",
    "45.00"), so that the components add up to the total; "…" after a sum cut short (scoring.cut)."""
    if value is None:
        return "—"
    whole, places = f"{value:.4f}".split(".")
    return f"{whole}.{places.rstrip('0').ljust(2, '0')}{'…' if cut_short else ''}"


@dataclass(frozen=True)
class ComponentRow:
    key: str
    label: str
    weight: Decimal  # the weight applied: the evaluation's, or more when another component had no input
    set_weight: int  # the weight copied from the palace's settings when the evaluation opened
    value: Decimal | None  # 0–100, None without input
    points: Decimal | None  # to 4 places, not rounded to the cent: only the total is

    @property
    def shared_out(self) -> bool:
        return self.value is None

    @property
    def points_text(self) -> str:
        return points_text(self.points)


@dataclass(frozen=True)
class FinalBreakdown:
    evaluation: FinalEvaluation
    components: list[ComponentRow]
    subtotal: Decimal  # the exact sum of the components' points (to 4 places, cut when a shared-out weight recurs)
    subtotal_is_exact: bool
    failed_orders: int
    deduction: Decimal
    proposed_total: Decimal
    proposed_rating: str
    red_lines: int
    capped: bool  # a red line rated it 差 where the points alone would rate it higher
    appeal: Appeal | None
    total: Decimal  # as it stands: the proposal, an adjustment on appeal, or the final points
    rating: str
    is_final: bool
    notes: list[str] = field(default_factory=list)

    @property
    def rating_label(self) -> str:
        return str(FinalRating(self.rating).label) if self.rating else ""

    @property
    def proposed_rating_label(self) -> str:
        return str(FinalRating(self.proposed_rating).label) if self.proposed_rating else ""

    @property
    def adjusted(self) -> bool:
        return self.appeal is not None and self.appeal.decision == Appeal.Decision.ADJUSTED

    @property
    def subtotal_text(self) -> str:
        return points_text(self.subtotal, cut_short=not self.subtotal_is_exact)


def final_breakdown(evaluation: FinalEvaluation) -> FinalBreakdown | None:
    """The evaluation's points, component by component, and how they make the rating; None before the proposal."""
    if evaluation.proposed_total is None:
        return None
    result = evaluation_points(evaluation)
    weights = evaluation_weights(evaluation)
    stored = {
        PERIOD_SCORES: evaluation.period_scores_points,
        KPI: evaluation.kpi_points,
        SATISFACTION: evaluation.satisfaction_points,
        PANEL: evaluation.panel_points,
    }
    rows = [
        ComponentRow(
            key=name,
            label=str(COMPONENT_LABELS[name]),
            weight=result.weights.get(name, Decimal(0)),
            set_weight=weights[name],
            value=result.values[name],
            points=stored[name] if stored[name] is not None else result.points[name],
        )
        for name in FINAL_COMPONENTS
    ]
    appeal = Appeal.objects.filter(evaluation_id=evaluation.pk).select_related("lodged_by", "decided_by").first()
    total, rating = final_standing(evaluation, appeal)
    notes = [
        str(
            _("%(component)s had no input in the term; its weight is shared out among the others.")
            % {"component": row.label}
        )
        for row in rows
        if row.shared_out and row.set_weight
    ]
    return FinalBreakdown(
        evaluation=evaluation,
        components=rows,
        subtotal=result.subtotal,
        subtotal_is_exact=result.subtotal_is_exact,
        failed_orders=evaluation.failed_orders,
        deduction=evaluation.deduction,
        proposed_total=evaluation.proposed_total,
        proposed_rating=evaluation.proposed_rating,
        red_lines=evaluation.red_lines,
        capped=evaluation.red_lines > 0 and final_rating(total) != POOR,
        appeal=appeal,
        total=total,
        rating=rating,
        is_final=evaluation.state == FinalEvaluation.State.FINAL,
        notes=notes,
    )


def breakdown_text(breakdown: FinalBreakdown) -> str:
    """The breakdown as plain lines, for a notification's body."""
    lines = []
    for row in breakdown.components:
        if row.shared_out:
            lines.append(
                str(_("%(component)s: no input in the term; its weight is shared out") % {"component": row.label})
            )
        else:
            lines.append(
                str(
                    _("%(component)s: %(value)s × %(weight)s%% = %(points)s points")
                    % {
                        "component": row.label,
                        "value": f"{row.value:.2f}",
                        "weight": f"{row.weight.normalize():f}",
                        "points": row.points_text,
                    }
                )
            )
    lines.append(str(_("Sum of the components: %(points)s points") % {"points": breakdown.subtotal_text}))
    if breakdown.failed_orders:
        lines.append(
            str(
                _("Deduction: %(count)d failed rectification order(s) × 5 = %(points)s points")
                % {"count": breakdown.failed_orders, "points": f"{breakdown.deduction:.2f}"}
            )
        )
    if breakdown.red_lines:
        lines.append(
            str(_("%(count)d red line(s) in the term: the rating is capped at 差") % {"count": breakdown.red_lines})
        )
    lines.append(
        str(
            _("Total: %(total)s points, %(rating)s")
            % {"total": f"{breakdown.total:.2f}", "rating": breakdown.rating_label}
        )
    )
    lines.append(str(ROUNDED_ONCE))
    return "\n".join(lines)
