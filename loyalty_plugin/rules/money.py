"""Parsing money from payloads: Decimal always, never float."""
from __future__ import annotations

from decimal import Decimal, InvalidOperation
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
