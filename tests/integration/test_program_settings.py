"""Program settings: what a change does to versions, history and later awards."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import select

from loyalty_plugin.errors import Unprocessable
from loyalty_plugin.models import (AwardOn, LedgerEntry, NegativeBalancePolicy, Rounding, TierWindow,
                                   utcnow)
from loyalty_plugin.services.orders import apply_order_snapshot
from loyalty_plugin.services.program_settings import (read_program_settings,
                                                      update_program_settings)
from loyalty_plugin.services.tier_catalog import create_tier
from tests.factories import make_order, make_shop

NOW = dt.datetime(2026, 11, 20, 10, tzinfo=dt.timezone.utc)


@pytest.fixture
def shop(session):
    return make_shop(session)[0]


def test_earning_rule_changes_apply_to_later_awards_and_leave_history_alone(session, shop):
    apply_order_snapshot(session, shop, make_order("A", items="100.00"), utcnow())
    view = update_program_settings(session, shop, {"points_per_unit": Decimal("2"),
                                                   "rounding": "half_up"}, now=NOW)
    apply_order_snapshot(session, shop, make_order("B", items="100.00"), utcnow())

    earns = session.execute(select(LedgerEntry).where(LedgerEntry.shop_id == shop.id)
                            .order_by(LedgerEntry.id)).scalars().all()
    assert [(e.points, e.rate, e.rule_version) for e in earns] == [
        (100, Decimal("1"), 1), (200, Decimal("2"), 2)]
    assert view.rule_version == 2 and view.rounding is Rounding.HALF_UP
    assert view.updated_at == NOW


def test_an_unchanged_value_changes_no_version(session, shop):
    before = read_program_settings(shop)
    after = update_program_settings(session, shop, {"points_per_unit": Decimal("1.0000"),
                                                    "award_on": AwardOn.PAID, "timezone": "UTC"}, now=NOW)
    assert after == before


def test_negative_balance_and_time_zone_are_not_earning_rules(session, shop):
    view = update_program_settings(session, shop, {"negative_balance": NegativeBalancePolicy.CLAMP,
                                                   "timezone": "Asia/Tokyo"}, now=NOW)
    assert view.rule_version == 1
    assert (view.negative_balance, view.timezone) == (NegativeBalancePolicy.CLAMP, "Asia/Tokyo")


@pytest.mark.parametrize("window, bumps", [(TierWindow.CALENDAR_YEAR, True),
                                           (TierWindow.ROLLING_12_MONTHS, True),
                                           (TierWindow.LIFETIME, False)])
def test_a_new_time_zone_re_evaluates_tiers_whose_windows_start_at_local_midnight(session, shop,
                                                                                  window, bumps):
    shop.settings.tier_window = window
    create_tier(session, shop, {"name": "Gold", "threshold": Decimal("500")}, NOW)
    before = shop.settings.tiers_version
    update_program_settings(session, shop, {"timezone": "America/New_York"}, now=NOW)
    assert shop.settings.tiers_version == before + (1 if bumps else 0)


def test_a_new_time_zone_without_tiers_leaves_the_tier_version(session, shop):
    shop.settings.tier_window = TierWindow.CALENDAR_YEAR
    update_program_settings(session, shop, {"timezone": "America/New_York"}, now=NOW)
    assert shop.settings.tiers_version == 1


def test_every_bad_field_is_named_at_once_and_nothing_changes(session, shop):
    with pytest.raises(Unprocessable) as excinfo:
        update_program_settings(session, shop, {"points_per_unit": 1.5, "pending_days": True,
                                                "timezone": "Nowhere/City", "rounding": "up",
                                                "include_taxes": True}, now=NOW)
    fields = excinfo.value.details["fields"]
    assert set(fields) == {"points_per_unit", "pending_days", "timezone", "rounding"}
    assert shop.settings.include_taxes is False and shop.settings.rule_version == 1


def test_form_values_given_as_text_are_accepted(session, shop):
    view = update_program_settings(session, shop, {"points_per_unit": "0.5", "min_order_amount": 25,
                                                   "award_on": "fulfilled"}, now=NOW)
    assert view.points_per_unit == Decimal("0.5") and view.min_order_amount == Decimal("25")
    assert view.award_on is AwardOn.FULFILLED
