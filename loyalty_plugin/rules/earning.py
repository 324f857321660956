"""How many points an order earns, and how many a refund takes back."""
from __future__ import annotations

import enum
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_UP, Decimal


class Rounding(str, enum.Enum):
    FLOOR = "floor"
    HALF_UP = "half_up"
    CEIL = "ceil"


_DECIMAL_ROUNDING = {
    Rounding.FLOOR: ROUND_FLOOR,
    Rounding.HALF_UP: ROUND_HALF_UP,
    Rounding.CEIL: ROUND_CEILING,
}

ZERO = Decimal("0")


@dataclass(frozen=True)
class Amounts:
    """An order's or a refund's money in shop currency, split the way rules need it.

    ``items`` is line items after discounts, without gift cards, tips, shipping or tax.
    """

    items: Decimal = ZERO
    shipping: Decimal = ZERO
    taxes: Decimal = ZERO


@dataclass(frozen=True)
class EarnRule:
    rate: Decimal = Decimal("1")
    rounding: Rounding = Rounding.FLOOR
    include_shipping: bool = False
    include_taxes: bool = False
    min_order_amount: Decimal = ZERO
    version: int = 1


def earn_base(amounts: Amounts, *, include_shipping: bool, include_taxes: bool) -> Decimal:
    """The money points are earned on; never negative."""
    base = amounts.items
    if include_shipping:
        base += amounts.shipping
    if include_taxes:
        base += amounts.taxes
    return max(base, ZERO)


def round_points(value: Decimal, rounding: Rounding) -> int:
    return int(value.to_integral_value(rounding=_DECIMAL_ROUNDING[Rounding(rounding)]))


def points_for(base: Decimal, rate: Decimal, multiplier: Decimal, rounding: Rounding) -> int:
    """Points for ``base``; rounded once, on the final product."""
    if base <= 0 or rate <= 0 or multiplier <= 0:
        return 0
    return round_points(base * rate * multiplier, rounding)


def reversal_target(earned: int, base: Decimal, refunded: Decimal) -> int:
    """Points to have taken back once ``refunded`` of ``base`` has been refunded.

    Cumulative, so a series of partial refunds rounds once overall: each refund
    reverses ``target(after) - target(before)``. It never exceeds ``earned`` and
    reaches it exactly when the whole base is refunded.
    """
    if earned <= 0 or base <= 0 or refunded <= 0:
        return 0
    if refunded >= base:
        return earned
    return min(earned, round_points(Decimal(earned) * refunded / base, Rounding.HALF_UP))
