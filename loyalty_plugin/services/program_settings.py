"""The shop's program settings: earning rules, pending days, negative balances, time zone.

One entry point for every editor (the admin API, the dashboard): ``update_program_settings``
takes a mapping of already-shaped values (Decimals, booleans, ints, enum members or
their values, a zone name), checks all of them, and raises one ``Unprocessable`` whose
``details["fields"]`` maps each bad field to its messages, the shape marshmallow gives.

What a change does:

- Earning rules apply to orders awarded from now on, including orders already seen
  but still waiting for payment or fulfilment; points already awarded keep the rate,
  base and rule version their entry recorded, so refunds still reverse them exactly.
  Any change to them raises ``rule_version``.
- ``pending_days`` applies to points earned from now on; points already pending keep
  the date they were told.
- The time zone moves day boundaries from now on: new lots expire at the end of a
  local day in the new zone, birthdays pay on the new local date. Expiry dates and tier
  status dates already given keep their instant. Calendar-year and rolling tier windows
  start at local midnight, so who qualifies may change: ``tiers_version`` goes up and
  the scheduled job re-evaluates customers in batches.

Expiry, tier and referral settings have endpoints of their own (``/expiry``,
``/tiers/program``, ``/referrals/settings``).
"""
from __future__ import annotations

import datetime as dt
import enum
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy.orm import Session

from ..errors import Unprocessable
from ..models import AwardOn, NegativeBalancePolicy, ProgramSettings, Rounding, Shop, TierWindow
from ..rules.calendar import known_zone
from .tiers import FIRST_TIERS_VERSION

log = logging.getLogger(__name__)

MAX_RATE = Decimal("10000")
MAX_MIN_ORDER_AMOUNT = Decimal("1000000000")
MAX_PENDING_DAYS = 365
MAX_SIGNUP_BONUS = 1_000_000_000
PLACES = 4  # the Rate and Money columns keep four decimal places

# The rules an order's points are computed from: changing any raises rule_version.
EARNING_FIELDS = ("points_per_unit", "rounding", "include_shipping", "include_taxes",
                  "min_order_amount", "award_on", "pending_days", "skip_test_orders",
                  "signup_bonus_points")
FIELDS = (*EARNING_FIELDS, "negative_balance", "timezone")

_ENUMS: dict[str, type[enum.Enum]] = {"rounding": Rounding, "award_on": AwardOn,
                                      "negative_balance": NegativeBalancePolicy}
_BOOLEANS = frozenset({"include_shipping", "include_taxes", "skip_test_orders"})


@dataclass(frozen=True)
class ProgramSettingsView:
    """The settings as an editor shows them; ``currency`` is the shop's and read-only."""

    points_per_unit: Decimal
    rounding: Rounding
    include_shipping: bool
    include_taxes: bool
    min_order_amount: Decimal
    award_on: AwardOn
    pending_days: int
    skip_test_orders: bool
    signup_bonus_points: int
    negative_balance: NegativeBalancePolicy
    timezone: str
    currency: str
    rule_version: int
    updated_at: dt.datetime | None


def read_program_settings(shop: Shop) -> ProgramSettingsView:
    settings = shop.settings
    return ProgramSettingsView(
        points_per_unit=settings.points_per_unit, rounding=settings.rounding,
        include_shipping=settings.include_shipping, include_taxes=settings.include_taxes,
        min_order_amount=settings.min_order_amount, award_on=settings.award_on,
        pending_days=settings.pending_days, skip_test_orders=settings.skip_test_orders,
        signup_bonus_points=settings.signup_bonus_points, negative_balance=settings.negative_balance,
        timezone=shop.timezone, currency=shop.currency, rule_version=settings.rule_version,
        updated_at=settings.updated_at)


