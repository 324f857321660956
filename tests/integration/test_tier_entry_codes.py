"""A tier's entry reward: one code per promotion and window, created on the platform after commit."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import select

from loyalty_plugin.errors import ProviderRejected, ProviderUnavailable
from loyalty_plugin.jobs.codes import settle_stale_codes
from loyalty_plugin.models import (CodeOrigin, CodeStatus, EventType, LedgerEntry, OutboundEvent,
                                   RewardCode, RewardKind, TierChange, TierWindow, utcnow)
from loyalty_plugin.services import ledger, redemptions, tier_catalog
from loyalty_plugin.services.orders import apply_order_snapshot, apply_refund
from loyalty_plugin.services.rewards import archive_reward
from tests.factories import (make_order, make_refund, make_reward, make_shop, post_shopify,
                             shopify_order)
from tests.providers import RecordingProvider

NOW = dt.datetime(2026, 11, 24, 12, 0, tzinfo=dt.timezone.utc)
LATER = NOW + dt.timedelta(minutes=1)


@pytest.fixture
def shop(session):
    return make_shop(session, domain="blue-bird.myshopify.com")[0]


@pytest.fixture
def reward(session, shop):
    return make_reward(session, shop, name="Free shipping", kind=RewardKind.FREE_SHIPPING,
                       value=Decimal("0"), points_cost=300, validity_days=60,
                       min_order_subtotal=Decimal("25"))


@pytest.fixture
def silver(session, shop, reward):
    return tier_catalog.create_tier(session, shop, dict(
        name="Silver", threshold=Decimal("500"), entry_bonus_points=50, entry_reward_id=reward.id), NOW)


def codes_of(session, shop) -> list[RewardCode]:
    return list(session.execute(select(RewardCode).where(RewardCode.shop_id == shop.id)
                                .order_by(RewardCode.id)
                                .execution_options(populate_existing=True)).scalars())


def issued_events(session, shop) -> list[dict]:
    return [e.payload for e in session.execute(select(OutboundEvent).where(
        OutboundEvent.shop_id == shop.id, OutboundEvent.type == EventType.REWARD_ISSUED)
        .order_by(OutboundEvent.id)).scalars()]


def test_a_promotion_grants_one_pending_code_for_the_entry_reward(session, shop, reward, silver):
    apply_order_snapshot(session, shop, make_order("A", items="600"), NOW)

    (code,) = codes_of(session, shop)
    assert (code.status, code.origin, code.points_spent, code.debit_entry_id) == (
        CodeStatus.PENDING, CodeOrigin.TIER_ENTRY, 0, None)
    assert (code.reward_id, code.kind, code.min_order_subtotal) == (
        reward.id, RewardKind.FREE_SHIPPING, Decimal("25"))
    assert code.expires_at == NOW + dt.timedelta(days=60) and code.provider == "shopify"
    (change,) = session.execute(select(TierChange)).scalars()
    assert change.entry_code_id == code.id and change.bonus_entry_id is not None
    # Given, not bought: the balance holds the order's points and the bonus only.
    assert ledger.lock_account(session, code.account_id).available == 650
    assert issued_events(session, shop) == []  # announced once the platform has it


def test_requalifying_in_the_same_window_grants_nothing(session, shop, silver):
    apply_order_snapshot(session, shop, make_order("A", items="600"), NOW)
    apply_refund(session, shop, make_refund("A", "r1", items="200"), NOW)
    apply_order_snapshot(session, shop, make_order("B", items="200"), NOW + dt.timedelta(days=1))

    changes = session.execute(select(TierChange).order_by(TierChange.id)).scalars().all()
    assert [c.to_name for c in changes] == ["Silver", None, "Silver"]
    assert len(codes_of(session, shop)) == 1 and changes[-1].entry_code_id is None


def test_a_promotion_in_a_new_window_grants_again(session, shop, silver):
    shop.settings.tier_window = TierWindow.CALENDAR_YEAR
    apply_order_snapshot(session, shop, make_order("A", items="600"), NOW)
    apply_refund(session, shop, make_refund("A", "r1", items="600"), NOW)
    apply_order_snapshot(session, shop, make_order("B", items="600"),
                         dt.datetime(2027, 2, 1, tzinfo=dt.timezone.utc))
    assert len(codes_of(session, shop)) == 2


def test_an_archived_entry_reward_grants_nothing_but_the_promotion_stands(session, shop, reward, silver):
    archive_reward(session, shop.id, reward.id, NOW)
    apply_order_snapshot(session, shop, make_order("A", items="600"), NOW)
    assert codes_of(session, shop) == []
    (change,) = session.execute(select(TierChange)).scalars()
    assert change.to_name == "Silver" and change.entry_code_id is None


def promote_and_commit(session, shop) -> RewardCode:
    apply_order_snapshot(session, shop, make_order("A", items="600"), NOW)
    session.commit()
    (code,) = codes_of(session, shop)
    return code


def test_the_codes_job_issues_a_granted_code_at_once_and_announces_it(database, session, shop, reward,
                                                                     silver):
    code = promote_and_commit(session, shop)
    provider = RecordingProvider()

    # No lease to wait for: no request ever issues a granted code.
    assert settle_stale_codes(database, LATER, timeout=5, factory=provider.factory) == (1, 0)
    assert settle_stale_codes(database, LATER, timeout=5, factory=provider.factory) == (0, 0)

    (code,) = codes_of(session, shop)
    assert code.status is CodeStatus.ISSUED and code.provider == "fake"
    assert provider.calls == [f"loyalty-code-{code.id}"]
    spec = provider.created[f"loyalty-code-{code.id}"]
    assert (spec.kind, spec.customer_platform_id, spec.usage_limit) == (RewardKind.FREE_SHIPPING,
                                                                       "1001", 1)
    assert spec.title == f"Loyalty reward {code.code}"
    (event,) = issued_events(session, shop)
    assert event["code"] == code.code and event["points_spent"] == 0
    assert event["reward"] == {"id": reward.id, "name": "Free shipping"}
    assert event["customer"]["id"] == "1001"


def test_an_outage_keeps_the_granted_code_pending_for_the_next_run(database, session, shop, silver):
    promote_and_commit(session, shop)
    provider = RecordingProvider(fail=ProviderUnavailable("Shopify answered 503."))

    assert settle_stale_codes(database, LATER, timeout=5, factory=provider.factory) == (0, 0)
    assert codes_of(session, shop)[0].status is CodeStatus.PENDING

    provider.fail = None
    assert settle_stale_codes(database, LATER, timeout=5, factory=provider.factory) == (1, 0)
    assert len(set(provider.calls)) == 1  # the same key each time: never two codes


def test_a_granted_code_fails_visibly_after_a_day_or_when_refused(database, session, shop, silver):
    code = promote_and_commit(session, shop)
    balance_before = ledger.lock_account(session, code.account_id).available
    session.commit()
    down = RecordingProvider(fail=ProviderUnavailable("Shopify answered 503."))

    a_day_later = code.created_at + dt.timedelta(days=1, minutes=1)
    assert settle_stale_codes(database, a_day_later, timeout=5, factory=down.factory) == (0, 1)
    (code,) = codes_of(session, shop)
    assert code.status is CodeStatus.FAILED and "503" in code.failure
    # Nothing was spent, so nothing comes back.
    assert code.refund_entry_id is None
    assert ledger.lock_account(session, code.account_id).available == balance_before
    assert ledger.verify_balances(session, shop_id=shop.id) == []


def test_a_refused_granted_code_fails_at_once(database, session, shop, silver):
    promote_and_commit(session, shop)
    refused = RecordingProvider(fail=ProviderRejected("Shopify refused: bad variant"))
    assert settle_stale_codes(database, LATER, timeout=5, factory=refused.factory) == (0, 1)
    entries = session.execute(select(LedgerEntry.kind).where(LedgerEntry.shop_id == shop.id)).scalars()
    assert "redeem_refund" not in {kind.value for kind in entries}


def test_a_gift_does_not_use_up_the_customers_redemptions_of_that_reward(session, shop, reward, silver):
    reward.per_customer_limit = 1
    apply_order_snapshot(session, shop, make_order("A", items="600"), NOW)
    (gift,) = codes_of(session, shop)
    account = ledger.lock_account(session, gift.account_id)

    step = redemptions.reserve(session, shop, account, reward_id=reward.id, points=None,
                               idempotency_key=None, provider="fake", now=NOW,
                               lease=dt.timedelta(minutes=1))

    assert step.code.origin is CodeOrigin.REDEMPTION and step.code.points_spent == 300


def test_a_promotion_by_a_shopify_webhook_grants_the_code_and_the_job_issues_it(
        database, session, client, shop, reward, silver):
    # Through the HTTP pipeline, where the shop reaches the tier rules as a plain row.
    response = post_shopify(client, shop, "orders/paid", shopify_order(subtotal="600.00"))
    assert response.status_code == 200, response.json
    (code,) = codes_of(session, shop)
    assert (code.status, code.origin, code.provider) == (CodeStatus.PENDING, CodeOrigin.TIER_ENTRY,
                                                         "shopify")
    provider = RecordingProvider()
    assert settle_stale_codes(database, utcnow(), timeout=1, factory=provider.factory) == (1, 0)
    (code,) = codes_of(session, shop)
    assert code.status is CodeStatus.ISSUED and len(provider.calls) == 1
