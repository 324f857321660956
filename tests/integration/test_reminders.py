"""points.expiring: a warning per customer per expiry date, the shop's number of days ahead."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from loyalty_plugin.models import EventType, ExpiryPolicy, OutboundEvent
from loyalty_plugin.services import expiry, schedule
from loyalty_plugin.services.accounts import find_by_external_id
from loyalty_plugin.services.adjustments import adjust_points
from loyalty_plugin.services.orders import apply_order_snapshot
from tests.factories import make_order, make_shop

UTC = dt.timezone.utc
EARNED = dt.datetime(2026, 10, 20, 12, 0, tzinfo=UTC)
EXPIRES = dt.datetime(2026, 10, 30, 23, 0, tzinfo=UTC)  # ten days on, at the end of a Paris day
DAY = dt.timedelta(days=1)


@pytest.fixture
def shop(session):
    shop = make_shop(session)[0]
    shop.timezone = "Europe/Paris"
    expiry.update_policy(session, shop, policy=ExpiryPolicy.PER_LOT, days=10, warning_days=3,
                         now=EARNED - 30 * DAY)
    return shop


def warnings(session, shop) -> list[dict]:
    return [e.payload for e in session.execute(select(OutboundEvent).where(
        OutboundEvent.shop_id == shop.id, OutboundEvent.type == EventType.POINTS_EXPIRING)
        .order_by(OutboundEvent.id)).scalars()]


def remind(session, now) -> int:
    return schedule.run_reminder_batch(session, now).reminded


def test_a_customer_is_warned_once_the_shops_days_ahead(session, shop):
    apply_order_snapshot(session, shop, make_order("A", items="100"), EARNED)
    assert remind(session, EXPIRES - 3 * DAY - dt.timedelta(seconds=1)) == 0
    assert warnings(session, shop) == []
    assert remind(session, EXPIRES - 3 * DAY) == 1
    assert remind(session, EXPIRES - 3 * DAY) == 0
    assert remind(session, EXPIRES - DAY) == 0  # the same date is never warned about twice

    (warning,) = warnings(session, shop)
    assert (warning["points"], warning["expires_at"]) == (100, EXPIRES.isoformat())
    assert warning["customer"]["id"] == "1001"
    assert remind(session, EXPIRES) == 0  # expiring now is expiry's business, not a warning


def test_each_expiry_date_is_warned_about_with_what_is_left(session, shop):
    apply_order_snapshot(session, shop, make_order("A", items="100"), EARNED)
    apply_order_snapshot(session, shop, make_order("B", items="50"), EARNED + DAY)
    adjust_points(session, find_by_external_id(session, shop.id, "1001"), points=-70,
                  reason="spent", now=EARNED + 2 * DAY)
    assert remind(session, EXPIRES - 2 * DAY) == 2
    assert [(w["points"], w["expires_at"]) for w in warnings(session, shop)] == [
        (30, EXPIRES.isoformat()), (50, (EXPIRES + DAY).isoformat())]


def test_no_warning_without_expiry_or_with_zero_days(session, shop):
    apply_order_snapshot(session, shop, make_order("A", items="100"), EARNED)
    expiry.update_policy(session, shop, warning_days=0, now=EARNED)
    assert remind(session, EXPIRES - DAY) == 0
    expiry.update_policy(session, shop, policy=ExpiryPolicy.NONE, warning_days=5, now=EARNED)
    assert remind(session, EXPIRES - DAY) == 0
    assert warnings(session, shop) == []
