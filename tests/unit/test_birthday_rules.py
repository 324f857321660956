"""Birthday dates: leap days, the shop's time zone, the notice period, and the job's query."""
from __future__ import annotations

import calendar
import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from loyalty_plugin.rules.birthdays import (LATE_DAYS, NOTICE_DAYS, candidates, check_birthday,
                                            due_occurrence, local_date, next_payout, occurrence,
                                            set_before)

UTC = dt.timezone.utc
TODAY = dt.date(2026, 6, 15)
LONG_AGO = dt.date(2000, 1, 1)

dates = st.dates(min_value=dt.date(2001, 1, 1), max_value=dt.date(2090, 12, 31))
birthdays = st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2000, 12, 31))  # a leap year
zones = st.sampled_from(["UTC", "Europe/Paris", "America/Los_Angeles", "Pacific/Kiritimati",
                         "Pacific/Pago_Pago", "Asia/Kathmandu"])


def test_29_february_is_celebrated_on_28_february_in_other_years():
    assert occurrence(2, 29, 2028) == dt.date(2028, 2, 29)
    assert occurrence(2, 29, 2027) == dt.date(2027, 2, 28)
    assert due_occurrence(2, 29, LONG_AGO, dt.date(2027, 2, 28)) == dt.date(2027, 2, 28)
    assert due_occurrence(2, 29, LONG_AGO, dt.date(2027, 2, 27)) is None
    # In a leap year the 28th is not the day yet.
    assert due_occurrence(2, 29, LONG_AGO, dt.date(2028, 2, 28)) is None
    assert due_occurrence(2, 29, LONG_AGO, dt.date(2028, 2, 29)) == dt.date(2028, 2, 29)


def test_a_28_february_birthday_shares_the_day_with_29_february_ones_off_leap_years():
    assert dict(candidates(dt.date(2027, 2, 28), 0)) == {dt.date(2027, 2, 28): ((2, 28), (2, 29))}
    assert dict(candidates(dt.date(2028, 2, 28), 0)) == {dt.date(2028, 2, 28): ((2, 28),)}
    assert dict(candidates(dt.date(2028, 2, 29), 0)) == {dt.date(2028, 2, 29): ((2, 29),)}


@pytest.mark.parametrize("month, day, year, field", [
    (0, 1, None, "month"), (13, 1, None, "month"), (4, 31, None, "day"), (2, 30, None, "day"),
    (1, 0, None, "day"), (2, 29, 2023, "day"), (1, 1, 1899, "year"), (1, 1, 2027, "year"),
    (12, 31, 2026, "year"),  # later this year: not born yet
])
def test_impossible_birthdays_name_the_field(month, day, year, field):
    assert check_birthday(month, day, year, TODAY) == field


@pytest.mark.parametrize("month, day, year", [(2, 29, None), (2, 29, 2024), (6, 15, 2026), (12, 31, 1900)])
def test_possible_birthdays(month, day, year):
    assert check_birthday(month, day, year, TODAY) is None


def test_the_day_is_the_shops_local_day():
    # 23:30 UTC on 14 June is already the 15th in Paris, still the 14th in Los Angeles.
    moment = dt.datetime(2026, 6, 14, 23, 30, tzinfo=UTC)
    assert local_date(moment, "Europe/Paris") == dt.date(2026, 6, 15)
    assert local_date(moment, "America/Los_Angeles") == dt.date(2026, 6, 14)
    assert due_occurrence(6, 15, LONG_AGO, local_date(moment, "Europe/Paris")) == dt.date(2026, 6, 15)
    assert due_occurrence(6, 15, LONG_AGO, local_date(moment, "America/Los_Angeles")) is None


def test_a_birthday_set_within_30_days_before_it_pays_from_next_year():
    birthday = dt.date(2026, 6, 15)
    assert due_occurrence(6, 15, birthday - dt.timedelta(days=NOTICE_DAYS + 1), birthday) == birthday
    assert due_occurrence(6, 15, birthday - dt.timedelta(days=NOTICE_DAYS), birthday) is None
    assert due_occurrence(6, 15, birthday, birthday) is None  # set on the day itself
    set_on = birthday - dt.timedelta(days=3)
    assert next_payout(6, 15, set_on, set_on, None) == dt.date(2027, 6, 15)
    assert due_occurrence(6, 15, set_on, dt.date(2027, 6, 15)) == dt.date(2027, 6, 15)


