"""Referral codes through the admin API: the welcome code on recording, settings, voiding."""
from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select

from loyalty_plugin.errors import ProviderRejected, ProviderUnavailable
from loyalty_plugin.jobs.codes import settle_stale_codes
from loyalty_plugin.events import CustomerRef
from loyalty_plugin.models import CodeStatus, EventType, OutboundEvent, RewardCode, RewardKind, utcnow
from loyalty_plugin.services import issuing
from loyalty_plugin.services.accounts import resolve_account
from loyalty_plugin.services.orders import apply_order_snapshot
from tests.conftest import make_test_app
from tests.factories import make_order, make_reward, make_shop
from tests.functional.test_api_referrals import auth, refer


@pytest.fixture
def app(database, provider):
    return make_test_app(database, LOYALTY_DISCOUNT_PROVIDERS=provider.factory,
                         LOYALTY_PROVIDER_TIMEOUT=0.5)


@pytest.fixture
def shop_and_key(session):
    shop, key = make_shop(session, referrals_enabled=True, referral_points=100, pending_days=0)
    resolve_account(session, shop, CustomerRef(platform_id="ann", email="ann@example.com"), utcnow())
    welcome = make_reward(session, shop, name="Welcome 5 off", value=Decimal("5.00"))
    thanks = make_reward(session, shop, name="Thanks 20%", kind=RewardKind.PERCENTAGE, value=Decimal("20"))
    session.commit()
    return shop, key, welcome, thanks


def test_settings_choose_the_welcome_and_referrer_rewards(client, shop_and_key):
    _, key, welcome, thanks = shop_and_key
    changed = client.patch("/api/v1/referrals/settings", headers=auth(key), json={
        "welcome_reward_id": welcome.id, "referrer_reward": "reward", "referrer_reward_id": thanks.id})
    assert changed.status_code == 200, changed.json
    assert (changed.json["welcome_reward_id"], changed.json["referrer_reward"],
            changed.json["referrer_reward_id"]) == (welcome.id, "reward", thanks.id)
    for body, field in (({"welcome_reward_id": 999999}, "welcome_reward_id"),
                        ({"welcome_reward_id": "1"}, "welcome_reward_id"),
                        ({"referrer_reward": "cash"}, "referrer_reward"),
                        ({"referrer_reward_id": None}, "referrer_reward_id"),
                        ({"referrer_reward_id": 0}, "referrer_reward_id")):
        response = client.patch("/api/v1/referrals/settings", headers=auth(key), json=body)
        assert response.status_code == 422, (body, response.json)
        assert field in response.json["error"]["details"]["fields"]
    assert client.get("/api/v1/referrals/settings", headers=auth(key)).json["referrer_reward_id"] == thanks.id
    off = client.patch("/api/v1/referrals/settings", headers=auth(key),
                       json={"referrer_reward": "points", "referrer_reward_id": None, "welcome_reward_id": None})
    assert off.status_code == 200 and off.json["welcome_reward_id"] is None


def test_recording_a_friend_issues_their_welcome_code(client, session, shop_and_key, provider):
    _, key, welcome, _ = shop_and_key
    client.patch("/api/v1/referrals/settings", headers=auth(key), json={"welcome_reward_id": welcome.id})
    response = refer(client, key)
    assert response.status_code == 201, response.json
    code = response.json["welcome_code"]
    assert (code["status"], code["origin"], code["points_spent"], code["reward_id"], code["provider"]) == (
        "issued", "referral", 0, welcome.id, "fake")
    assert response.json["referrer_code"] is None
    (spec,) = provider.created.values()
    assert (spec.code, spec.customer_email, spec.value) == (code["code"], "bob@example.com", Decimal("5.00"))
    # The same friend again is the same referral: no second code.
    again = refer(client, key)
    assert again.status_code == 200 and again.json["welcome_code"]["code"] == code["code"]
    assert len(provider.calls) == 1
    listed = client.get("/api/v1/referrals", headers=auth(key)).json["items"]
    assert listed[0]["welcome_code"]["code"] == code["code"]
    announced = session.execute(select(OutboundEvent).where(
        OutboundEvent.type == EventType.REWARD_ISSUED)).scalars().all()
    assert [e.payload["code"] for e in announced] == [code["code"]]


