"""Which VIP tier a customer's progress reaches, and over which window of time.

Day boundaries are the shop's: a calendar year starts at midnight on 1 January in
the shop's time zone, not in UTC. Every function takes and returns aware UTC times.
"""
from __future__ import annotations

import datetime as dt
import enum
import zoneinfo
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

UTC = dt.timezone.utc


class TierBasis(str, enum.Enum):
    POINTS_EARNED = "points_earned"
    AMOUNT_SPENT = "amount_spent"
    ORDER_COUNT = "order_count"


class TierWindow(str, enum.Enum):
    LIFETIME = "lifetime"
    CALENDAR_YEAR = "calendar_year"
    ROLLING_12_MONTHS = "rolling_12_months"


class DowngradePolicy(str, enum.Enum):
    REQUALIFY = "requalify"  # drop to the tier the customer qualifies for
    ONE_STEP = "one_step"    # drop one tier each time the status runs out


@dataclass(frozen=True)
class Level:
    """A tier as the rules see it: ranked by threshold."""

    id: int
    name: str
    threshold: Decimal
    multiplier: Decimal = Decimal("1")


@dataclass(frozen=True)
class Span:
    """[start, end) in UTC; None is unbounded."""

    start: dt.datetime | None
    end: dt.datetime | None

    def __contains__(self, moment: dt.datetime) -> bool:
        return (self.start is None or moment >= self.start) and (self.end is None or moment < self.end)


def _local_midnight(day: dt.date, tz: zoneinfo.ZoneInfo) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), tzinfo=tz).astimezone(UTC)


def _add_years(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February in a year that has none
        return day.replace(year=day.year + years, day=28) + dt.timedelta(days=1)


def current_window(window: TierWindow, now: dt.datetime, timezone: str) -> Span:
    """The window progress counts over at ``now``."""
    tz = zoneinfo.ZoneInfo(timezone)
    today = now.astimezone(tz).date()
    if window is TierWindow.LIFETIME:
        return Span(None, None)
    if window is TierWindow.CALENDAR_YEAR:
        return Span(_local_midnight(dt.date(today.year, 1, 1), tz),
                    _local_midnight(dt.date(today.year + 1, 1, 1), tz))
    # The last twelve months, today included.
    return Span(_local_midnight(_add_years(today, -1) + dt.timedelta(days=1), tz), None)


def previous_window(window: TierWindow, now: dt.datetime, timezone: str) -> Span | None:
    """The window before the current one, for windows that have one.

    A calendar-year status earned last year still holds this year.
    """
    if window is not TierWindow.CALENDAR_YEAR:
        return None
    tz = zoneinfo.ZoneInfo(timezone)
    year = now.astimezone(tz).year
    return Span(_local_midnight(dt.date(year - 1, 1, 1), tz), _local_midnight(dt.date(year, 1, 1), tz))


def status_expiry(window: TierWindow, qualified_at: dt.datetime, timezone: str) -> dt.datetime | None:
    """When a tier reached at ``qualified_at`` is next judged again.

    Lifetime: never. Calendar year: at the end of the following year. Rolling
    twelve months: twelve months later, at the end of that day.
    """
    tz = zoneinfo.ZoneInfo(timezone)
    day = qualified_at.astimezone(tz).date()
    if window is TierWindow.LIFETIME:
        return None
    if window is TierWindow.CALENDAR_YEAR:
        return _local_midnight(dt.date(day.year + 2, 1, 1), tz)
    return _local_midnight(_add_years(day, 1) + dt.timedelta(days=1), tz)


def ranked(levels: Sequence[Level]) -> list[Level]:
    return sorted(levels, key=lambda level: (level.threshold, level.id))


def qualifying_level(levels: Sequence[Level], progress: Decimal) -> Level | None:
    """The highest tier whose threshold ``progress`` meets."""
    reached = None
    for level in ranked(levels):
        if progress >= level.threshold:
            reached = level
    return reached


def rank(levels: Sequence[Level], level_id: int | None) -> int:
    """Position from 1 upwards; 0 for no tier or a tier no longer offered."""
    return _position(ranked(levels), level_id)


def _position(order: Sequence[Level], level_id: int | None) -> int:
    """``rank`` in levels already ranked."""
    return next((at for at, level in enumerate(order, start=1) if level.id == level_id), 0)


def downgrade_target(levels: Sequence[Level], current_id: int | None, qualified: Level | None,
                     policy: DowngradePolicy) -> Level | None:
    """Where a customer whose status ran out lands; never above the current tier."""
    order = ranked(levels)
    current = rank(levels, current_id)
    target = rank(levels, qualified.id) if qualified else 0
    if target >= current:
        return qualified
    if policy is DowngradePolicy.ONE_STEP and current > 1:
        target = max(target, current - 1)
    return order[target - 1] if target else None


@dataclass(frozen=True)
class NextLevel:
    level: Level
    remaining: Decimal


def next_level(levels: Sequence[Level], current_id: int | None, progress: Decimal) -> NextLevel | None:
    """The next tier above the current one and how much progress it still needs."""
    order = ranked(levels)
    position = _position(order, current_id)
    if position == len(order):
        return None
    above = order[position]
    return NextLevel(above, max(Decimal("0"), above.threshold - progress))


def deciding_window(window: TierWindow, judged_at: dt.datetime, timezone: str) -> Span:
    """The window whose progress decides a status judged at ``judged_at``.

    A calendar-year status is judged at midnight on 1 January: the year just ended
    decides it. A rolling status is judged on the twelve months up to that day.
    """
    if window is TierWindow.CALENDAR_YEAR:
        previous = previous_window(window, judged_at, timezone)
        assert previous is not None
        return previous
    return current_window(window, judged_at, timezone)


@dataclass(frozen=True)
class DowngradeOutlook:
    held: Level
    projected: Level | None  # where the customer lands; None for no tier at all
    short: Decimal           # progress still missing to keep ``held``


def downgrade_outlook(levels: Sequence[Level], current_id: int | None, progress: Decimal,
                      policy: DowngradePolicy) -> DowngradeOutlook | None:
    """Where a status judged on ``progress`` would land, if lower than the tier held; else None."""
    held = next((level for level in levels if level.id == current_id), None)
    if held is None:
        return None
    qualified = qualifying_level(levels, progress)
    if rank(levels, qualified.id if qualified else None) >= rank(levels, current_id):
        return None
    return DowngradeOutlook(held, downgrade_target(levels, current_id, qualified, policy),
                            held.threshold - progress)
