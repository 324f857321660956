"""Parsing money from payloads: Decimal always, never float."""
from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

# Far above any real order, well inside the NUMERIC(18, 4) columns that store money.
MAX_AMOUNT = Decimal("1000000000000")


def parse_money(value: Any, *, field: str = "amount") -> Decimal:
    """``"12.30"``, ``12.3`` or ``12`` to a finite Decimal; ``None`` and ``""`` to zero.

    Floats go through ``str`` so ``0.1`` stays ``Decimal("0.1")``. Anything else
    raises ``ValueError`` naming the field.
    """
    if value is None or value == "":
        return Decimal("0")
    if isinstance(value, bool) or not isinstance(value, (str, int, float, Decimal)):
        raise ValueError(f"{field} must be a number or a numeric string, got {type(value).__name__}")
    try:
        amount = Decimal(str(value).strip())
    except InvalidOperation:
        raise ValueError(f"{field} is not a number: {str(value)[:40]!r}") from None
    if not amount.is_finite():
        raise ValueError(f"{field} must be finite")
    check_amount(amount, field=field)
    return amount


def check_amount(amount: Decimal, *, field: str = "amount") -> Decimal:
    if abs(amount) >= MAX_AMOUNT:
        raise ValueError(f"{field} is out of range (at most {MAX_AMOUNT} in absolute value)")
    return amount


# Stripe's zero-decimal currencies (docs.stripe.com/currencies#zero-decimal): an amount of 500
# is 500 JPY, not 5.00. ISK, HUF and TWD are listed there as special cases, but stay
# two-decimal in the API (ISK 100 is one krona), so they are deliberately not here.
ZERO_DECIMAL_CURRENCIES = frozenset({
    "BIF", "CLP", "DJF", "GNF", "JPY", "KMF", "KRW", "MGA", "PYG", "RWF", "UGX", "VND", "VUV",
    "XAF", "XOF", "XPF"})
# Amounts in thousandths; Stripe's payment APIs only accept multiples of ten of them.
THREE_DECIMAL_CURRENCIES = frozenset({"BHD", "JOD", "KWD", "OMR", "TND"})


def minor_unit_exponent(currency: str) -> int:
    """How many decimal places Stripe's integer amounts in ``currency`` stand for."""
    if not isinstance(currency, str) or len(currency) != 3 or not currency.isascii() \
            or not currency.isalpha():
        raise ValueError(f"currency must be a three-letter ISO 4217 code, got {str(currency)[:10]!r}")
    code = currency.upper()
    if code in ZERO_DECIMAL_CURRENCIES:
        return 0
    if code in THREE_DECIMAL_CURRENCIES:
        return 3
    return 2


def from_minor_units(amount: Any, currency: str, *, field: str = "amount") -> Decimal:
    """An integer amount in the smallest unit (Stripe's form) to an exact Decimal."""
    if isinstance(amount, bool) or not isinstance(amount, int):
        raise ValueError(f"{field} must be an integer in the currency's smallest unit, "
                         f"got {type(amount).__name__}")
    return check_amount(Decimal(amount).scaleb(-minor_unit_exponent(currency)), field=field)


def to_minor_units(amount: Decimal, currency: str, *, rounding: str = ROUND_HALF_UP) -> int:
    """A Decimal to the integer Stripe expects, rounded to what the currency can charge.

    Three-decimal currencies round to the nearest ten of their thousandths: Stripe
    requires the last digit to be 0 there.
    """
    exponent = minor_unit_exponent(currency)
    chargeable = 2 if exponent == 3 else exponent
    rounded = check_amount(amount).quantize(Decimal(1).scaleb(-chargeable), rounding=rounding)
    return int(rounded.scaleb(exponent))


def money_text(amount: Decimal) -> str:
    """Money as the platforms' APIs take it: ``"5.00"``, never exponent notation."""
    return format(amount.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP), "f")


def number_text(value: Decimal) -> str:
    """A number without trailing zeros or exponent: ``Decimal("10.0000")`` is ``"10"``."""
    return format(value.normalize(), "f")
