"""Tier entry reward codes under concurrent promotions and concurrent codes jobs, on PostgreSQL."""
from __future__ import annotations

import json
from decimal import Decimal

import pytest
from sqlalchemy import select

from loyalty_plugin.jobs.codes import settle_stale_codes
from loyalty_plugin.models import (CodeOrigin, CodeStatus, EventType, OutboundEvent, RewardCode,
                                   TierChange, utcnow)
from loyalty_plugin.services import tier_catalog
from loyalty_plugin.services.shops import get_shop
from tests.concurrency.test_concurrent_deliveries import deliver, run_concurrently, run_together
from tests.factories import make_reward, shopify_order
from tests.providers import RecordingProvider


@pytest.mark.postgres
def test_concurrent_promotions_grant_one_code_per_tier_and_jobs_issue_each_once(live_app, live_db,
                                                                                live_shop):
    shop, _ = live_shop
    with live_db.transaction() as session:
        owner = get_shop(session, shop.id)
        for name, threshold in (("Silver", "300"), ("Gold", "1000")):
            reward = make_reward(session, owner, name=f"{name} welcome")
            tier_catalog.create_tier(session, owner, dict(name=name, threshold=Decimal(threshold),
                                                          entry_reward_id=reward.id), utcnow())
    bodies = [json.dumps(shopify_order(customer_id=7171, subtotal="100.00")).encode() for _ in range(12)]

    results = run_together(live_app, [deliver(shop, "orders/paid", body, f"wh-entry-{i}")
                                      for i, body in enumerate(bodies)])
    assert [status for status, _ in results] == [200] * 12, results

    provider = RecordingProvider()
    run_concurrently([lambda: settle_stale_codes(live_db, utcnow(), timeout=5,
                                                 factory=provider.factory) for _ in range(4)])

    with live_db.transaction() as session:
        changes = session.execute(select(TierChange).where(TierChange.shop_id == shop.id)
                                  .order_by(TierChange.id)).scalars().all()
        assert [c.to_name for c in changes] == ["Silver", "Gold"]
        codes = session.execute(select(RewardCode).where(RewardCode.shop_id == shop.id)
                                .order_by(RewardCode.id)).scalars().all()
        assert [c.id for c in codes] == [c.entry_code_id for c in changes]
        assert all(c.origin is CodeOrigin.TIER_ENTRY and c.status is CodeStatus.ISSUED for c in codes)
        events = session.execute(select(OutboundEvent.key).where(
            OutboundEvent.shop_id == shop.id, OutboundEvent.type == EventType.REWARD_ISSUED)).scalars()
        assert sorted(events) == sorted(f"reward.issued:{c.id}" for c in codes)
    # Jobs racing for a code ask the platform under one key each: never two codes.
    assert set(provider.created) == {f"loyalty-code-{c.id}" for c in codes}
