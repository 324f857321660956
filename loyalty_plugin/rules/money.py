"""Parsing money from payloads: Decimal always, never float."""
from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any


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
    return amount
