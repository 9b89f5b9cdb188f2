"""The final evaluation's arithmetic (DOMAIN.md §5): points, deduction, red-line cap and rating tiers."""

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evaluations.final.scoring import (
    DEFAULT_FINAL_WEIGHTS,
    EXCELLENT,
    FINAL_COMPONENTS,
    GOOD,
    PANEL,
    PASS,
    PERIOD_SCORES,
    POOR,
    final_points,
    final_rating,
)
from evaluations.models import FinalRating
from evaluations.realtime.scoring import KPI, SATISFACTION

points = st.decimals(min_value=0, max_value=100, places=2, allow_nan=False, allow_infinity=False)
maybe_points = st.none() | points
totals = st.decimals(min_value=0, max_value=100, places=2, allow_nan=False, allow_infinity=False)


@st.composite
def weight_sets(draw):
    cuts = sorted(draw(st.lists(st.integers(0, 100), min_size=3, max_size=3)))
    parts = [cuts[0], cuts[1] - cuts[0], cuts[2] - cuts[1], 100 - cuts[2]]
    return dict(zip(FINAL_COMPONENTS, parts, strict=True))


def values(period=None, kpi=None, satisfaction=None, panel=None):
    return {PERIOD_SCORES: period, KPI: kpi, SATISFACTION: satisfaction, PANEL: panel}


def test_the_rating_codes_are_the_models_choices():
    assert [EXCELLENT, GOOD, PASS, POOR] == FinalRating.values


@pytest.mark.parametrize(("total", "rating"), [
    ("0", POOR), ("59.99", POOR), ("60", PASS), ("60.00", PASS), ("79.99", PASS), ("80", GOOD),
    ("89.99", GOOD), ("90", EXCELLENT), ("90.00", EXCELLENT), ("100", EXCELLENT),
])
def test_each_boundary_belongs_to_the_upper_tier(total, rating):
    assert final_rating(Decimal(total)) == rating


@pytest.mark.parametrize("total", ["100", "90", "80", "60"])
def test_a_red_line_caps_the_rating_at_poor_whatever_the_points(total):
    assert final_rating(Decimal(total), red_lines=1) == POOR
    assert final_rating(Decimal(total), red_lines=3) == POOR


def test_default_weights_give_the_points_of_each_component():
    result = final_points(values(Decimal("84.50"), Decimal("90"), Decimal("75"), Decimal("88.33")))
    assert result.points == {PERIOD_SCORES: Decimal("42.25"), KPI: Decimal("18.00"),
                             SATISFACTION: Decimal("11.25"), PANEL: Decimal("13.25")}
    assert result.subtotal == result.total == Decimal("84.75")
    assert result.deduction == Decimal("0.00") and result.shared_out == ()
    assert final_rating(result.total) == GOOD


def test_each_failed_order_takes_off_five_points():
    v = values(Decimal("84.50"), Decimal("90"), Decimal("75"), Decimal("88.33"))
    assert final_points(v, failed_orders=1).total == Decimal("79.75")
    assert final_points(v, failed_orders=2).total == Decimal("74.75")
    assert final_points(v, failed_orders=2).deduction == Decimal("10.00")
    assert final_rating(final_points(v, failed_orders=1).total) == PASS


def test_the_total_is_floored_at_zero():
    result = final_points(values(Decimal("10"), Decimal("10"), Decimal("10"), Decimal("10")), failed_orders=3)
    assert result.subtotal == Decimal("10.00") and result.deduction == Decimal("15.00")
    assert result.total == Decimal("0.00")


def test_a_component_without_input_shares_its_weight_out_in_proportion():
    # No ratings in the whole term: satisfaction's 15 goes to the others as 50:20:15.
    result = final_points(values(Decimal("80"), Decimal("80"), None, Decimal("80")))
    assert result.shared_out == (SATISFACTION,)
    assert result.points[SATISFACTION] is None
    assert sum(result.weights.values()) == pytest.approx(Decimal(100), abs=Decimal("0.02"))
    assert result.total == Decimal("80.00")


def test_the_weights_must_name_every_component_and_sum_to_100():
    with pytest.raises(ValueError):
        final_points(values(), {PERIOD_SCORES: 50, KPI: 20, SATISFACTION: 15, PANEL: 16})
    with pytest.raises(ValueError):
        final_points(values(), {PERIOD_SCORES: 100})
    with pytest.raises(ValueError):
        final_points(values(), DEFAULT_FINAL_WEIGHTS, failed_orders=-1)


@settings(max_examples=300)
@given(st.tuples(maybe_points, maybe_points, maybe_points, maybe_points), weight_sets(), st.integers(0, 30))
def test_the_total_is_the_points_less_the_deduction_within_0_and_100(vals, weights, failed):
    result = final_points(dict(zip(FINAL_COMPONENTS, vals, strict=True)), weights, failed)
    shown = sum((p for p in result.points.values() if p is not None), Decimal(0))
    assert result.subtotal == shown
    assert result.deduction == 5 * failed
    assert Decimal(0) <= result.total <= Decimal(100)
    if shown - result.deduction >= 0 and shown <= 100:
        assert result.total == shown - result.deduction
    for name in FINAL_COMPONENTS:
        p = result.points[name]
        assert (p is None) == (vals[FINAL_COMPONENTS.index(name)] is None)
        if p is not None:
            assert Decimal(0) <= p <= Decimal(100)


@settings(max_examples=300)
@given(points, weight_sets())
def test_the_same_value_everywhere_is_the_total_without_deductions(value, weights):
    result = final_points(dict.fromkeys(FINAL_COMPONENTS, value), weights)
    assert abs(result.total - value) <= Decimal("0.02")  # one rounding per component


@settings(max_examples=300)
@given(totals, totals, st.integers(0, 2))
def test_more_points_never_give_a_lower_rating(a, b, red_lines):
    order = [POOR, PASS, GOOD, EXCELLENT]
    low, high = sorted([a, b])
    assert order.index(final_rating(low, red_lines)) <= order.index(final_rating(high, red_lines))
    if red_lines:
        assert final_rating(high, red_lines) == POOR


@settings(max_examples=200)
@given(totals)
def test_the_tier_is_the_one_whose_floor_the_total_reaches(total):
    expected = EXCELLENT if total >= 90 else GOOD if total >= 80 else PASS if total >= 60 else POOR
    assert final_rating(total) == expected
