"""Tier promotions under concurrent orders and concurrent batch runs, on real PostgreSQL commits."""
from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest
from sqlalchemy import select

from loyalty_plugin.models import EntryKind, EventType, OutboundEvent, Tier, TierChange, TierWindow, utcnow
from loyalty_plugin.services import schedule, tier_catalog
from loyalty_plugin.services.ledger import verify_balances
from loyalty_plugin.services.orders import apply_order_snapshot
from loyalty_plugin.services.shops import get_shop
from tests.concurrency.test_concurrent_deliveries import (account_for, deliver, entries,
                                                          run_concurrently, run_together)
from tests.factories import make_order, shopify_order


def add_tiers(live_db, shop_id: int) -> None:
    with live_db.transaction() as session:
        shop = get_shop(session, shop_id)
        for name, threshold, bonus in (("Silver", "300", 30), ("Gold", "1000", 100)):
            tier_catalog.create_tier(session, shop, dict(name=name, threshold=Decimal(threshold),
                                                         multiplier=Decimal("2"),
                                                         entry_bonus_points=bonus), utcnow())


@pytest.mark.postgres
def test_concurrent_orders_crossing_a_threshold_promote_and_pay_the_bonus_once(live_app, live_db,
                                                                                 live_shop):
    shop, _ = live_shop
    add_tiers(live_db, shop.id)
    bodies = [json.dumps(shopify_order(customer_id=5151, subtotal="100.00")).encode() for _ in range(12)]

    results = run_together(live_app, [deliver(shop, "orders/paid", body, f"wh-tier-{i}")
                                      for i, body in enumerate(bodies)])

    assert [status for status, _ in results] == [200] * 12, results
    with live_db.transaction() as session:
        account = account_for(session, shop.id, "5151")
        assert session.get(Tier, account.tier_id).name == "Gold"
        promotions = session.execute(select(TierChange.to_name).where(
            TierChange.account_id == account.id).order_by(TierChange.id)).scalars().all()
        assert promotions == ["Silver", "Gold"]
        bonuses = [e.points for e in entries(session, shop.id, EntryKind.TIER_BONUS)]
        assert sorted(bonuses) == [30, 100]
        # Orders after each promotion earned double: whatever the interleaving, the total
        # earned equals 100 per order before Silver and 200 after, in commit order.
        earns = entries(session, shop.id, EntryKind.EARN)
        assert len(earns) == 12
        assert all(e.points == int(100 * e.multiplier) for e in earns)
        assert verify_balances(session, shop_id=shop.id) == []


@pytest.mark.postgres
def test_concurrent_batch_runs_reevaluate_each_account_once(live_app, live_db, live_shop):
    shop, _ = live_shop
    add_tiers(live_db, shop.id)
    for customer in range(6):
        body = json.dumps(shopify_order(customer_id=6000 + customer, subtotal="250.00")).encode()
        status, _ = run_together(live_app, [deliver(shop, "orders/paid", body, f"wh-batch-{customer}")])[0]
        assert status == 200
    with live_db.transaction() as session:
        silver = session.execute(select(Tier).where(Tier.shop_id == shop.id, Tier.name == "Silver")).scalar_one()
        tier_catalog.update_tier(session, get_shop(session, shop.id), silver.id,
                                 {"threshold": Decimal("200")}, utcnow())

    def batch():
        with live_db.transaction() as session:
            return schedule.run_tier_batch(session, utcnow() + dt.timedelta(seconds=1)).reevaluated

    run_concurrently([batch for _ in range(4)])

    with live_db.transaction() as session:
        moves = session.execute(select(TierChange).where(TierChange.shop_id == shop.id)).scalars().all()
        assert sorted(c.account_id for c in moves) == sorted({c.account_id for c in moves})
        assert len(moves) == 6 and {c.to_name for c in moves} == {"Silver"}
        assert len(entries(session, shop.id, EntryKind.TIER_BONUS)) == 6
        assert verify_balances(session, shop_id=shop.id) == []


@pytest.mark.postgres
def test_two_concurrent_notice_runs_warn_each_customer_once(live_db, live_shop):
    shop, _ = live_shop
    qualified = dt.datetime(2026, 11, 24, 12, tzinfo=dt.timezone.utc)
    with live_db.transaction() as session:
        current = get_shop(session, shop.id)
        current.settings.tier_window = TierWindow.CALENDAR_YEAR
        tier_catalog.create_tier(session, current, dict(name="Gold", threshold=Decimal("1000")), qualified)
        for n in range(9):
            apply_order_snapshot(session, current, make_order(f"gold-{n}", customer_id=f"g{n}",
                                                              items="1200"), qualified)
    warn_at = dt.datetime(2027, 12, 20, tzinfo=dt.timezone.utc)

    def run() -> int:
        looked = 0
        while True:
            with live_db.transaction() as session:
                done = schedule.run_tier_notice_batch(session, warn_at, limit=2).total
            if not done:
                return looked
            looked += done

    assert sum(run_concurrently([run, run, run])) >= 9  # racing runs may look at one row together
    assert run() == 0  # and nothing is left
    with live_db.transaction() as session:
        warned = session.execute(select(OutboundEvent.account_id).where(
            OutboundEvent.shop_id == shop.id,
            OutboundEvent.type == EventType.TIER_DOWNGRADE_WARNING)).scalars().all()
        assert len(warned) == len(set(warned)) == 9