def test_a_birthday_set_after_this_years_never_pays_it_late():
    assert due_occurrence(6, 15, dt.date(2026, 6, 16), dt.date(2026, 6, 17)) is None


def test_a_late_job_pays_within_the_late_days_even_across_new_year():
    late = dt.date(2027, 1, 3)
    assert due_occurrence(12, 31, LONG_AGO, late) == dt.date(2026, 12, 31)
    assert due_occurrence(12, 31, LONG_AGO, dt.date(2026, 12, 31) + dt.timedelta(days=LATE_DAYS + 1)) is None


def test_next_payout_skips_a_year_already_paid():
    assert next_payout(6, 15, LONG_AGO, dt.date(2026, 6, 15), None) == dt.date(2026, 6, 15)
    assert next_payout(6, 15, LONG_AGO, dt.date(2026, 6, 15), 2026) == dt.date(2027, 6, 15)
    assert next_payout(6, 15, LONG_AGO, dt.date(2026, 7, 1), None) == dt.date(2027, 6, 15)


def test_set_before_is_local_midnight_thirty_days_before():
    assert set_before(dt.date(2026, 6, 15), "Europe/Paris") == dt.datetime(2026, 5, 15, 22, tzinfo=UTC)


@given(birthdays, st.integers(min_value=2001, max_value=2090))
def test_every_birthday_has_exactly_one_day_a_year(birthday, year):
    days = [dt.date(year, 1, 1) + dt.timedelta(days=n) for n in range(365 + calendar.isleap(year))]
    celebrated = [d for d in days for _, pairs in candidates(d, 0) if (birthday.month, birthday.day) in pairs]
    assert celebrated == [occurrence(birthday.month, birthday.day, year)]


@given(birthdays, dates, st.integers(min_value=0, max_value=800))
def test_a_daily_job_pays_once_a_year_never_before_the_notice(birthday, set_on, span):
    paid: dict[int, dt.date] = {}
    for n in range(span):
        today = set_on + dt.timedelta(days=n)
        due = due_occurrence(birthday.month, birthday.day, set_on, today)
        if due is not None and due.year not in paid:
            paid[due.year] = today
            assert (due - set_on).days > NOTICE_DAYS
            assert due <= today <= due + dt.timedelta(days=LATE_DAYS)
    assert len(paid) <= span // 365 + 1


@given(birthdays, dates, dates, zones, st.booleans())
def test_the_jobs_query_selects_exactly_what_the_rule_pays(birthday, set_on, today, zone, late):
    # The first or the last second of the local day it was set on.
    set_at = (set_before(set_on + dt.timedelta(days=NOTICE_DAYS + 1), zone) - dt.timedelta(seconds=1)
              if late else set_before(set_on + dt.timedelta(days=NOTICE_DAYS), zone))
    assert local_date(set_at, zone) == set_on
    selected = [day for day, pairs in candidates(today)
                if (birthday.month, birthday.day) in pairs and set_at < set_before(day, zone)]
    due = due_occurrence(birthday.month, birthday.day, set_on, today)
    assert (max(selected) if selected else None) == due


@given(birthdays, st.integers(min_value=2001, max_value=2090),
       st.integers(min_value=-3, max_value=LATE_DAYS + 3), st.integers(min_value=0, max_value=60),
       zones)
def test_the_jobs_query_agrees_near_the_birthday(birthday, year, offset, notice, zone):
    today = occurrence(birthday.month, birthday.day, year) + dt.timedelta(days=offset)
    set_on = today - dt.timedelta(days=notice)
    set_at = set_before(set_on + dt.timedelta(days=NOTICE_DAYS), zone)
    selected = [day for day, pairs in candidates(today)
                if (birthday.month, birthday.day) in pairs and set_at < set_before(day, zone)]
    due = due_occurrence(birthday.month, birthday.day, set_on, today)
    assert (max(selected) if selected else None) == due
    if 0 <= offset <= LATE_DAYS and notice - offset > NOTICE_DAYS:
        assert due == today - dt.timedelta(days=offset)
