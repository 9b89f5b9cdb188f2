"""The final evaluation's arithmetic (DOMAIN.md §5): points, deduction, red-line cap and rating tiers.

The total is the exact weighted sum less the deductions, rounded once to the cent (half up); the tier
is read from that figure.
"""

from decimal import ROUND_HALF_UP, Decimal, localcontext
from fractions import Fraction

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
from evaluations.final.selectors import points_text
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


@pytest.mark.parametrize(
    ("total", "rating"),
    [
        ("0", POOR),
        ("59.99", POOR),
        ("60", PASS),
        ("60.00", PASS),
        ("79.99", PASS),
        ("80", GOOD),
        ("89.99", GOOD),
        ("90", EXCELLENT),
        ("90.00", EXCELLENT),
        ("100", EXCELLENT),
    ],
)
def test_each_boundary_belongs_to_the_upper_tier(total, rating):
    assert final_rating(Decimal(total)) == rating


@pytest.mark.parametrize("total", ["100", "90", "80", "60"])
def test_a_red_line_caps_the_rating_at_poor_whatever_the_points(total):
    assert final_rating(Decimal(total), red_lines=1) == POOR
    assert final_rating(Decimal(total), red_lines=3) == POOR


def exact_total(vals, weights, failed_orders=0) -> Decimal:
    """What DOMAIN.md §5 asks, worked out here independently: Σ value × weight ÷ Σ weight of the components
    with input, less 5 per failed order, within 0–100, rounded once to the cent, half up."""
    counted = {n: w for n, w in weights.items() if vals[n] is not None}
    base = sum(counted.values())
    exact = sum((Fraction(vals[n]) * w for n, w in counted.items()), Fraction(0)) / base if base else Fraction(0)
    exact = min(max(exact - 5 * failed_orders, Fraction(0)), Fraction(100))
    with localcontext() as ctx:
        ctx.prec = 60
        return (Decimal(exact.numerator) / Decimal(exact.denominator)).quantize(Decimal("0.01"), ROUND_HALF_UP)


def test_default_weights_give_the_points_of_each_component_unrounded():
    result = final_points(values(Decimal("84.50"), Decimal("90"), Decimal("75"), Decimal("88.33")))
    assert result.points == {
        PERIOD_SCORES: Decimal("42.25"),
        KPI: Decimal("18.00"),
        SATISFACTION: Decimal("11.25"),
        PANEL: Decimal("13.2495"),
    }
    assert result.subtotal == Decimal("84.7495") and result.subtotal_is_exact
    assert result.total == Decimal("84.75")  # rounded once, from 84.7495
    assert result.deduction == Decimal("0.00") and result.shared_out == ()
    assert final_rating(result.total) == GOOD


@pytest.mark.parametrize(
    ("vals", "failed", "exact", "total", "rating"),
    [
        # Rounded per component, 30 + 12 + 9.00 + 9.00 made 60.00: a poor provider kept in.
        (("60", "60", "59.98", "59.98"), 0, "59.994", "59.99", POOR),
        (("59.99", "60", "60", "60"), 0, "59.995", "60.00", PASS),  # half up, once
        (("80", "80", "79.98", "79.98"), 0, "79.994", "79.99", PASS),
        (("79.99", "80", "80", "80"), 0, "79.995", "80.00", GOOD),
        (("90", "90", "89.98", "89.98"), 0, "89.994", "89.99", GOOD),
        (("89.99", "90", "90", "90"), 0, "89.995", "90.00", EXCELLENT),
        # Rounded per component, 45.00 + 18.00 + 13.50 + 13.50 made 90.00 (优秀).
        (("89.99", "89.99", "89.99", "89.99"), 0, "89.99", "89.99", GOOD),
        # The deduction is taken off the exact sum, before the one rounding.
        (("65", "65", "64.98", "64.98"), 1, "64.994", "59.99", POOR),
        (("64.99", "65", "65", "65"), 1, "64.995", "60.00", PASS),
    ],
)
def test_the_total_is_the_exact_sum_rounded_once_and_the_tier_is_read_from_it(vals, failed, exact, total, rating):
    result = final_points(values(*map(Decimal, vals)), failed_orders=failed)
    assert result.exact_sum == Fraction(exact) and result.subtotal == Decimal(exact) and result.subtotal_is_exact
    assert result.total == Decimal(total)
    assert final_rating(result.total) == rating
    # The page's figures add up: the points printed sum to the sum printed, which less the deduction
    # rounds to the total.
    printed = [points_text(p) for p in result.points.values()]
    assert sum(map(Decimal, printed)) == Decimal(points_text(result.subtotal))
    assert (Decimal(points_text(result.subtotal)) - result.deduction).quantize(
        Decimal("0.01"), ROUND_HALF_UP
    ) == result.total


