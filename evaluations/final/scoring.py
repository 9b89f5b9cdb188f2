"""The real-time period score (DOMAIN.md §4), as pure functions over Decimals.

A month's score is the weighted mean of four indicators, each 0–100: inspections (40),
report review scores (20), worker satisfaction (30) and KPI progress (10). An
indicator with no input yet carries no weight, and satisfaction counts only once the
month has at least 30 ratings; in both cases its weight is shared out among the
indicators that have a value, in proportion to their weights. A red line fails the
month whatever the score. Below 60 fails; 60 passes; 80 and above is green.
"""

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from evaluations.final.models import FinalPanelScore, ReviewCriterion
from evaluations.realtime.scoring import HUNDRED, KPI, PASS_MARK, SATISFACTION, q
from procurement import scoring as procurement_scoring

PERIOD_SCORES, PANEL = "period_scores", "panel"


FINAL_COMPONENTS = (PERIOD_SCORES, KPI, SATISFACTION, PANEL)


DEFAULT_FINAL_WEIGHTS = {PERIOD_SCORES: 50, KPI: 20, SATISFACTION: 15, PANEL: 15}


FAILED_ORDER_DEDUCTION = Decimal(5)


EXCELLENT, GOOD, PASS, POOR = "excellent", "good", "pass", "poor"  # evaluations.models.FinalRating's values


RATING_FLOORS = ((Decimal(90), EXCELLENT), (Decimal(80), GOOD), (PASS_MARK, PASS))


@dataclass(frozen=True)
class FinalPoints:
    values: dict[str, Decimal | None]
    weights: dict[str, Decimal]  # the weights applied (a component without input shares its weight out)
    points: dict[str, Decimal | None]  # None for a component without input
    shared_out: tuple[str, ...]
    subtotal: Decimal  # the sum of the points, as shown
    deduction: Decimal
    total: Decimal  # subtotal − deduction, within 0–100 (shared-out weights may round a cent over)


def check_final_weights(weights: Mapping[str, int | Decimal]) -> None:
    if set(weights) != set(FINAL_COMPONENTS):
        raise ValueError("weights must name every component")
    if any(w < 0 for w in weights.values()) or sum(weights.values()) != HUNDRED:
        raise ValueError("weights must be non-negative and sum to 100")


def final_points(values: Mapping[str, Decimal | None], weights: Mapping[str, int | Decimal] = DEFAULT_FINAL_WEIGHTS,
                 failed_orders: int = 0) -> FinalPoints:
    """Each component's points, the deduction and the total.

    ``values`` maps each component to its value on 0–100 (clamped), or None for no input.
    """
    check_final_weights(weights)
    if failed_orders < 0:
        raise ValueError("failed_orders cannot be negative")
    values = {n: None if values.get(n) is None else min(max(Decimal(values[n]), Decimal(0)), HUNDRED)
              for n in FINAL_COMPONENTS}
    counted = {n: Decimal(weights[n]) for n in FINAL_COMPONENTS if values[n] is not None}
    base = sum(counted.values(), Decimal(0))
    applied = {n: (w * HUNDRED / base if base else Decimal(0)) for n, w in counted.items()}
    points = {n: (q(values[n] * applied[n] / HUNDRED) if n in applied else None) for n in FINAL_COMPONENTS}
    subtotal = sum((p for p in points.values() if p is not None), Decimal(0))
    deduction = FAILED_ORDER_DEDUCTION * failed_orders
    return FinalPoints(values=values, weights={n: q(w) for n, w in applied.items()}, points=points,
                       shared_out=tuple(n for n in FINAL_COMPONENTS if values[n] is None and weights[n]),
                       subtotal=q(subtotal), deduction=q(deduction),
                       total=q(min(max(subtotal - deduction, Decimal(0)), HUNDRED)))


def final_rating(total: Decimal, red_lines: int = 0) -> str:
    """优秀 ≥ 90, 良好 ≥ 80, 合格 ≥ 60, else 差; any red line in the term caps it at 差."""
    if red_lines > 0:
        return POOR
    for floor, rating in RATING_FLOORS:
        if total >= floor:
            return rating
    return POOR


def panel_means(scores: Sequence[FinalPanelScore]) -> dict[str, Decimal]:
    """Per review criterion, the panel's points: the mean of the seats' points (trimmed from 5 seats)."""
    points: dict[str, list[Decimal]] = defaultdict(list)
    for s in scores:
        points[s.criterion].append(s.points)
    return {c: procurement_scoring.criterion_mean(points[c]) for c in ReviewCriterion.values}

