"""Local days, report buckets and UTC offsets in a shop's time zone."""
from __future__ import annotations

import datetime as dt
import zoneinfo

from hypothesis import given
from hypothesis import strategies as st

from loyalty_plugin.rules.calendar import (Bucket, Period, bucket_start, known_zone, local_midnight,
                                           offsets_between, periods, utc_span)

UTC = dt.timezone.utc
D = dt.date


def test_weeks_run_monday_to_sunday_across_a_year_boundary_and_are_cut_to_the_range():
    assert periods(D(2026, 12, 24), D(2027, 1, 12), Bucket.WEEK) == [
        Period(D(2026, 12, 24), D(2026, 12, 27)), Period(D(2026, 12, 28), D(2027, 1, 3)),
        Period(D(2027, 1, 4), D(2027, 1, 10)), Period(D(2027, 1, 11), D(2027, 1, 12))]


def test_months_across_a_year_boundary_and_a_leap_february():
    assert periods(D(2027, 12, 15), D(2028, 3, 1), Bucket.MONTH) == [
        Period(D(2027, 12, 15), D(2027, 12, 31)), Period(D(2028, 1, 1), D(2028, 1, 31)),
        Period(D(2028, 2, 1), D(2028, 2, 29)), Period(D(2028, 3, 1), D(2028, 3, 1))]


def test_one_day_is_one_bucket_of_each_size():
    for size in Bucket:
        assert periods(D(2026, 3, 8), D(2026, 3, 8), size) == [Period(D(2026, 3, 8), D(2026, 3, 8))]


def test_bucket_starts():
    assert bucket_start(D(2027, 1, 1), Bucket.WEEK) == D(2026, 12, 28)
    assert bucket_start(D(2027, 1, 31), Bucket.MONTH) == D(2027, 1, 1)
    assert bucket_start(D(2027, 1, 31), Bucket.DAY) == D(2027, 1, 31)


def test_local_days_across_daylight_saving_changes_last_23_and_25_hours():
    spring = utc_span(D(2026, 3, 8), D(2026, 3, 8), "America/New_York")
    autumn = utc_span(D(2026, 11, 1), D(2026, 11, 1), "America/New_York")
    assert spring == (dt.datetime(2026, 3, 8, 5, tzinfo=UTC), dt.datetime(2026, 3, 9, 4, tzinfo=UTC))
    assert autumn == (dt.datetime(2026, 11, 1, 4, tzinfo=UTC), dt.datetime(2026, 11, 2, 5, tzinfo=UTC))


def test_a_day_whose_midnight_is_skipped_starts_at_the_jump():
    # Santiago moves from -04 to -03 at midnight on 6 September 2026.
    assert local_midnight(D(2026, 9, 6), "America/Santiago") == dt.datetime(2026, 9, 6, 4, tzinfo=UTC)


def test_offsets_over_a_year_change_exactly_at_the_transitions():
    begin, end = utc_span(D(2026, 1, 1), D(2026, 12, 31), "America/New_York")
    assert offsets_between(begin, end, "America/New_York") == [
        (dt.datetime(2026, 3, 8, 7, tzinfo=UTC), -300), (dt.datetime(2026, 11, 1, 6, tzinfo=UTC), -240),
        (end, -300)]


def test_half_hour_zones_and_half_hour_shifts():
    begin, end = utc_span(D(2026, 1, 1), D(2026, 12, 31), "Asia/Kolkata")
    assert offsets_between(begin, end, "Asia/Kolkata") == [(end, 330)]
    begin, end = utc_span(D(2026, 1, 1), D(2026, 12, 31), "Australia/Lord_Howe")
    assert [minutes for _, minutes in offsets_between(begin, end, "Australia/Lord_Howe")] == [660, 630, 660]


ZONES = ["America/New_York", "Europe/Paris", "Australia/Lord_Howe", "Asia/Kolkata", "America/Santiago",
         "Pacific/Chatham", "UTC"]


@given(zone=st.sampled_from(ZONES), start=st.dates(D(2020, 1, 1), D(2030, 1, 1)),
       days=st.integers(0, 800), at=st.floats(0, 1))
def test_shifting_by_the_offset_of_the_piece_gives_the_local_date(zone, start, days, at):
    """What the SQLite query does (shift by the piece's offset, take the date) is zoneinfo's date."""
    begin, end = utc_span(start, start + dt.timedelta(days=days), zone)
    moment = begin + (end - begin) * at
    pieces = offsets_between(begin, end, zone)
    minutes = next(minutes for until, minutes in pieces if moment < until or until == end)
    shifted = (moment + dt.timedelta(minutes=minutes)).date()
    assert shifted == moment.astimezone(zoneinfo.ZoneInfo(zone)).date()


def test_known_zones_are_iana_names_only():
    assert known_zone("Europe/Paris") and known_zone("UTC")
    assert not known_zone("Europe/Nowhere") and not known_zone("") and not known_zone("../etc/passwd")
    assert not known_zone("europe/paris")


def test_a_change_on_the_ranges_last_day_is_found():
    # New York springs forward on 2025-03-09 at 07:00 UTC, inside the range's last daily step.
    begin, end = utc_span(D(2025, 3, 1), D(2025, 3, 9), "America/New_York")
    pieces = offsets_between(begin, end, "America/New_York")
    assert [minutes for _, minutes in pieces] == [-300, -240]
    assert pieces[0][0] == dt.datetime(2025, 3, 9, 7, 0, tzinfo=dt.timezone.utc)
