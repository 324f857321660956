"""A referral whose friend's order is refunded or cancelled before it completes loses the
friend's unused welcome code: revoked on the platform by the referrals job, then cancelled."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import select

from loyalty_plugin.errors import ProviderUnavailable
from loyalty_plugin.events import CustomerRef
from loyalty_plugin.jobs.registry import run_job
from loyalty_plugin.models import CodeStatus, Referral, ReferralReason, ReferralStatus, RewardCode, utcnow
from loyalty_plugin.services.accounts import resolve_account
from loyalty_plugin.services.orders import apply_order_snapshot, apply_refund
from tests.conftest import make_test_app
from tests.factories import make_order, make_refund, make_reward, make_shop
from tests.functional.test_api_referrals import auth, refer


@pytest.fixture
def app(database, provider):
    return make_test_app(database, LOYALTY_DISCOUNT_PROVIDERS=provider.factory,
                         LOYALTY_PROVIDER_TIMEOUT=0.5)


@pytest.fixture
def shop_and_key(session):
    shop, key = make_shop(session, referrals_enabled=True, referral_points=100, pending_days=14)
    resolve_account(session, shop, CustomerRef(platform_id="ann", email="ann@example.com"), utcnow())
    welcome = make_reward(session, shop, name="Welcome 5 off", value=Decimal("5.00"))
    shop.settings.welcome_reward_id = welcome.id
    session.commit()
    return shop, key


def refund(session, shop):
    apply_refund(session, shop, make_refund("f1", items="100"), utcnow())


def cancel(session, shop):
    apply_order_snapshot(session, shop, make_order("f1", customer_id=None, email="bob@example.com",
                                                   cancelled=True), utcnow())


def failed_referral(client, session, shop, key, reverse) -> tuple[Referral, RewardCode]:
    referral = refer(client, key).json
    assert referral["welcome_code"]["status"] == "issued"
    session.expire_all()
    apply_order_snapshot(session, shop, make_order("f1", customer_id=None, email="bob@example.com"), utcnow())
    reverse(session, shop)
    session.commit()
    row = session.get(Referral, referral["id"])
    assert row.status is ReferralStatus.REJECTED
    return row, session.get(RewardCode, row.welcome_code_id)


def status_of(session, code: RewardCode) -> CodeStatus:
    session.expire_all()
    return session.get(RewardCode, code.id).status


@pytest.mark.parametrize("reverse, reason", [(refund, ReferralReason.ORDER_REFUNDED),
                                             (cancel, ReferralReason.ORDER_CANCELLED)])
def test_the_job_revokes_then_cancels_the_welcome_code_of_a_failed_referral(
        app, client, database, session, shop_and_key, provider, reverse, reason):
    shop, key = shop_and_key
    referral, code = failed_referral(client, session, shop, key, reverse)
    assert referral.reason is reason
    # Failing happens in the order's transaction, where the platform is not asked.
    assert code.status is CodeStatus.ISSUED and provider.revoked == []

    run_job(app, database, "referrals", utcnow())
    assert provider.revoked == [(code.platform_ref, code.code)]
    assert status_of(session, code) is CodeStatus.CANCELLED
    shown = client.get(f"/api/v1/referrals/{referral.id}", headers=auth(key)).json
    assert (shown["status"], shown["reason"], shown["welcome_code"]["status"]) == (
        "rejected", reason.value, "cancelled")

    run_job(app, database, "referrals", utcnow())
    assert len(provider.revoked) == 1  # nothing left to take back


def test_a_platform_failure_leaves_the_code_for_the_next_run(app, client, database, session,
                                                              shop_and_key, provider):
    shop, key = shop_and_key
    _, code = failed_referral(client, session, shop, key, refund)
    provider.revoke_fail = ProviderUnavailable("Shopify is down.")
    run_job(app, database, "referrals", utcnow())  # does not raise: the job goes on
    assert status_of(session, code) is CodeStatus.ISSUED

    provider.revoke_fail = None
    run_job(app, database, "referrals", utcnow())
    assert status_of(session, code) is CodeStatus.CANCELLED
    assert [c for _, c in provider.revoked] == [code.code]


def test_a_used_welcome_code_stays_used(app, client, database, session, shop_and_key, provider):
    shop, key = shop_and_key
    _, code = failed_referral(client, session, shop, key, cancel)
    code.status, code.used_at = CodeStatus.USED, utcnow()
    session.commit()
    run_job(app, database, "referrals", utcnow())
    assert status_of(session, code) is CodeStatus.USED and provider.revoked == []


def test_a_pending_welcome_code_is_revoked_by_its_code_and_never_issued(
        app, client, database, session, shop_and_key, provider):
    shop, key = shop_and_key
    provider.fail = ProviderUnavailable("Shopify timed out.")
    referral = refer(client, key).json
    assert referral["welcome_code"]["status"] == "pending"
    provider.fail = None
    session.expire_all()
    apply_order_snapshot(session, shop, make_order("f1", customer_id=None, email="bob@example.com"), utcnow())
    cancel(session, shop)
    session.commit()
    run_job(app, database, "referrals", utcnow())
    # The platform may have made it after all: asked by the code, since there is no reference.
    assert provider.revoked == [(None, referral["welcome_code"]["code"])]
    later = utcnow() + dt.timedelta(hours=1)
    run_job(app, database, "codes", later)
    codes = session.execute(select(RewardCode).where(RewardCode.shop_id == shop.id)).scalars().all()
    assert [c.status for c in codes] == [CodeStatus.CANCELLED] and provider.created == {}


def test_a_completed_referral_keeps_its_welcome_code(app, client, database, session,
                                                            shop_and_key, provider):
    shop, key = shop_and_key
    referral = refer(client, key).json
    session.expire_all()
    apply_order_snapshot(session, shop, make_order("f1", customer_id=None, email="bob@example.com"), utcnow())
    session.commit()
    later = utcnow() + dt.timedelta(days=15)
    run_job(app, database, "mature_points", later)
    run_job(app, database, "referrals", later)
    shown = client.get(f"/api/v1/referrals/{referral['id']}", headers=auth(key)).json
    assert shown["status"] == "completed" and shown["welcome_code"]["status"] == "issued"
    assert provider.revoked == []
