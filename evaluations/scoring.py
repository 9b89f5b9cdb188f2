"""The real-time period score (DOMAIN.md §4), as pure functions over Decimals.

A month's score is the weighted mean of four indicators, each 0–100: inspections (40),
report review scores (20), worker satisfaction (30) and KPI progress (10). An
indicator with no input yet carries no weight, and satisfaction counts only once the
month has at least 30 ratings; in both cases its weight is shared out among the
indicators that have a value, in proportion to their weights. A red line fails the
month whatever the score. Below 60 fails; 60 passes; 80 and above is green.
"""

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

CENT = Decimal("0.01")
HUNDRED = Decimal(100)
PASS_MARK = Decimal(60)
GREEN_FROM = Decimal(80)
SATISFACTION_MIN_RATINGS = 30

INSPECTIONS, REPORTS, SATISFACTION, KPI = "inspections", "reports", "satisfaction", "kpi"
INDICATORS = (INSPECTIONS, REPORTS, SATISFACTION, KPI)
DEFAULT_WEIGHTS = {INSPECTIONS: Decimal(40), REPORTS: Decimal(20), SATISFACTION: Decimal(30), KPI: Decimal(10)}

# Why an indicator's weight was shared out, for the page to say plainly.
NO_INPUT = "no_input"
TOO_FEW_RATINGS = "too_few_ratings"


def q(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def stars_to_points(stars: int) -> Decimal:
    """1–5 stars mapped onto 0–100: 1 → 0, 3 → 50, 5 → 100."""
    if not 1 <= stars <= 5:
        raise ValueError("stars must be 1 to 5")
    return Decimal((stars - 1) * 25)


def check_weights(weights: Mapping[str, Decimal]) -> None:
    if set(weights) != set(INDICATORS):
        raise ValueError("weights must name every indicator")
    if any(w < 0 for w in weights.values()) or sum(weights.values()) != HUNDRED:
        raise ValueError("weights must be non-negative and sum to 100")


@dataclass(frozen=True)
class PeriodInputs:
    """The month's running values: each indicator's mean (or None), and what else decides it."""

    inspections: Decimal | None = None
    reports: Decimal | None = None
    satisfaction: Decimal | None = None
    ratings: int = 0
    kpi: Decimal | None = None
    red_lines: int = 0


@dataclass(frozen=True)
class PeriodResult:
    score: Decimal | None
    weights: dict[str, Decimal]  # the weights applied, summing to 100 (empty when nothing is scored)
    shared_out: dict[str, str] = field(default_factory=dict)  # indicator → NO_INPUT | TOO_FEW_RATINGS
    red_line: bool = False

    @property
    def failed(self) -> bool:
        return self.red_line or (self.score is not None and self.score < PASS_MARK)

    @property
    def standing(self) -> str:
        """green ≥ 80, amber 60–80, red < 60 or a red line; "none" before any input."""
        if self.failed:
            return "red"
        if self.score is None:
            return "none"
        return "green" if self.score >= GREEN_FROM else "amber"


def period_score(inputs: PeriodInputs, weights: Mapping[str, Decimal] = DEFAULT_WEIGHTS) -> PeriodResult:
    check_weights(weights)
    values = {INSPECTIONS: inputs.inspections, REPORTS: inputs.reports, SATISFACTION: inputs.satisfaction,
              KPI: inputs.kpi}
    shared_out = {}
    for name, value in values.items():
        if value is None:
            shared_out[name] = NO_INPUT
        elif name == SATISFACTION and inputs.ratings < SATISFACTION_MIN_RATINGS:
            shared_out[name] = TOO_FEW_RATINGS
    counted = {n: Decimal(weights[n]) for n in INDICATORS if n not in shared_out and weights[n] > 0}
    for name in INDICATORS:
        if weights[name] == 0 and name not in shared_out:
            shared_out[name] = NO_INPUT
    total = sum(counted.values(), Decimal(0))
    if not total:
        return PeriodResult(score=None, weights={}, shared_out=shared_out, red_line=inputs.red_lines > 0)
    applied = {n: w * HUNDRED / total for n, w in counted.items()}
    # Σ weight × value ÷ Σ weight, divided once: the weighted sum of cents is exact, so the one
    # rounding is to the cent, as the database's copy of this sum rounds it (hezuo_period_score,
    # evaluations/migrations/0005_rating_submit_function.py).
    weighted = sum((counted[n] * min(max(Decimal(values[n]), Decimal(0)), HUNDRED) for n in counted), Decimal(0))
    score = q(weighted / total)
    return PeriodResult(score=min(max(score, Decimal(0)), HUNDRED), weights={n: q(w) for n, w in applied.items()},
                        shared_out=shared_out, red_line=inputs.red_lines > 0)


def mean(total: Decimal, count: int) -> Decimal | None:
    return q(Decimal(total) / count) if count else None


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


def final_points(values: Mapping[str, Decimal | None], weights: Mapping[str, int | Decimal] = DEFAULT_FINAL_WEIGHTS,
                 failed_orders: int = 0) -> FinalPoints:
    """Each component's points, the deduction and the total, rounded once.

    ``values`` maps each component to its value on 0–100 (clamped), or None for no input.
    """
    check_final_weights(weights)
    if failed_orders < 0:
        raise ValueError("failed_orders cannot be negative")
    values = {n: None if values.get(n) is None else min(max(Decimal(values[n]), Decimal(0)), HUNDRED)
              for n in FINAL_COMPONENTS}
    counted = {n: Fraction(weights[n]) for n in FINAL_COMPONENTS if values[n] is not None}
    base = sum(counted.values(), Fraction(0))
    applied = {n: (w * 100 / base if base else Fraction(0)) for n, w in counted.items()}
    exact = {n: Fraction(values[n]) * applied[n] / 100 for n in applied}
    exact_sum = sum(exact.values(), Fraction(0))
    subtotal = cut(exact_sum)
    deduction = FAILED_ORDER_DEDUCTION * failed_orders
    total = round_half_up(min(max(exact_sum - Fraction(deduction), Fraction(0)), Fraction(100)))
    return FinalPoints(values=values, weights={n: round_half_up(w) for n, w in applied.items()},
                       points={n: (round_half_up(exact[n], POINTS_PLACES) if n in exact else None)
                               for n in FINAL_COMPONENTS},
                       shared_out=tuple(n for n in FINAL_COMPONENTS if values[n] is None and weights[n]),
                       exact_sum=exact_sum, subtotal=subtotal, subtotal_is_exact=Fraction(subtotal) == exact_sum,
                       deduction=q(deduction), total=total)


def final_rating(total: Decimal, red_lines: int = 0) -> str:
    """优秀 ≥ 90, 良好 ≥ 80, 合格 ≥ 60, else 差; any red line in the term caps it at 差."""
    if red_lines > 0:
        return POOR
    for floor, rating in RATING_FLOORS:
        if total >= floor:
            return rating
    return POOR