def test_a_platform_outage_keeps_the_referral_and_the_codes_job_issues_the_code_later(
        client, database, shop_and_key, provider):
    _, key, welcome, _ = shop_and_key
    client.patch("/api/v1/referrals/settings", headers=auth(key), json={"welcome_reward_id": welcome.id})
    provider.fail = ProviderUnavailable("Shopify timed out.")
    response = refer(client, key)
    assert response.status_code == 201
    assert response.json["status"] == "pending"
    # Nobody waits for points back on a given code, so an outage leaves it for the codes job.
    assert response.json["welcome_code"]["status"] == "pending"
    provider.fail = None
    later = utcnow() + issuing.code_lease(0.5)
    assert settle_stale_codes(database, later, timeout=0.5, factory=provider.factory) == (1, 0)
    again = client.get(f"/api/v1/referrals/{response.json['id']}", headers=auth(key)).json
    assert again["welcome_code"]["status"] == "issued"


def test_a_platform_refusal_keeps_the_referral_and_fails_only_the_code(client, shop_and_key, provider):
    _, key, welcome, _ = shop_and_key
    client.patch("/api/v1/referrals/settings", headers=auth(key), json={"welcome_reward_id": welcome.id})
    provider.fail = ProviderRejected("Shopify refused the code.")
    response = refer(client, key)
    assert response.status_code == 201
    assert response.json["status"] == "pending"
    assert response.json["welcome_code"]["status"] == "failed"
    assert "provider_rejected" in response.json["welcome_code"]["failure"]


def test_a_shop_without_a_provider_still_records_the_referral(database, session, shop_and_key):
    _, key, welcome, _ = shop_and_key
    client = make_test_app(database).test_client()  # the default factory: no Shopify provider yet
    client.patch("/api/v1/referrals/settings", headers=auth(key), json={"welcome_reward_id": welcome.id})
    response = refer(client, key)
    assert response.status_code == 201
    assert response.json["welcome_code"]["status"] == "failed"
    assert "provider_not_configured" in response.json["welcome_code"]["failure"]


def test_voiding_revokes_unused_codes_on_the_platform_first(client, session, shop_and_key, provider):
    shop, key, welcome, thanks = shop_and_key
    client.patch("/api/v1/referrals/settings", headers=auth(key), json={
        "welcome_reward_id": welcome.id, "referrer_reward": "reward", "referrer_reward_id": thanks.id})
    referral = refer(client, key).json
    session.expire_all()  # the settings changed through the API
    apply_order_snapshot(session, shop, make_order("f1", customer_id=None, email="bob@example.com"), utcnow())
    session.commit()
    completed = client.get(f"/api/v1/referrals/{referral['id']}", headers=auth(key)).json
    assert completed["status"] == "completed" and completed["referrer_points"] == 0
    assert completed["referrer_code"]["status"] == "pending"  # the codes job issues it

    provider.revoke_fail = ProviderUnavailable("Shopify is down.")
    failed = client.post(f"/api/v1/referrals/{referral['id']}/void", headers=auth(key))
    assert failed.status_code == 503
    assert client.get(f"/api/v1/referrals/{referral['id']}", headers=auth(key)).json["status"] == "completed"

    provider.revoke_fail = None
    voided = client.post(f"/api/v1/referrals/{referral['id']}/void", headers=auth(key),
                         json={"reason": "Same person"})
    assert voided.status_code == 200, voided.json
    assert voided.json["status"] == "voided"
    assert voided.json["welcome_code"]["status"] == "cancelled"
    assert voided.json["referrer_code"]["status"] == "cancelled"
    assert sorted(code for _, code in provider.revoked) == sorted(
        [referral["welcome_code"]["code"], completed["referrer_code"]["code"]])
    session.expire_all()
    statuses = session.execute(select(RewardCode.status).where(RewardCode.shop_id == shop.id)).scalars().all()
    assert sorted(s.value for s in statuses) == [CodeStatus.CANCELLED.value] * 2
