"""When points expire: at the end of a day in the shop's time zone.

Pure functions on aware UTC times; the ledger stamps each lot with the result.
"""
from __future__ import annotations

import datetime as dt
import enum
import zoneinfo

UTC = dt.timezone.utc


class ExpiryPolicy(str, enum.Enum):
    NONE = "none"
    PER_LOT = "per_lot"        # each lot expires N days after it became available
    INACTIVITY = "inactivity"  # the whole balance expires N days after the last earn or spend


def end_of_day_after(moment: dt.datetime, days: int, timezone: str) -> dt.datetime:
    """The end of the local day ``days`` days after ``moment``'s local day.

    That is midnight at the start of the next local day, whatever the UTC offset
    does in between (a daylight-saving change moves it by an hour in UTC).
    """
    tz = zoneinfo.ZoneInfo(timezone)
    last_day = moment.astimezone(tz).date() + dt.timedelta(days=days)
    next_midnight = dt.datetime.combine(last_day + dt.timedelta(days=1), dt.time(), tzinfo=tz)
    return next_midnight.astimezone(UTC)


def lot_expiry(policy: ExpiryPolicy, days: int, available_at: dt.datetime,
               enabled_at: dt.datetime | None, timezone: str) -> dt.datetime | None:
    """When a lot available from ``available_at`` expires under ``policy``.

    The clock never starts before the policy was switched on, so enabling expiry
    never expires points at once.
    """
    if policy is ExpiryPolicy.NONE:
        return None
    start = max(available_at, enabled_at) if enabled_at is not None else available_at
    return end_of_day_after(start, days, timezone)
