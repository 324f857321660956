"""Expiry dates: the end of a local day, across daylight-saving changes."""
from __future__ import annotations

import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from loyalty_plugin.rules.expiry import ExpiryPolicy, end_of_day_after, lot_expiry

UTC = dt.timezone.utc


def test_end_of_day_across_the_autumn_clock_change_in_paris():
    # Earned at 14:00 in Paris (summer time); ten days later the clocks have gone back.
    earned = dt.datetime(2026, 10, 20, 12, 0, tzinfo=UTC)
    assert end_of_day_after(earned, 10, "Europe/Paris") == dt.datetime(2026, 10, 30, 23, 0, tzinfo=UTC)


def test_end_of_day_across_the_spring_clock_change_in_new_york():
    earned = dt.datetime(2026, 3, 1, 17, 0, tzinfo=UTC)  # noon in New York, standard time
    assert end_of_day_after(earned, 14, "America/New_York") == dt.datetime(2026, 3, 16, 4, 0, tzinfo=UTC)


def test_the_local_day_not_the_utc_day_counts():
    # 23:30 UTC on the 1st is already the 2nd in Tokyo.
    earned = dt.datetime(2026, 5, 1, 23, 30, tzinfo=UTC)
    assert end_of_day_after(earned, 0, "Asia/Tokyo") == dt.datetime(2026, 5, 2, 15, 0, tzinfo=UTC)
    assert end_of_day_after(earned, 0, "UTC") == dt.datetime(2026, 5, 2, 0, 0, tzinfo=UTC)


def test_the_clock_never_starts_before_the_policy_was_enabled():
    earned = dt.datetime(2025, 1, 1, tzinfo=UTC)
    enabled = dt.datetime(2026, 6, 1, 10, tzinfo=UTC)
    assert lot_expiry(ExpiryPolicy.PER_LOT, 30, earned, enabled, "UTC") == dt.datetime(2026, 7, 2, tzinfo=UTC)
    assert lot_expiry(ExpiryPolicy.NONE, 30, earned, enabled, "UTC") is None


@given(st.datetimes(min_value=dt.datetime(2000, 1, 1), max_value=dt.datetime(2090, 1, 1),
                    timezones=st.just(UTC)),
       st.integers(min_value=1, max_value=3650),
       st.sampled_from(["UTC", "Europe/Paris", "America/Los_Angeles", "Australia/Lord_Howe", "Asia/Kathmandu"]))
def test_expiry_is_a_local_midnight_at_least_the_given_days_later(moment, days, zone):
    import zoneinfo
    expires = end_of_day_after(moment, days, zone)
    local = expires.astimezone(zoneinfo.ZoneInfo(zone))
    assert (local.hour, local.minute) == (0, 0)
    assert local.date() - moment.astimezone(zoneinfo.ZoneInfo(zone)).date() == dt.timedelta(days=days + 1)
    assert expires > moment
