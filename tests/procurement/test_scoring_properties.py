"""Property tests of the panel arithmetic."""

from datetime import datetime, timedelta
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from procurement.scoring import Candidate, criterion_mean, outliers, price_points, q, ranking

points = st.decimals(min_value=0, max_value=40, places=2)
prices = st.decimals(min_value=Decimal("1000"), max_value=Decimal("999999"), places=2)


@given(st.lists(points, min_size=1, max_size=9))
def test_the_compiled_mean_stays_within_the_scores(scores):
    mean = criterion_mean(scores)
    assert q(min(scores)) <= mean <= q(max(scores))


@given(st.lists(points, min_size=5, max_size=9), st.decimals(min_value=0, max_value=40, places=2))
def test_with_five_or_more_raising_the_highest_score_changes_nothing(scores, extra):
    ordered = sorted(scores)
    raised = [*ordered[:-1], max(ordered[-1], extra)]
    assert criterion_mean(raised) == criterion_mean(ordered)


def test_five_evaluators_drop_the_highest_and_the_lowest():
    assert criterion_mean([Decimal(v) for v in (2, 10, 11, 12, 30)]) == Decimal("11.00")
    assert criterion_mean([Decimal(v) for v in (2, 10, 30)]) == Decimal("14.00")


@given(prices, prices, st.decimals(min_value=1, max_value=40, places=2))
def test_a_lower_price_never_scores_lower(a, b, weight):
    lowest = min(a, b)
    cheap, dear = sorted([a, b])
    assert price_points(lowest=lowest, price=cheap, weight=weight) >= price_points(
        lowest=lowest, price=dear, weight=weight
    )
    assert price_points(lowest=lowest, price=cheap, weight=weight) == q(weight)


@settings(deadline=None)  # Decimal arithmetic over up to 48 cells: slow on a loaded CI worker, never wrong
@given(
    st.lists(st.tuples(st.decimals(min_value=1, max_value=99, places=0), points), min_size=1, max_size=6),
    st.lists(prices, min_size=1, max_size=8),
    st.data(),
)
def test_the_total_never_exceeds_100(criteria, applicant_prices, data):
    # criteria: (weight share, an evaluator's score as a fraction of 40) scaled so weights sum to 100
    weights = [w for w, _ in criteria]
    price_weight = Decimal(100) - sum(weights) if sum(weights) < 100 else None
    scale = Decimal(100) / (sum(weights) + (price_weight or 0))
    lowest = min(applicant_prices)
    for price in applicant_prices:
        total = Decimal(0)
        for weight, _ in criteria:
            w = q(weight * scale)
            evaluator_points = [min(w, data.draw(points)) for _ in range(5)]
            total += criterion_mean(evaluator_points)
        if price_weight:
            total += price_points(lowest=lowest, price=price, weight=q(price_weight * scale))
        assert total <= Decimal("100.05")  # rounding of each criterion to cents


@given(st.dictionaries(st.integers(0, 8), points, min_size=3, max_size=9))
def test_an_outlier_is_more_than_30_percent_of_max_from_the_median(scores):
    flagged = outliers(scores, Decimal(40))
    from statistics import median

    mid = Decimal(median(scores.values()))
    for who, value in scores.items():
        assert (who in flagged) == (abs(value - mid) > Decimal(12))


def test_ties_go_to_the_lower_price_then_the_earlier_submission():
    t0 = datetime(2026, 12, 1, 9)
    ranked = ranking(
        [
            Candidate("late-cheap", Decimal(80), Decimal(100), t0 + timedelta(hours=2)),
            Candidate("early-cheap", Decimal(80), Decimal(100), t0),
            Candidate("dear", Decimal(80), Decimal(120), t0 - timedelta(days=1)),
            Candidate("best", Decimal(90), Decimal(500), t0),
        ]
    )
    assert ranked == ["best", "early-cheap", "late-cheap", "dear"]
