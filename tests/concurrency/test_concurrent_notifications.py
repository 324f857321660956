"""Concurrent notification jobs on real PostgreSQL commits: each delivery sent, each event fanned
out and each expiry date warned about exactly once."""
from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest
from sqlalchemy import select

from loyalty_plugin.models import (EventType, ExpiryPolicy, OutboundDelivery, OutboundEvent,
                                   OutboundStatus, utcnow)
from loyalty_plugin.services import dispatch, expiry, schedule
from loyalty_plugin.services.orders import apply_order_snapshot
from loyalty_plugin.services.shops import get_shop
from loyalty_plugin.services.webhook_endpoints import EndpointSettings, create_endpoint
from loyalty_plugin.services.webhook_sender import WebhookSender
from tests.concurrency.test_concurrent_deliveries import run_concurrently
from tests.factories import make_order
from tests.receiver import Receiver

ORDERS = 24
WORKERS = 4


@pytest.mark.postgres
def test_concurrent_delivery_runs_send_each_delivery_once(live_db, live_shop, no_network):
    no_network.add_passthru("http://127.0.0.1")
    shop, _ = live_shop
    now = utcnow()
    with Receiver(delay=0.01) as first, Receiver(delay=0.01) as second:
        with live_db.transaction() as session:
            for receiver in (first, second):
                create_endpoint(session, shop.id, {"url": receiver.url, "event_types": [EventType.POINTS_EARNED]},
                                now, EndpointSettings(allow_loopback=True))
        for n in range(ORDERS):
            with live_db.transaction() as session:
                apply_order_snapshot(session, get_shop(session, shop.id),
                                     make_order(f"N{n}", customer_id=f"n{n}", items="10"), now)
        with live_db.transaction() as session:
            assert dispatch.fan_out(session, now) == ORDERS

        def worker() -> int:
            channels = dispatch.Channels(webhooks=WebhookSender(allow_loopback=True))
            tried = 0
            try:  # small batches, so the runs' claims interleave
                while done := dispatch.deliver_due(live_db, now + dt.timedelta(seconds=1), 3,
                                                   channels=channels):
                    tried += done
            finally:
                channels.close()
            return tried

        tried = run_concurrently([worker for _ in range(WORKERS)])

    assert sum(tried) == 2 * ORDERS
    assert sum(1 for count in tried if count) > 1  # the runs really shared the work
    for receiver in (first, second):
        counts = Counter(r.event["id"] for r in receiver.received)
        assert len(counts) == ORDERS and set(counts.values()) == {1}
    with live_db.transaction() as session:
        rows = session.execute(select(OutboundDelivery.status, OutboundDelivery.attempts).where(
            OutboundDelivery.shop_id == shop.id)).all()
    assert Counter(rows) == {(OutboundStatus.DELIVERED, 1): 2 * ORDERS}


@pytest.mark.postgres
def test_concurrent_fan_outs_and_reminder_runs_do_each_thing_once(live_db, live_shop):
    shop, _ = live_shop
    earned = utcnow() - dt.timedelta(days=1)
    with live_db.transaction() as session:
        loaded = get_shop(session, shop.id)
        expiry.update_policy(session, loaded, policy=ExpiryPolicy.PER_LOT, days=5, warning_days=10,
                             now=earned - dt.timedelta(days=1))
        create_endpoint(session, shop.id, {"url": "https://hooks.example.com/a",
                                           "event_types": list(EventType)}, earned, EndpointSettings())
    for n in range(ORDERS):
        with live_db.transaction() as session:
            apply_order_snapshot(session, get_shop(session, shop.id),
                                 make_order(f"F{n}", customer_id=f"f{n}", items="10"), earned)

    def remind() -> int:
        with live_db.transaction() as session:
            return schedule.run_reminder_batch(session, utcnow()).reminded

    def fan_out() -> int:
        fanned = 0
        while True:
            with live_db.transaction() as session:
                done = dispatch.fan_out(session, utcnow(), limit=5)
            if done == 0:
                return fanned
            fanned += done

    run_concurrently([remind for _ in range(WORKERS)])
    assert sum(run_concurrently([fan_out for _ in range(WORKERS)])) == 2 * ORDERS
    with live_db.transaction() as session:
        types = session.execute(select(OutboundEvent.type).join(
            OutboundDelivery, OutboundDelivery.event_id == OutboundEvent.id).where(
            OutboundEvent.shop_id == shop.id)).scalars().all()
    assert Counter(types) == {EventType.POINTS_EARNED: ORDERS, EventType.POINTS_EXPIRING: ORDERS}
