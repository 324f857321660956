"""Pure earning rules: points for an order, what a refund takes back, money parsing."""
from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from loyalty_plugin.rules.earning import (Amounts, Rounding, earn_base, points_for,
                                          reversal_target, round_points)
from loyalty_plugin.rules.money import parse_money

ONE = Decimal("1")

# Money as whole cents, so every generated amount is exact (never a float).
money = st.integers(0, 10**9).map(lambda cents: Decimal(cents) / 100)
positive_money = st.integers(1, 10**9).map(lambda cents: Decimal(cents) / 100)
signed_money = st.integers(-10**9, 10**9).map(lambda cents: Decimal(cents) / 100)
rates = st.sampled_from([Decimal("0.5"), Decimal("1"), Decimal("1.25"), Decimal("10")])
multipliers = st.sampled_from([Decimal("1"), Decimal("1.5"), Decimal("2")])
roundings = st.sampled_from(list(Rounding))


# --- points_for ----------------------------------------------------------------------------


@given(base=money, rate=rates, multiplier=multipliers)
def test_points_for_roundings_are_ordered_and_at_most_one_apart(base, rate, multiplier):
    floor = points_for(base, rate, multiplier, Rounding.FLOOR)
    half_up = points_for(base, rate, multiplier, Rounding.HALF_UP)
    ceil = points_for(base, rate, multiplier, Rounding.CEIL)
    assert floor <= half_up <= ceil
    assert ceil - floor <= 1


@given(base=money, rate=rates)
def test_points_for_floor_is_the_truncated_product_for_non_negative_amounts(base, rate):
    assert points_for(base, rate, ONE, Rounding.FLOOR) == int(base * rate)


@given(base=money, rate=rates)
def test_points_for_is_exact_when_the_product_is_whole(base, rate):
    product = base * rate
    if product == product.to_integral_value():
        for rounding in Rounding:
            assert points_for(base, rate, ONE, rounding) == int(product)


@given(base=signed_money.filter(lambda b: b <= 0), rate=rates, multiplier=multipliers,
       rounding=roundings)
def test_points_for_zero_or_negative_base_earns_nothing(base, rate, multiplier, rounding):
    assert points_for(base, rate, multiplier, rounding) == 0


@given(base=money, bad=st.sampled_from([Decimal("0"), Decimal("-1"), Decimal("-0.01")]),
       rounding=roundings)
def test_points_for_zero_or_negative_rate_or_multiplier_earns_nothing(base, bad, rounding):
    assert points_for(base, bad, ONE, rounding) == 0
    assert points_for(base, ONE, bad, rounding) == 0


@given(base=signed_money, rate=rates, multiplier=multipliers, rounding=roundings)
def test_points_for_returns_a_plain_int(base, rate, multiplier, rounding):
    points = points_for(base, rate, multiplier, rounding)
    assert type(points) is int  # not bool, not Decimal
    assert points >= 0


@given(a=money, b=money, rate=rates, multiplier=multipliers, rounding=roundings)
def test_points_for_is_monotone_in_the_base(a, b, rate, multiplier, rounding):
    low, high = sorted((a, b))
    assert points_for(low, rate, multiplier, rounding) <= points_for(high, rate, multiplier, rounding)


def test_points_for_rounds_once_on_the_final_product():
    # 0.5 * 1.5 * 1.5 = 1.125: rounding each factor first would give another answer.
    assert points_for(Decimal("0.5"), Decimal("1.5"), Decimal("1.5"), Rounding.FLOOR) == 1
    assert points_for(Decimal("0.5"), Decimal("1.5"), Decimal("1.5"), Rounding.CEIL) == 2


def test_round_points_accepts_the_rounding_as_its_string_value():
    assert round_points(Decimal("2.5"), "half_up") == 3
    assert round_points(Decimal("2.5"), "floor") == 2
    assert round_points(Decimal("2.1"), "ceil") == 3


@pytest.mark.parametrize("base, rate, rounding, expected", [
    # README: points_per_unit 1 means 1 point per 1.00; rounding floor by default.
    ("1.00", "1", Rounding.FLOOR, 1),
    ("0.99", "1", Rounding.FLOOR, 0),
    ("120.50", "1", Rounding.FLOOR, 120),
    ("120.50", "1", Rounding.HALF_UP, 121),
    ("120.49", "1", Rounding.HALF_UP, 120),
    ("0.5", "1", Rounding.HALF_UP, 1),
    ("0.49", "1", Rounding.HALF_UP, 0),
    ("0.01", "1", Rounding.CEIL, 1),
    ("0.01", "1", Rounding.FLOOR, 0),
    ("100.00", "1", Rounding.CEIL, 100),
    ("398.00", "1", Rounding.FLOOR, 398),
    ("10.00", "0.5", Rounding.FLOOR, 5),
    ("9.99", "10", Rounding.FLOOR, 99),
    ("0.39", "1.25", Rounding.HALF_UP, 0),
    ("0.40", "1.25", Rounding.HALF_UP, 1),
])
def test_points_for_readme_examples(base, rate, rounding, expected):
    assert points_for(Decimal(base), Decimal(rate), ONE, rounding) == expected


