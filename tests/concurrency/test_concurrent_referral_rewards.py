"""Referral codes racing: completions, repeated records and voids, on real PostgreSQL commits."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import select

from loyalty_plugin.events import CustomerRef
from loyalty_plugin.models import (CodeOrigin, EventType, OutboundEvent, Referral, ReferralStatus,
                                   ReferrerReward, RewardCode, utcnow)
from loyalty_plugin.services import ledger, schedule
from loyalty_plugin.services.accounts import resolve_account
from loyalty_plugin.services.orders import apply_order_snapshot
from loyalty_plugin.services.referral_codes import referral_code_for
from loyalty_plugin.services.shops import get_shop
from tests.concurrency.test_concurrent_deliveries import run_concurrently, run_together
from tests.factories import make_order, make_reward


def setup_program(live_db, shop_id: int) -> str:
    """Referrals rewarded with codes both ways; returns the referrer's referral code."""
    with live_db.transaction() as session:
        shop = get_shop(session, shop_id)
        settings = shop.settings
        settings.referrals_enabled, settings.pending_days = True, 1
        settings.welcome_reward_id = make_reward(session, shop, name="Welcome", value=Decimal("5")).id
        settings.referrer_reward = ReferrerReward.REWARD
        settings.referrer_reward_id = make_reward(session, shop, name="Thanks", value=Decimal("10")).id
        return referral_code_for(session, resolve_account(
            session, shop, CustomerRef(platform_id="ref", email="ref@example.com"), utcnow()))


@pytest.mark.postgres
def test_concurrent_completions_give_the_referrer_one_code(live_app, live_db, live_shop):
    shop, api_key = live_shop
    code = setup_program(live_db, shop.id)
    headers = {"Authorization": f"Bearer {api_key}"}
    referral_id = live_app.test_client().post("/api/v1/referrals", headers=headers, json={
        "referral_code": code, "friend": {"email": "pal@example.com"}}).json["id"]
    with live_db.transaction() as session:
        order = apply_order_snapshot(session, get_shop(session, shop.id),
                                     make_order("pal-1", customer_id=None, email="pal@example.com"),
                                     utcnow())
    later = utcnow() + dt.timedelta(days=2)
    with live_db.transaction() as session:  # matured without following it: the jobs must finish it
        friend = session.execute(select(Referral.friend_account_id).where(
            Referral.id == referral_id)).scalar_one()
        ledger.mature_account(session, friend, later)

    def settle():
        with live_db.transaction() as session:
            return schedule.referrals_due(session, later)

    assert order is not None
    assert sorted(run_concurrently([settle] * 4)) == [0, 0, 0, 1]
    with live_db.transaction() as session:
        referral = session.get(Referral, referral_id)
        assert referral.status is ReferralStatus.COMPLETED and referral.referrer_points == 0
        codes = session.execute(select(RewardCode).where(
            RewardCode.shop_id == shop.id, RewardCode.origin == CodeOrigin.REFERRER)).scalars().all()
        assert [c.id for c in codes] == [referral.referrer_code_id]
        completed = session.execute(select(OutboundEvent).where(
            OutboundEvent.shop_id == shop.id, OutboundEvent.type == EventType.REFERRAL_COMPLETED)).scalars().all()
        assert len(completed) == 1


@pytest.mark.postgres
def test_concurrent_records_of_one_friend_give_one_welcome_code(live_app, live_db, live_shop):
    shop, api_key = live_shop
    code = setup_program(live_db, shop.id)
    headers = {"Authorization": f"Bearer {api_key}"}
    results = run_together(live_app, [
        lambda client: client.post("/api/v1/referrals", headers=headers, json={
            "referral_code": code, "friend": {"email": "twin@example.com"}}) for _ in range(12)])
    assert sorted(status for status, _ in results) == [200] * 11 + [201]
    assert len({body["welcome_code"]["code"] for _, body in results}) == 1
    with live_db.transaction() as session:
        welcome = session.execute(select(RewardCode).where(
            RewardCode.shop_id == shop.id, RewardCode.origin == CodeOrigin.REFERRAL)).scalars().all()
        assert len(welcome) == 1
