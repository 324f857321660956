"""Tier rules: windows in the shop's time zone, qualification, downgrades."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from loyalty_plugin.rules.tiers import (DowngradeOutlook, DowngradePolicy, Level, Span, TierWindow,
                                        current_window, deciding_window, downgrade_outlook,
                                        downgrade_target, next_level, previous_window,
                                        qualifying_level, rank, status_expiry)

UTC = dt.timezone.utc
BRONZE = Level(1, "Bronze", Decimal("0"))
SILVER = Level(2, "Silver", Decimal("500"), Decimal("1.25"))
GOLD = Level(3, "Gold", Decimal("1000"), Decimal("1.5"))
PLATINUM = Level(4, "Platinum", Decimal("5000"), Decimal("2"))
LEVELS = [GOLD, BRONZE, PLATINUM, SILVER]  # deliberately unsorted


def utc(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=UTC)


def test_calendar_year_starts_at_local_midnight_not_utc():
    # 1 January 00:00 in Los Angeles is 08:00 UTC.
    just_before = utc(2027, 1, 1, 7, 59)
    just_after = utc(2027, 1, 1, 8, 0)
    assert current_window(TierWindow.CALENDAR_YEAR, just_before, "America/Los_Angeles").start == \
        utc(2026, 1, 1, 8, 0)
    window = current_window(TierWindow.CALENDAR_YEAR, just_after, "America/Los_Angeles")
    assert (window.start, window.end) == (utc(2027, 1, 1, 8, 0), utc(2028, 1, 1, 8, 0))
    assert just_before not in window and just_after in window


def test_calendar_year_east_of_utc_starts_the_evening_before_in_utc():
    window = current_window(TierWindow.CALENDAR_YEAR, utc(2026, 12, 31, 15, 0), "Asia/Tokyo")
    assert window.start == utc(2026, 12, 31, 15, 0)
    assert current_window(TierWindow.CALENDAR_YEAR, utc(2026, 12, 31, 14, 59), "Asia/Tokyo").start == \
        utc(2025, 12, 31, 15, 0)


def test_previous_window_only_for_calendar_years():
    prev = previous_window(TierWindow.CALENDAR_YEAR, utc(2026, 6, 1), "Europe/Paris")
    assert (prev.start, prev.end) == (utc(2024, 12, 31, 23, 0), utc(2025, 12, 31, 23, 0))
    assert previous_window(TierWindow.LIFETIME, utc(2026, 6, 1), "UTC") is None
    assert previous_window(TierWindow.ROLLING_12_MONTHS, utc(2026, 6, 1), "UTC") is None


def test_rolling_window_covers_the_last_twelve_months_including_today():
    window = current_window(TierWindow.ROLLING_12_MONTHS, utc(2026, 11, 24, 18), "America/New_York")
    assert window.start == utc(2025, 11, 25, 5, 0)  # midnight in New York, after a DST change
    assert window.end is None


def test_rolling_window_from_a_leap_day():
    window = current_window(TierWindow.ROLLING_12_MONTHS, utc(2029, 3, 1, 12), "UTC")
    assert window.start == utc(2028, 3, 2)
    assert status_expiry(TierWindow.ROLLING_12_MONTHS, utc(2028, 2, 29, 12), "UTC") == utc(2029, 3, 2)


def test_lifetime_window_is_unbounded_and_never_expires():
    window = current_window(TierWindow.LIFETIME, utc(2026, 1, 1), "UTC")
    assert (window.start, window.end) == (None, None)
    assert status_expiry(TierWindow.LIFETIME, utc(2026, 1, 1), "UTC") is None


def test_calendar_status_holds_through_the_following_year():
    assert status_expiry(TierWindow.CALENDAR_YEAR, utc(2026, 3, 5), "America/Los_Angeles") == \
        utc(2028, 1, 1, 8, 0)


def test_qualifying_level_is_the_highest_threshold_met():
    assert qualifying_level(LEVELS, Decimal("-5")) is None
    assert qualifying_level(LEVELS, Decimal("0")) == BRONZE
    assert qualifying_level(LEVELS, Decimal("999.99")) == SILVER
    assert qualifying_level(LEVELS, Decimal("1000")) == GOLD
    assert qualifying_level(LEVELS, Decimal("10000")) == PLATINUM
    assert qualifying_level([], Decimal("10000")) is None


@given(st.decimals(min_value=-10, max_value=10_000, places=2),
       st.decimals(min_value=0, max_value=10_000, places=2))
def test_more_progress_never_means_a_lower_tier(a, b):
    low, high = sorted((a, b))
    def position(progress):
        level = qualifying_level(LEVELS, progress)
        return rank(LEVELS, level.id if level else None)
    assert position(low) <= position(high)


def test_requalify_drops_straight_to_the_qualified_tier():
    assert downgrade_target(LEVELS, PLATINUM.id, BRONZE, DowngradePolicy.REQUALIFY) == BRONZE
    assert downgrade_target(LEVELS, PLATINUM.id, None, DowngradePolicy.REQUALIFY) is None


def test_one_step_drops_one_tier_at_a_time():
    assert downgrade_target(LEVELS, PLATINUM.id, BRONZE, DowngradePolicy.ONE_STEP) == GOLD
    assert downgrade_target(LEVELS, SILVER.id, None, DowngradePolicy.ONE_STEP) == BRONZE
    assert downgrade_target(LEVELS, BRONZE.id, None, DowngradePolicy.ONE_STEP) is None
    assert downgrade_target(LEVELS, GOLD.id, SILVER, DowngradePolicy.ONE_STEP) == SILVER


def test_downgrade_never_promotes():
    assert downgrade_target(LEVELS, SILVER.id, GOLD, DowngradePolicy.ONE_STEP) == GOLD


def test_next_level_says_how_far_it_is():
    upcoming = next_level(LEVELS, SILVER.id, Decimal("880"))
    assert (upcoming.level, upcoming.remaining) == (GOLD, Decimal("120"))
    assert next_level(LEVELS, None, Decimal("0")).level == BRONZE
    assert next_level(LEVELS, PLATINUM.id, Decimal("9000")) is None


def test_the_year_just_ended_decides_a_calendar_status_judged_on_new_years_day():
    judged = status_expiry(TierWindow.CALENDAR_YEAR, utc(2026, 3, 1), "Europe/Paris")
    assert judged == utc(2027, 12, 31, 23)  # midnight in Paris
    assert deciding_window(TierWindow.CALENDAR_YEAR, judged, "Europe/Paris") == Span(
        utc(2026, 12, 31, 23), utc(2027, 12, 31, 23))


def test_the_twelve_months_up_to_its_end_decide_a_rolling_status():
    judged = status_expiry(TierWindow.ROLLING_12_MONTHS, utc(2026, 3, 1, 12), "UTC")
    assert judged == utc(2027, 3, 2)
    assert deciding_window(TierWindow.ROLLING_12_MONTHS, judged, "UTC") == Span(utc(2026, 3, 3), None)


def test_the_outlook_names_the_landing_tier_and_what_is_missing():
    assert downgrade_outlook(LEVELS, GOLD.id, Decimal("1000"), DowngradePolicy.REQUALIFY) is None
    assert downgrade_outlook(LEVELS, GOLD.id, Decimal("620"), DowngradePolicy.REQUALIFY) == \
        DowngradeOutlook(GOLD, SILVER, Decimal("380"))
    assert downgrade_outlook(LEVELS, PLATINUM.id, Decimal("0"), DowngradePolicy.ONE_STEP) == \
        DowngradeOutlook(PLATINUM, GOLD, Decimal("5000"))
    assert downgrade_outlook(LEVELS, None, Decimal("0"), DowngradePolicy.REQUALIFY) is None
    assert downgrade_outlook(LEVELS, 99, Decimal("0"), DowngradePolicy.REQUALIFY) is None  # not offered


@given(st.sampled_from(LEVELS), st.integers(min_value=0, max_value=6000), st.sampled_from(list(DowngradePolicy)))
def test_an_outlook_always_lands_lower_and_agrees_with_the_roll_over(held, progress, policy):
    outlook = downgrade_outlook(LEVELS, held.id, Decimal(progress), policy)
    qualified = qualifying_level(LEVELS, Decimal(progress))
    if outlook is None:
        assert rank(LEVELS, qualified.id if qualified else None) >= rank(LEVELS, held.id)
        return
    landing = outlook.projected.id if outlook.projected else None
    assert rank(LEVELS, landing) < rank(LEVELS, held.id)
    assert outlook.projected == downgrade_target(LEVELS, held.id, qualified, policy)
    assert outlook.short == held.threshold - progress > 0
