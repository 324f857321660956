"""When a customer's birthday points are due: pure date rules in the shop's time zone.

A birthday is a month and day (the year is optional and only checked). Someone
born on 29 February celebrates on 28 February in other years, so they are paid
every year and never in March. A birthday set or changed within the
``NOTICE_DAYS`` days before it (or after it) first pays the following year, so
nobody can set today's date and be paid today. A job that misses a day still pays
up to ``LATE_DAYS`` days after the birthday, never for an earlier year.
"""
from __future__ import annotations

import calendar
import datetime as dt
import zoneinfo
from collections.abc import Iterator

UTC = dt.timezone.utc
NOTICE_DAYS = 30
LATE_DAYS = 7
EARLIEST_YEAR = 1900


def check_birthday(month: int, day: int, year: int | None, today: dt.date) -> str | None:
    """Which field makes the birthday impossible (``"month"``, ``"day"``, ``"year"``), or None."""
    if not 1 <= month <= 12:
        return "month"
    # Any year's 29 February is a birthday; 2000 is a leap year.
    if not 1 <= day <= calendar.monthrange(2000, month)[1]:
        return "day"
    if year is None:
        return None
    if not EARLIEST_YEAR <= year <= today.year:
        return "year"
    if month == 2 and day == 29 and not calendar.isleap(year):
        return "day"
    if dt.date(year, month, day) > today:
        return "year"
    return None


def occurrence(month: int, day: int, year: int) -> dt.date:
    """The day the birthday is celebrated in ``year``: 29 February falls on the 28th off leap years."""
    if month == 2 and day == 29 and not calendar.isleap(year):
        return dt.date(year, 2, 28)
    return dt.date(year, month, day)


def local_date(moment: dt.datetime, timezone: str) -> dt.date:
    return moment.astimezone(zoneinfo.ZoneInfo(timezone)).date()


def notice_met(set_on: dt.date, birthday: dt.date) -> bool:
    """Whether a birthday set on ``set_on`` (a local date) pays on ``birthday``."""
    return (birthday - set_on).days > NOTICE_DAYS


def due_occurrence(month: int, day: int, set_on: dt.date, today: dt.date,
                   late_days: int = LATE_DAYS) -> dt.date | None:
    """The birthday that pays on local date ``today``, if any; its year keys the payment."""
    for year in (today.year, today.year - 1):
        birthday = occurrence(month, day, year)
        if birthday <= today <= birthday + dt.timedelta(days=late_days) and notice_met(set_on, birthday):
            return birthday
    return None


def next_payout(month: int, day: int, set_on: dt.date, today: dt.date,
                paid_year: int | None) -> dt.date:
    """The next birthday that will pay, counting today's if it is still unpaid."""
    year = today.year - 1
    while True:
        birthday = occurrence(month, day, year)
        if (birthday + dt.timedelta(days=LATE_DAYS) >= today and notice_met(set_on, birthday)
                and (paid_year is None or birthday.year > paid_year)):
            return birthday
        year += 1


def candidates(today: dt.date, late_days: int = LATE_DAYS) -> Iterator[tuple[dt.date, tuple[tuple[int, int], ...]]]:
    """Each birthday that may pay on ``today``, with the (month, day) pairs celebrated on it.

    The database query of the birthday job is built from these; it selects exactly
    what ``due_occurrence`` accepts.
    """
    for back in range(late_days + 1):
        day = today - dt.timedelta(days=back)
        if day.month == 2 and day.day == 28 and not calendar.isleap(day.year):
            yield day, ((2, 28), (2, 29))
        else:
            yield day, ((day.month, day.day),)


def set_before(birthday: dt.date, timezone: str) -> dt.datetime:
    """A birthday must have been set before this moment (aware UTC) to pay on ``birthday``."""
    last_day = birthday - dt.timedelta(days=NOTICE_DAYS)
    midnight = dt.datetime.combine(last_day, dt.time(), tzinfo=zoneinfo.ZoneInfo(timezone))
    return midnight.astimezone(UTC)
