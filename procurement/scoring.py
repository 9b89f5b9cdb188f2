"""The panel arithmetic, as pure functions over Decimals (shared with the final-evaluation panel).

DOMAIN.md §1: per criterion, the mean of the evaluators' scores, dropping the
highest and the lowest when five or more scored; price points are
lowest valid price ÷ this price × price weight; a score further than 30% of
the criterion's maximum from the panel median is an outlier; ranking is by
total, ties to the lower price, then the earlier submission.
"""

from collections import defaultdict
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from statistics import median

CENT = Decimal("0.01")
OUTLIER_SHARE = Decimal("0.30")
TRIM_FROM = 5


def q(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def criterion_mean(points: Sequence[Decimal]) -> Decimal:
    """The panel's points on one criterion for one applicant."""
    if not points:
        raise ValueError("no scores to compile")
    ordered = sorted(points)
    if len(ordered) >= TRIM_FROM:
        ordered = ordered[1:-1]
    return q(sum(ordered, Decimal(0)) / len(ordered))


def price_points(*, lowest: Decimal, price: Decimal, weight: Decimal) -> Decimal:
    if price <= 0 or lowest <= 0:
        raise ValueError("prices must be positive")
    return q(lowest / price * weight)


def outliers(points: Mapping[Hashable, Decimal], max_points: Decimal) -> set[Hashable]:
    """The evaluators whose score is more than 30% of ``max_points`` from the panel median."""
    if len(points) < 3:
        return set()
    middle = Decimal(median(points.values()))
    limit = max_points * OUTLIER_SHARE
    return {who for who, value in points.items() if abs(value - middle) > limit}


def flag_outliers(
    sheet: Mapping[tuple[Hashable, Hashable], Decimal], max_points: Mapping[Hashable, Decimal]
) -> set[tuple[Hashable, Hashable]]:
    """The (seat, cell) pairs of a whole panel's sheet whose points are outliers in their cell.

    ``sheet`` holds every seat's points keyed by (seat, cell). A cell is one thing the panel
    scores on one criterion: an applicant on a recruitment criterion, or the provider on a
    final review criterion; ``max_points`` gives each cell's maximum. Each cell is judged
    on its own (``outliers``), so every panel flags alike.
    """
    cells: dict[Hashable, dict[Hashable, Decimal]] = defaultdict(dict)
    for (seat, cell), value in sheet.items():
        cells[cell][seat] = value
    return {(seat, cell) for cell, row in cells.items() for seat in outliers(row, max_points[cell])}


@dataclass(frozen=True)
class Candidate:
    key: Hashable
    total: Decimal
    price: Decimal
    submitted_at: datetime


def ranking(candidates: Sequence[Candidate]) -> list[Hashable]:
    """Highest total first; ties go to the lower price, then the earlier submission."""
    ordered = sorted(candidates, key=lambda c: (-c.total, c.price, c.submitted_at))
    return [c.key for c in ordered]
