"""Stripe-style integer amounts in the smallest currency unit, to and from Decimal."""
from __future__ import annotations

from decimal import ROUND_FLOOR, Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from loyalty_plugin.rules.money import (MAX_AMOUNT, THREE_DECIMAL_CURRENCIES,
                                        ZERO_DECIMAL_CURRENCIES, from_minor_units,
                                        minor_unit_exponent, to_minor_units)

TWO_DECIMAL = ["USD", "EUR", "GBP", "ISK", "HUF", "TWD"]
ZERO_DECIMAL = sorted(ZERO_DECIMAL_CURRENCIES)
THREE_DECIMAL = sorted(THREE_DECIMAL_CURRENCIES)
ALL = TWO_DECIMAL + ZERO_DECIMAL + THREE_DECIMAL

amounts = st.integers(min_value=-10**11, max_value=10**11)


def test_stripe_documented_lists():
    assert ZERO_DECIMAL_CURRENCIES == {"BIF", "CLP", "DJF", "GNF", "JPY", "KMF", "KRW", "MGA",
                                       "PYG", "RWF", "UGX", "VND", "VUV", "XAF", "XOF", "XPF"}
    assert THREE_DECIMAL_CURRENCIES == {"BHD", "JOD", "KWD", "OMR", "TND"}


@pytest.mark.parametrize("amount, currency, expected", [
    (1999, "usd", Decimal("19.99")),
    (1999, "USD", Decimal("19.99")),
    (500, "jpy", Decimal("500")),
    (1000, "krw", Decimal("1000")),
    (5120, "kwd", Decimal("5.120")),
    (5124, "bhd", Decimal("5.124")),
    (100, "isk", Decimal("1.00")),
    (0, "jpy", Decimal("0")),
    (1, "eur", Decimal("0.01")),
    (-250, "usd", Decimal("-2.50")),
])
def test_from_minor_units_table(amount, currency, expected):
    value = from_minor_units(amount, currency)
    assert value == expected
    assert isinstance(value, Decimal)


@pytest.mark.parametrize("currency, exponent", [("usd", 2), ("JPY", 0), ("Kwd", 3), ("xof", 0),
                                                ("tnd", 3), ("isk", 2), ("huf", 2), ("twd", 2)])
def test_minor_unit_exponent(currency, exponent):
    assert minor_unit_exponent(currency) == exponent


@pytest.mark.parametrize("currency", [None, "", "US", "USDX", "U$D", "12A", 840, "ÜSD"])
def test_a_malformed_currency_is_a_value_error_naming_it(currency):
    with pytest.raises(ValueError, match="currency"):
        minor_unit_exponent(currency)


@pytest.mark.parametrize("amount", [19.99, "1999", None, True, Decimal("1999"), [1999]])
def test_from_minor_units_accepts_only_integers(amount):
    with pytest.raises(ValueError, match="total"):
        from_minor_units(amount, "usd", field="total")


def test_from_minor_units_refuses_absurd_amounts():
    with pytest.raises(ValueError, match="out of range"):
        from_minor_units(10**20, "jpy")


@pytest.mark.parametrize("amount, currency, expected", [
    (Decimal("19.99"), "usd", 1999),
    (Decimal("500"), "jpy", 500),
    (Decimal("499.5"), "jpy", 500),
    (Decimal("5.12"), "kwd", 5120),
    (Decimal("5.124"), "kwd", 5120),   # Stripe's own example: 5.124 KWD is charged as 5120 or 5130
    (Decimal("5.125"), "kwd", 5130),
    (Decimal("0.005"), "usd", 1),
])
def test_to_minor_units_table(amount, currency, expected):
    assert to_minor_units(amount, currency) == expected


def test_to_minor_units_takes_a_rounding():
    assert to_minor_units(Decimal("5.129"), "kwd", rounding=ROUND_FLOOR) == 5120
    assert to_minor_units(Decimal("0.019"), "usd", rounding=ROUND_FLOOR) == 1


@given(amounts, st.sampled_from(ALL))
def test_from_minor_units_is_exact(amount, currency):
    value = from_minor_units(amount, currency)
    assert value * (10 ** minor_unit_exponent(currency)) == amount
    assert abs(value) < MAX_AMOUNT


@given(amounts, st.sampled_from(TWO_DECIMAL + ZERO_DECIMAL))
def test_round_trip_in_zero_and_two_decimal_currencies(amount, currency):
    assert to_minor_units(from_minor_units(amount, currency), currency) == amount


@given(amounts, st.sampled_from(THREE_DECIMAL))
def test_three_decimal_amounts_come_out_as_multiples_of_ten(amount, currency):
    minor = to_minor_units(from_minor_units(amount, currency), currency)
    assert minor % 10 == 0
    assert abs(minor - amount) <= 5
    if amount % 10 == 0:
        assert minor == amount


@given(st.decimals(min_value=-10**9, max_value=10**9, places=6), st.sampled_from(ALL))
def test_to_minor_units_is_within_half_a_chargeable_unit(amount, currency):
    minor = to_minor_units(amount, currency)
    step = Decimal(10) if minor_unit_exponent(currency) == 3 else Decimal(1)
    assert isinstance(minor, int)
    assert abs(Decimal(minor) - amount.scaleb(minor_unit_exponent(currency))) <= step / 2
