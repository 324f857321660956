"""Local days in a shop's time zone: known zone names, report buckets, UTC offsets over a span.

Pure functions on dates and aware UTC times. Reports count by the shop's local day:
a day starts at local midnight, whatever its UTC offset, so a day across a
daylight-saving change lasts 23 or 25 hours.
"""
from __future__ import annotations

import datetime as dt
import enum
import functools
import zoneinfo
from dataclasses import dataclass

UTC = dt.timezone.utc
_DAY = dt.timedelta(days=1)
_SECOND = dt.timedelta(seconds=1)


class Bucket(str, enum.Enum):
    DAY = "day"
    WEEK = "week"    # ISO weeks: Monday to Sunday
    MONTH = "month"


@functools.cache
def _zone_names() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def known_zone(name: str) -> bool:
    """An IANA zone name such as ``Europe/Paris``; not a file path or an abbreviation."""
    return name in _zone_names()


def bucket_start(day: dt.date, bucket: Bucket) -> dt.date:
    """The first day of the calendar bucket ``day`` falls in."""
    if bucket is Bucket.WEEK:
        return day - dt.timedelta(days=day.weekday())
    if bucket is Bucket.MONTH:
        return day.replace(day=1)
    return day


def _next_bucket(start: dt.date, bucket: Bucket) -> dt.date:
    if bucket is Bucket.WEEK:
        return start + dt.timedelta(days=7)
    if bucket is Bucket.MONTH:
        return (start.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return start + _DAY


@dataclass(frozen=True)
class Period:
    """Local days ``first`` to ``last``, both included."""

    first: dt.date
    last: dt.date


def periods(start: dt.date, end: dt.date, bucket: Bucket) -> list[Period]:
    """The buckets covering ``start`` to ``end``; the first and last are cut to the range."""
    result = []
    current = bucket_start(start, bucket)
    while current <= end:
        following = _next_bucket(current, bucket)
        result.append(Period(max(current, start), min(following - _DAY, end)))
        current = following
    return result


def local_midnight(day: dt.date, timezone: str) -> dt.datetime:
    """When ``day`` starts in ``timezone``, in UTC.

    Where the clocks jump over midnight, ``fold=0`` reads the missing midnight with the
    offset before the jump, which is the instant of the jump: the day's first moment.
    """
    return dt.datetime.combine(day, dt.time(), tzinfo=zoneinfo.ZoneInfo(timezone)).astimezone(UTC)


def utc_span(start: dt.date, end: dt.date, timezone: str) -> tuple[dt.datetime, dt.datetime]:
    """[start of ``start``, start of the day after ``end``) in UTC."""
    return local_midnight(start, timezone), local_midnight(end + _DAY, timezone)


def offset_minutes(moment: dt.datetime, timezone: str) -> int:
    offset = moment.astimezone(zoneinfo.ZoneInfo(timezone)).utcoffset()
    assert offset is not None
    return int(offset.total_seconds() // 60)


def offsets_between(begin: dt.datetime, end: dt.datetime, timezone: str) -> list[tuple[dt.datetime, int]]:
    """The zone's UTC offset (minutes) over [begin, end), as ``(until, minutes)`` pieces.

    Each piece holds from the previous ``until`` (or ``begin``) to its own ``until``;
    the last one's ``until`` is ``end``. Offsets change at most a few times a year, so
    checking once a day and then bisecting to the second finds every change.
    """
    pieces: list[tuple[dt.datetime, int]] = []
    current = offset_minutes(begin, timezone)
    probe = begin
    while probe < end:
        step = min(probe + _DAY, end)
        # The last step reads the offset just inside ``end``: a change on the range's last
        # day must be found too.
        after = offset_minutes(step if step < end else end - _SECOND, timezone)
        if after != current:
            low, high = probe, step  # the offset is ``current`` at low, ``after`` at high
            while high - low > dt.timedelta(seconds=1):
                middle = (low + (high - low) / 2).replace(microsecond=0)
                if offset_minutes(middle, timezone) == current:
                    low = middle
                else:
                    high = middle
            pieces.append((high, current))
            current = after
        probe = step
    pieces.append((end, current))
    return pieces