def update_program_settings(session: Session, shop: Shop, changes: Mapping[str, Any], *,
                            now: dt.datetime) -> ProgramSettingsView:
    """Apply ``changes`` (any subset of ``FIELDS``) all or nothing; see the module's rules."""
    values = check_program_settings(changes)
    settings = shop.settings
    changed = {name for name, value in values.items() if _current(shop, name) != value}
    if not changed:
        return read_program_settings(shop)
    for name in changed:
        if name == "timezone":
            shop.timezone = values[name]
        else:
            setattr(settings, name, values[name])
    if changed & set(EARNING_FIELDS):
        settings.rule_version += 1
    if "timezone" in changed and _tier_windows_follow_the_clock(settings):
        settings.tiers_version += 1
    settings.updated_at = now
    session.flush()
    log.info("program settings changed shop=%s fields=%s rule_version=%s", shop.id,
             ",".join(sorted(changed)), settings.rule_version)
    return read_program_settings(shop)


def check_program_settings(changes: Mapping[str, Any]) -> dict[str, Any]:
    """``changes`` as the model stores them, or Unprocessable naming every bad field."""
    values: dict[str, Any] = {}
    problems: dict[str, list[str]] = {}
    for name, value in changes.items():
        try:
            values[name] = _check(name, value)
        except ValueError as exc:
            problems[name] = [str(exc)]
    if problems:
        raise Unprocessable("The program settings are invalid.", details={"fields": problems})
    return values


def _check(name: str, value: Any) -> Any:
    if name not in FIELDS:
        raise ValueError("Unknown field.")
    if name in _ENUMS:
        return _member(_ENUMS[name], value)
    if name in _BOOLEANS:
        if not isinstance(value, bool):
            raise ValueError("Must be true or false.")
        return value
    if name == "points_per_unit":
        return _amount(value, low=Decimal("0"), high=MAX_RATE, low_inclusive=False)
    if name == "min_order_amount":
        return _amount(value, low=Decimal("0"), high=MAX_MIN_ORDER_AMOUNT)
    if name == "pending_days":
        return _whole(value, 0, MAX_PENDING_DAYS)
    if name == "signup_bonus_points":
        return _whole(value, 0, MAX_SIGNUP_BONUS)
    if not isinstance(value, str) or not known_zone(value):
        raise ValueError("Must be an IANA time zone name such as Europe/Paris.")
    return value


def _member(kind: type[enum.Enum], value: Any) -> enum.Enum:
    if isinstance(value, kind):
        return value
    try:
        return kind(value)
    except ValueError:
        choices = ", ".join(member.value for member in kind)
        raise ValueError(f"Must be one of: {choices}.") from None


def _amount(value: Any, *, low: Decimal, high: Decimal, low_inclusive: bool = True) -> Decimal:
    if isinstance(value, (bool, float)):
        raise ValueError("Must be a decimal number, given as a string or an integer.")
    try:
        amount = Decimal(value) if isinstance(value, (int, str)) else value
    except InvalidOperation:
        raise ValueError("Must be a decimal number.") from None
    if not isinstance(amount, Decimal) or not amount.is_finite():
        raise ValueError("Must be a decimal number.")
    # adjusted() reads the exponent without arithmetic, which could overflow on "1E+999999999".
    if amount.adjusted() > high.adjusted() or amount > high:
        raise ValueError(f"Must be at most {high}.")
    if amount < low or (amount == low and not low_inclusive):
        raise ValueError(f"Must be {'at least' if low_inclusive else 'more than'} {low}.")
    if amount.as_tuple().exponent < -PLACES:  # type: ignore[operator]
        raise ValueError(f"At most {PLACES} decimal places.")
    return amount


def _whole(value: Any, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError("Must be a whole number.")
    if not low <= value <= high:
        raise ValueError(f"Must be between {low} and {high}.")
    return value


def _current(shop: Shop, name: str) -> Any:
    return shop.timezone if name == "timezone" else getattr(shop.settings, name)


def _tier_windows_follow_the_clock(settings: ProgramSettings) -> bool:
    """A shop with tiers whose window starts at a local midnight."""
    return settings.tiers_version != FIRST_TIERS_VERSION and settings.tier_window is not TierWindow.LIFETIME
