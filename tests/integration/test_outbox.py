"""Events are written with the change they announce: once, and never for a rolled-back change."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import select

from loyalty_plugin.models import EventType, ExpiryPolicy, OutboundEvent, Tier
from loyalty_plugin.services import expiry, tier_catalog
from loyalty_plugin.services.orders import apply_order_snapshot, apply_refund
from loyalty_plugin.services.outbox import PAYLOADS
from tests.factories import make_order, make_refund, make_shop

NOW = dt.datetime(2026, 11, 2, 12, 0, tzinfo=dt.timezone.utc)


def events(session, shop, type: EventType | None = None) -> list[OutboundEvent]:
    stmt = select(OutboundEvent).where(OutboundEvent.shop_id == shop.id).order_by(OutboundEvent.id)
    if type is not None:
        stmt = stmt.where(OutboundEvent.type == type)
    return list(session.execute(stmt).scalars())


def test_an_award_announces_points_earned_once(session):
    shop, _ = make_shop(session, pending_days=14)
    snapshot = make_order("A1", customer_id="c1", items="80")
    apply_order_snapshot(session, shop, snapshot, NOW)
    apply_order_snapshot(session, shop, snapshot, NOW)  # the platform sends it again

    (event,) = events(session, shop)
    assert event.type is EventType.POINTS_EARNED and event.fanned_out_at is None
    data = event.payload
    assert data["customer"] == {"id": "c1", "email": "shopper@example.com", "account_id": event.account_id}
    assert (data["order_id"], data["points"], data["status"]) == ("A1", 80, "pending")
    assert data["available_at"] == (NOW + dt.timedelta(days=14)).isoformat()
    assert data["balance"] == {"available": 0, "pending": 80}
    assert set(data) == set(PAYLOADS[EventType.POINTS_EARNED])


def test_a_rolled_back_award_announces_nothing(database):
    with database.transaction() as session:
        shop, _ = make_shop(session)
    with pytest.raises(RuntimeError), database.transaction() as session:
        apply_order_snapshot(session, session.merge(shop), make_order("A2", items="50"), NOW)
        assert len(events(session, shop)) == 1  # written, inside the transaction
        raise RuntimeError("the request failed after the award")
    with database.transaction() as session:
        assert events(session, shop) == []


def test_refunds_and_cancellations_announce_points_reversed(session):
    shop, _ = make_shop(session)
    apply_order_snapshot(session, shop, make_order("B1", items="100"), NOW)
    apply_refund(session, shop, make_refund("B1", "R1", items="40"), NOW)
    apply_order_snapshot(session, shop, make_order("B1", items="100", cancelled=True), NOW)

    refund, cancel = (e.payload for e in events(session, shop, EventType.POINTS_REVERSED))
    assert (refund["points"], refund["reason"], refund["refund_id"]) == (40, "refund", "R1")
    assert (cancel["points"], cancel["reason"], cancel["refund_id"]) == (60, "cancel", None)
    assert cancel["balance"] == {"available": 0, "pending": 0}


def test_a_promotion_and_its_reversal_announce_tier_changes(session):
    shop, _ = make_shop(session)
    tier_catalog.create_tier(session, shop, {"name": "Gold", "threshold": Decimal("100")}, NOW)
    gold = session.execute(select(Tier).where(Tier.shop_id == shop.id)).scalar_one()
    apply_order_snapshot(session, shop, make_order("C1", items="150"), NOW)
    apply_order_snapshot(session, shop, make_order("C1", items="150", cancelled=True), NOW)

    up, down = (e.payload for e in events(session, shop, EventType.TIER_CHANGED))
    assert (up["from"], up["to"], up["direction"], up["reason"]) == (
        None, {"id": gold.id, "name": "Gold"}, "up", "promotion")
    assert (down["from"], down["to"], down["direction"], down["reason"]) == (
        {"id": gold.id, "name": "Gold"}, None, "down", "reversal")


def test_expired_points_are_announced_once(session):
    shop, _ = make_shop(session)
    expiry.update_policy(session, shop, policy=ExpiryPolicy.PER_LOT, days=10, now=NOW)
    apply_order_snapshot(session, shop, make_order("D1", items="30"), NOW)
    later = NOW + dt.timedelta(days=12)
    assert expiry.expire_due(session, later) == 1
    assert expiry.expire_due(session, later) == 0

    (event,) = events(session, shop, EventType.POINTS_EXPIRED)
    assert event.payload["points"] == 30 and event.payload["balance"] == {"available": 0, "pending": 0}
