"""Expiry runs racing each other and racing a spend, on real PostgreSQL commits."""
from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import select

from loyalty_plugin.models import EntryKind, ExpiryPolicy, LedgerEntry, utcnow
from loyalty_plugin.services import expiry
from loyalty_plugin.services.ledger import verify_balances
from loyalty_plugin.services.orders import apply_order_snapshot
from loyalty_plugin.services.shops import get_shop
from tests.concurrency.test_concurrent_deliveries import (adjust, deliver, run_concurrently,
                                                          run_together)
from tests.factories import make_order, shopify_order


@pytest.mark.postgres
def test_concurrent_expiry_runs_expire_each_lot_once(live_app, live_db, live_shop):
    shop, _ = live_shop
    with live_db.transaction() as session:
        expiry.update_policy(session, get_shop(session, shop.id), policy=ExpiryPolicy.PER_LOT,
                             days=1, now=utcnow() - dt.timedelta(days=1))
    for customer in range(8):
        body = json.dumps(shopify_order(customer_id=8000 + customer, subtotal="25.00")).encode()
        assert run_together(live_app, [deliver(shop, "orders/paid", body, f"wh-exp-{customer}")])[0][0] == 200
    later = utcnow() + dt.timedelta(days=3)

    def run():
        with live_db.transaction() as session:
            return expiry.expire_due(session, later)

    assert sum(run_concurrently([run for _ in range(4)])) == 8
    with live_db.transaction() as session:
        expired = session.execute(select(LedgerEntry.points).where(
            LedgerEntry.shop_id == shop.id, LedgerEntry.kind == EntryKind.EXPIRE)).scalars().all()
        assert sorted(expired) == [-25] * 8
        assert verify_balances(session, shop_id=shop.id) == []


@pytest.mark.postgres
def test_a_spend_racing_an_expiry_run_never_spends_expired_points(live_app, live_db, live_shop):
    shop, api_key = live_shop
    with live_db.transaction() as session:
        expiry.update_policy(session, get_shop(session, shop.id), policy=ExpiryPolicy.PER_LOT,
                             days=1, now=utcnow() - dt.timedelta(days=5))
    with live_db.transaction() as session:
        # A lot that expired two days ago, not yet swept by the job.
        apply_order_snapshot(session, get_shop(session, shop.id),
                             make_order("old", customer_id="9100", items="40"),
                             utcnow() - dt.timedelta(days=4))

    def sweep():
        with live_db.transaction() as session:
            return expiry.expire_due(session, utcnow())

    results = run_concurrently([sweep, lambda: run_together(live_app, [adjust(api_key, "9100", -40)])[0]])
    spend_status = results[1][0]
    assert spend_status == 422  # insufficient points: they had expired
    with live_db.transaction() as session:
        kinds = session.execute(select(LedgerEntry.kind).where(
            LedgerEntry.shop_id == shop.id, LedgerEntry.points < 0)).scalars().all()
        assert kinds == [EntryKind.EXPIRE]
        assert verify_balances(session, shop_id=shop.id) == []
