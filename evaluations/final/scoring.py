"""The final evaluation's figures (DOMAIN.md §5), as pure functions over exact numbers.

The components are read with the real-time indicators' names (``realtime.scoring``): KPI and
satisfaction are the same measures, over the whole term.
"""

import math
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from evaluations.final.models import FinalPanelScore, ReviewCriterion
from evaluations.realtime.scoring import CENT, HUNDRED, KPI, PASS_MARK, SATISFACTION, q
from procurement import scoring as procurement_scoring

# --- the final evaluation (DOMAIN.md §5) ------------------------------------------------------------
#
# Four components, each valued 0–100 and weighted by the palace's FinalWeights (50/20/15/15 by
# default): points = value × weight ÷ 100. As in the monthly score, a component with no input at
# all (no ratings in the whole term, no KPI measured from activities) carries no weight: its
# weight is shared out among the others in proportion to theirs. Each failed rectification order
# takes off 5 points (the total never falls below 0), and any red line in the term caps the rating
# at 差 whatever the points. Each rating boundary belongs to the upper tier.
#
# The total is the exact weighted sum less the deductions, rounded once to the cent (half up), and
# the tier is read from that figure: rounding each component first lifted four components of 89.99
# to 90.00 (优秀) and could lift 59.995 to 60.00. A value has 2 places and a set weight is a whole
# number, so value × weight ÷ 100 is exact in 4 places; the points are kept to 4 places so that the
# page's figures add up to the total. Only a shared-out weight (50 ÷ 85 of 100…) makes a component's
# points a recurring decimal; they are then shown to 4 places, and the sum is computed exactly.

PERIOD_SCORES, PANEL = "period_scores", "panel"
FINAL_COMPONENTS = (PERIOD_SCORES, KPI, SATISFACTION, PANEL)
DEFAULT_FINAL_WEIGHTS = {PERIOD_SCORES: 50, KPI: 20, SATISFACTION: 15, PANEL: 15}
FAILED_ORDER_DEDUCTION = Decimal(5)
POINTS_PLACES = Decimal("0.0001")  # a 2-place value × a whole-number weight ÷ 100 is exact in 4 places

EXCELLENT, GOOD, PASS, POOR = "excellent", "good", "pass", "poor"  # evaluations.models.FinalRating's values
RATING_FLOORS = ((Decimal(90), EXCELLENT), (Decimal(80), GOOD), (PASS_MARK, PASS))


def round_half_up(value: Fraction | Decimal, places: Decimal = CENT) -> Decimal:
    """``value`` rounded half up (away from zero) to ``places``, from its exact value."""
    value = Fraction(value)
    scale = 1 / Fraction(places)
    steps = math.floor(abs(value) * scale + Fraction(1, 2))
    return (Decimal(steps if value >= 0 else -steps) * places).quantize(places)


def cut(value: Fraction, places: Decimal = POINTS_PLACES) -> Decimal:
    """``value`` cut (towards zero) to ``places``: for 4 places it rounds to the cent as ``value`` does,
    since the half-cent that decides it has only 3."""
    scale = 1 / Fraction(places)
    steps = math.floor(abs(value) * scale)
    return (Decimal(steps if value >= 0 else -steps) * places).quantize(places)


@dataclass(frozen=True)
class FinalPoints:
    values: dict[str, Decimal | None]
    weights: dict[str, Decimal]  # the weights applied, to the cent (a component without input shares its weight out)
    points: dict[str, Decimal | None]  # to 4 places, exact unless a weight was shared out; None without input
    shared_out: tuple[str, ...]
    exact_sum: Fraction  # the weighted sum of the values, exactly
    subtotal: Decimal  # exact_sum to 4 places (cut), as shown; it rounds to the cent as exact_sum does
    subtotal_is_exact: bool  # subtotal == exact_sum: always, unless a shared-out weight made it recur
    deduction: Decimal
    total: Decimal  # exact_sum − deduction, rounded once to the cent (half up), within 0–100


def check_final_weights(weights: Mapping[str, int | Decimal]) -> None:
    if set(weights) != set(FINAL_COMPONENTS):
        raise ValueError("weights must name every component")
    if any(w < 0 for w in weights.values()) or sum(weights.values()) != HUNDRED:
        raise ValueError("weights must be non-negative and sum to 100")


def final_points(
    values: Mapping[str, Decimal | None],
    weights: Mapping[str, int | Decimal] = DEFAULT_FINAL_WEIGHTS,
    failed_orders: int = 0,
) -> FinalPoints:
    """Each component's points, the deduction and the total, rounded once.

    ``values`` maps each component to its value on 0–100 (clamped), or None for no input.
    """
    check_final_weights(weights)
    if failed_orders < 0:
        raise ValueError("failed_orders cannot be negative")
    values = {
        n: None if values.get(n) is None else min(max(Decimal(values[n]), Decimal(0)), HUNDRED)
        for n in FINAL_COMPONENTS
    }
    counted = {n: Fraction(weights[n]) for n in FINAL_COMPONENTS if values[n] is not None}
    base = sum(counted.values(), Fraction(0))
    applied = {n: (w * 100 / base if base else Fraction(0)) for n, w in counted.items()}
    exact = {n: Fraction(values[n]) * applied[n] / 100 for n in applied}
    exact_sum = sum(exact.values(), Fraction(0))
    subtotal = cut(exact_sum)
    deduction = FAILED_ORDER_DEDUCTION * failed_orders
    total = round_half_up(min(max(exact_sum - Fraction(deduction), Fraction(0)), Fraction(100)))
    return FinalPoints(
        values=values,
        weights={n: round_half_up(w) for n, w in applied.items()},
        points={n: (round_half_up(exact[n], POINTS_PLACES) if n in exact else None) for n in FINAL_COMPONENTS},
        shared_out=tuple(n for n in FINAL_COMPONENTS if values[n] is None and weights[n]),
        exact_sum=exact_sum,
        subtotal=subtotal,
        subtotal_is_exact=Fraction(subtotal) == exact_sum,
        deduction=q(deduction),
        total=total,
    )


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
