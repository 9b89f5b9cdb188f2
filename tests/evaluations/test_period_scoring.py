"""Properties of the real-time period score (DOMAIN.md §4), checked by Hypothesis."""

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evaluations.realtime.scoring import (
    DEFAULT_WEIGHTS,
    INDICATORS,
    NO_INPUT,
    SATISFACTION,
    TOO_FEW_RATINGS,
    PeriodInputs,
    period_score,
    stars_to_points,
)

points = st.decimals(min_value=0, max_value=100, places=2, allow_nan=False, allow_infinity=False)
maybe_points = st.none() | points


@st.composite
def weight_sets(draw):
    """Four non-negative integer weights summing to 100."""
    cuts = sorted(draw(st.lists(st.integers(0, 100), min_size=3, max_size=3)))
    parts = [cuts[0], cuts[1] - cuts[0], cuts[2] - cuts[1], 100 - cuts[2]]
    return {name: Decimal(p) for name, p in zip(INDICATORS, parts, strict=True)}


inputs = st.builds(
    PeriodInputs,
    inspections=maybe_points,
    reports=maybe_points,
    satisfaction=maybe_points,
    ratings=st.integers(0, 200),
    kpi=maybe_points,
    red_lines=st.integers(0, 2),
)


@settings(max_examples=300)
@given(inputs, weight_sets())
def test_the_score_always_lies_between_0_and_100_and_the_applied_weights_sum_to_100(i, weights):
    result = period_score(i, weights)
    if result.score is not None:
        assert Decimal(0) <= result.score <= Decimal(100)
        assert abs(sum(result.weights.values()) - 100) <= Decimal("0.03")


@settings(max_examples=300)
@given(inputs, weight_sets())
def test_a_red_line_always_fails(i, weights):
    result = period_score(PeriodInputs(**{**i.__dict__, "red_lines": max(i.red_lines, 1)}), weights)
    assert result.failed and result.standing == "red"


@settings(max_examples=300)
@given(points, points, points, st.integers(0, 29), points)
def test_satisfaction_with_fewer_than_30_ratings_is_shared_out_in_proportion(insp, rep, sat, ratings, kpi):
    few = period_score(PeriodInputs(inspections=insp, reports=rep, satisfaction=sat, ratings=ratings, kpi=kpi))
    assert few.shared_out == {SATISFACTION: TOO_FEW_RATINGS}
    # 40:20:10 renormalised to 100: 57.14, 28.57, 14.29.
    assert few.weights == {"inspections": Decimal("57.14"), "reports": Decimal("28.57"), "kpi": Decimal("14.29")}
    expected = (insp * 40 + rep * 20 + kpi * 10) / 70
    assert abs(few.score - expected) <= Decimal("0.005")
    # The same month with 30 ratings counts satisfaction at its full weight.
    enough = period_score(PeriodInputs(inspections=insp, reports=rep, satisfaction=sat, ratings=30, kpi=kpi))
    assert enough.shared_out == {} and enough.weights[SATISFACTION] == Decimal(30)


@settings(max_examples=300)
@given(inputs, weight_sets(), st.sampled_from(["inspections", "reports", "satisfaction", "kpi"]), points, points)
def test_a_better_input_never_lowers_the_score(i, weights, name, current, gain):
    worse = PeriodInputs(**{**i.__dict__, name: current})
    better = PeriodInputs(**{**i.__dict__, name: min(current + gain, Decimal(100))})
    before, after = period_score(worse, weights), period_score(better, weights)
    if before.score is None:  # nothing that carries weight has a value: the better input changes nothing
        assert after.score is None
    else:
        assert after.score >= before.score


@pytest.mark.parametrize(
    ("score", "failed", "standing"),
    [
        (Decimal("59.99"), True, "red"),
        (Decimal("60"), False, "amber"),
        (Decimal("79.99"), False, "amber"),
        (Decimal("80"), False, "green"),
        (Decimal("100"), False, "green"),
        (Decimal("0"), True, "red"),
    ],
)
def test_the_boundaries_hold(score, failed, standing):
    result = period_score(PeriodInputs(inspections=score, reports=score, satisfaction=score, ratings=30, kpi=score))
    assert result.score == score
    assert (result.failed, result.standing) == (failed, standing)


def test_nothing_scored_yet_is_no_score_not_zero():
    result = period_score(PeriodInputs())
    assert result.score is None and result.standing == "none" and not result.failed
    assert set(result.shared_out.values()) == {NO_INPUT}


def test_weights_must_sum_to_100():
    with pytest.raises(ValueError):
        period_score(PeriodInputs(inspections=Decimal(90)), {**DEFAULT_WEIGHTS, "kpi": Decimal(11)})


def test_stars_map_onto_0_to_100():
    assert [stars_to_points(s) for s in range(1, 6)] == [0, 25, 50, 75, 100]
    with pytest.raises(ValueError):
        stars_to_points(6)