def test_default_earn_rule_is_one_point_per_unit_rounded_down():
    from loyalty_plugin.rules.earning import EarnRule
    rule = EarnRule()
    assert rule.rate == Decimal("1")
    assert rule.rounding is Rounding.FLOOR
    assert not rule.include_shipping and not rule.include_taxes


# --- earn_base -----------------------------------------------------------------------------


@given(items=money, shipping=money, taxes=money,
       include_shipping=st.booleans(), include_taxes=st.booleans())
def test_earn_base_adds_shipping_and_taxes_only_when_asked(items, shipping, taxes,
                                                           include_shipping, include_taxes):
    amounts = Amounts(items=items, shipping=shipping, taxes=taxes)
    expected = items + (shipping if include_shipping else 0) + (taxes if include_taxes else 0)
    assert earn_base(amounts, include_shipping=include_shipping,
                     include_taxes=include_taxes) == expected


@given(items=signed_money, shipping=signed_money, taxes=signed_money,
       include_shipping=st.booleans(), include_taxes=st.booleans())
def test_earn_base_is_never_negative(items, shipping, taxes, include_shipping, include_taxes):
    base = earn_base(Amounts(items=items, shipping=shipping, taxes=taxes),
                     include_shipping=include_shipping, include_taxes=include_taxes)
    assert base >= 0
    assert isinstance(base, Decimal)


def test_earn_base_table():
    amounts = Amounts(items=Decimal("100.00"), shipping=Decimal("10.00"), taxes=Decimal("8.25"))
    assert earn_base(amounts, include_shipping=False, include_taxes=False) == Decimal("100.00")
    assert earn_base(amounts, include_shipping=True, include_taxes=False) == Decimal("110.00")
    assert earn_base(amounts, include_shipping=False, include_taxes=True) == Decimal("108.25")
    assert earn_base(amounts, include_shipping=True, include_taxes=True) == Decimal("118.25")
    assert earn_base(Amounts(items=Decimal("-5")), include_shipping=False,
                     include_taxes=False) == 0


# --- reversal_target -----------------------------------------------------------------------


@st.composite
def refund_scenarios(draw):
    """Points earned on a base, and a sequence of partial refunds of that base."""
    earned = draw(st.integers(0, 10**6))
    base_cents = draw(st.integers(1, 10**8))
    refunds = draw(st.lists(st.integers(0, base_cents), max_size=8))
    return earned, Decimal(base_cents) / 100, [Decimal(c) / 100 for c in refunds]


def _deltas(earned, base, refunds):
    deltas, cumulative = [], Decimal("0")
    for refund in refunds:
        before = reversal_target(earned, base, cumulative)
        cumulative += refund
        deltas.append(reversal_target(earned, base, cumulative) - before)
    return deltas, cumulative


@given(refund_scenarios())
def test_reversal_deltas_are_never_negative(scenario):
    earned, base, refunds = scenario
    deltas, _ = _deltas(earned, base, refunds)
    assert all(delta >= 0 for delta in deltas)


@given(refund_scenarios())
def test_reversal_never_takes_back_more_than_was_earned(scenario):
    earned, base, refunds = scenario
    deltas, _ = _deltas(earned, base, refunds)
    assert sum(deltas) <= earned


@given(refund_scenarios())
def test_reversal_is_path_independent(scenario):
    earned, base, refunds = scenario
    deltas, total = _deltas(earned, base, refunds)
    assert sum(deltas) == reversal_target(earned, base, total)


@given(earned=st.integers(0, 10**6), base_cents=st.integers(1, 10**8),
       cuts=st.lists(st.integers(0, 10**8), max_size=7), extra_cents=st.integers(0, 10**4))