def test_all_four_components_at_89_99_print_their_exact_points():
    result = final_points(dict.fromkeys(FINAL_COMPONENTS, Decimal("89.99")))
    assert [points_text(result.points[n]) for n in FINAL_COMPONENTS] == ["44.995", "17.998", "13.4985", "13.4985"]
    assert points_text(result.subtotal) == "89.99" and result.total == Decimal("89.99")


def test_each_failed_order_takes_off_five_points():
    v = values(Decimal("84.50"), Decimal("90"), Decimal("75"), Decimal("88.33"))
    assert final_points(v, failed_orders=1).total == Decimal("79.75")
    assert final_points(v, failed_orders=2).total == Decimal("74.75")
    assert final_points(v, failed_orders=2).deduction == Decimal("10.00")
    assert final_rating(final_points(v, failed_orders=1).total) == PASS


def test_the_total_is_floored_at_zero():
    result = final_points(values(Decimal("10"), Decimal("10"), Decimal("10"), Decimal("10")), failed_orders=3)
    assert result.subtotal == Decimal("10") and result.deduction == Decimal("15.00")
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


@settings(max_examples=500)
@given(st.tuples(maybe_points, maybe_points, maybe_points, maybe_points), weight_sets(), st.integers(0, 30))
def test_the_total_is_the_exact_sum_less_the_deduction_rounded_once_and_the_tier_follows(vals, weights, failed):
    given_values = dict(zip(FINAL_COMPONENTS, vals, strict=True))
    result = final_points(given_values, weights, failed)
    assert result.total == exact_total(given_values, weights, failed)
    assert result.deduction == 5 * failed
    assert Decimal(0) <= result.total <= Decimal(100) and result.total == result.total.quantize(Decimal("0.01"))
    expected = EXCELLENT if result.total >= 90 else GOOD if result.total >= 80 else PASS if result.total >= 60 else POOR
    assert final_rating(result.total) == expected
    # The sum the page prints (4 places, cut when a shared-out weight recurs) rounds to the same cent.
    printed = Decimal(points_text(result.subtotal))
    assert (
        min(max(printed - result.deduction, Decimal(0)), Decimal(100)).quantize(Decimal("0.01"), ROUND_HALF_UP)
        == result.total
    )
    shared = any(v is None for v in vals) and any(v is not None for v in vals)
    if not shared:  # integer weights on 2-place values: every point is exact in 4 places and they add up
        assert result.subtotal_is_exact
        assert sum((p for p in result.points.values() if p is not None), Decimal(0)) == result.subtotal
    for name in FINAL_COMPONENTS:
        p = result.points[name]
        assert (p is None) == (vals[FINAL_COMPONENTS.index(name)] is None)
        if p is not None:
            assert Decimal(0) <= p <= Decimal(100)


@settings(max_examples=300)
@given(points, weight_sets())
def test_the_same_value_everywhere_is_the_total_without_deductions(value, weights):
    result = final_points(dict.fromkeys(FINAL_COMPONENTS, value), weights)
    assert result.total == value  # exact: nothing is rounded before the total


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
