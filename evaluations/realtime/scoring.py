"""The real-time period score (DOMAIN.md §4), as pure functions over Decimals.

A month's score is the weighted mean of four indicators, each 0–100: inspections (40),
report review scores (20), worker satisfaction (30) and KPI progress (10). An
indicator with no input yet carries no weight, and satisfaction counts only once the
month has at least 30 ratings; in both cases its weight is shared out among the
indicators that have a value, in proportion to their weights. A red line fails the
month whatever the score. Below 60 fails; 60 passes; 80 and above is green.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

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
    def below_pass_mark(self) -> bool:
        return self.score is not None and self.score < PASS_MARK

    @property
    def failed(self) -> bool:
        """The one rule that fails a month (DOMAIN.md §4): below the pass mark, or a red line."""
        return self.red_line or self.below_pass_mark

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
    values = {
        INSPECTIONS: inputs.inspections,
        REPORTS: inputs.reports,
        SATISFACTION: inputs.satisfaction,
        KPI: inputs.kpi,
    }
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
    # rounding is to the cent.
    weighted = sum((counted[n] * min(max(Decimal(values[n]), Decimal(0)), HUNDRED) for n in counted), Decimal(0))
    score = q(weighted / total)
    return PeriodResult(
        score=min(max(score, Decimal(0)), HUNDRED),
        weights={n: q(w) for n, w in applied.items()},
        shared_out=shared_out,
        red_line=inputs.red_lines > 0,
    )


def mean(total: Decimal, count: int) -> Decimal | None:
    return q(Decimal(total) / count) if count else None