def test_reversal_takes_back_exactly_what_was_earned_once_the_whole_base_is_refunded(
        earned, base_cents, cuts, extra_cents):
    # Split the base (plus any over-refund) into partial refunds that together cover it.
    total = base_cents + extra_cents
    points = sorted({min(c, total) for c in cuts} | {0, total})
    refunds = [Decimal(b - a) / 100 for a, b in zip(points, points[1:])]
    base = Decimal(base_cents) / 100
    deltas, covered = _deltas(earned, base, refunds)
    assert covered >= base
    assert sum(deltas) == earned


@given(earned=st.integers(0, 10**6), base=positive_money)
def test_a_refund_of_zero_reverses_nothing(earned, base):
    assert reversal_target(earned, base, Decimal("0")) == 0
    deltas, _ = _deltas(earned, base, [Decimal("0")])
    assert deltas == [0]


@given(earned=st.integers(0, 10**6), base=positive_money, refunded=money)
def test_reversal_target_is_a_plain_int_within_zero_and_earned(earned, base, refunded):
    target = reversal_target(earned, base, refunded)
    assert type(target) is int
    assert 0 <= target <= earned


@given(earned=st.integers(-10**6, 0), base=money, refunded=money)
def test_reversal_of_nothing_earned_is_zero(earned, base, refunded):
    assert reversal_target(earned, base, refunded) == 0


def test_reversal_with_a_zero_base_is_zero():
    assert reversal_target(100, Decimal("0"), Decimal("10")) == 0


@pytest.mark.parametrize("earned, base, refunded, expected", [
    (100, "100.00", "50.00", 50),
    (100, "100.00", "100.00", 100),
    (100, "100.00", "150.00", 100),  # over-refund is capped
    (398, "398.00", "199.00", 199),
    (10, "3.00", "1.00", 3),  # 3.33 rounds half up to 3
    (10, "3.00", "2.00", 7),  # 6.67 rounds to 7
    (1, "2.00", "1.00", 1),  # 0.5 rounds half up
    (1, "3.00", "1.00", 0),
])
def test_reversal_target_table(earned, base, refunded, expected):
    assert reversal_target(earned, Decimal(base), Decimal(refunded)) == expected


def test_three_thirds_reverse_exactly_what_was_earned():
    base = Decimal("3.00")
    deltas, _ = _deltas(10, base, [Decimal("1.00")] * 3)
    assert deltas == [3, 4, 3]
    assert sum(deltas) == 10


# --- parse_money ---------------------------------------------------------------------------


@pytest.mark.parametrize("value, expected", [
    ("12.30", Decimal("12.30")),
    (" 12.30 ", Decimal("12.30")),
    ("0", Decimal("0")),
    ("-10.00", Decimal("-10.00")),
    (12, Decimal("12")),
    (0, Decimal("0")),
    (12.3, Decimal("12.3")),
    (0.1, Decimal("0.1")),
    (199.0, Decimal("199.0")),
    (3.98, Decimal("3.98")),
    (Decimal("5.55"), Decimal("5.55")),
    (None, Decimal("0")),
    ("", Decimal("0")),
])
def test_parse_money_accepts_numbers_and_numeric_strings(value, expected):
    parsed = parse_money(value)
    assert isinstance(parsed, Decimal)
    assert parsed == expected
    assert str(parsed) == str(expected)  # exact digits: 0.1 stays 0.1, not 0.1000000000000000055…


@given(cents=st.integers(-10**12, 10**12))
def test_parse_money_round_trips_two_decimal_strings(cents):
    text = str(Decimal(cents) / 100)
    assert parse_money(text) == Decimal(cents) / 100


@given(cents=st.integers(-10**9, 10**9))
def test_parse_money_of_an_int_is_exact(cents):
    assert parse_money(cents) == Decimal(cents)


@pytest.mark.parametrize("value", [True, False, [], ["1"], {"amount": "1"}, object()])
def test_parse_money_rejects_non_numeric_types_naming_the_field(value):
    with pytest.raises(ValueError, match="subtotal_price"):
        parse_money(value, field="subtotal_price")


@pytest.mark.parametrize("value", ["abc", "12,30", "1.2.3", "NaN", "nan", "sNaN", "Infinity",
                                   "-Infinity", "inf", float("nan"), float("inf")])
def test_parse_money_rejects_garbage_and_non_finite_values_naming_the_field(value):
    with pytest.raises(ValueError, match="total_tax"):
        parse_money(value, field="total_tax")


def test_parse_money_default_field_name_is_amount():
    with pytest.raises(ValueError, match="amount"):
        parse_money("abc")


def test_parse_money_error_is_a_value_error_not_invalid_operation():
    from decimal import InvalidOperation
    with pytest.raises(ValueError) as info:
        parse_money("abc", field="price")
    assert not isinstance(info.value, InvalidOperation)
