"""Redeeming from the storefront: the core's redemption behind a signed identity and a rate limit."""
from __future__ import annotations

import pytest

from loyalty_plugin.errors import ProviderUnavailable
from loyalty_plugin.models import EntryKind, LedgerEntry, RewardCode, RewardKind, utcnow
from loyalty_plugin.services.accounts import find_by_external_id
from loyalty_plugin.services.orders import apply_order_snapshot
from tests.conftest import make_test_app
from tests.factories import make_order, make_shop
from tests.providers import RecordingProvider
from tests.widget_factories import make_reward, make_tier, signed


@pytest.fixture
def app(database, provider):
    return make_test_app(database, LOYALTY_DISCOUNT_PROVIDERS=provider.factory)


@pytest.fixture
def shop(session):
    shop, _ = make_shop(session)
    apply_order_snapshot(session, shop, make_order("o1", customer_id="c1", items="500"), utcnow())
    apply_order_snapshot(session, shop, make_order("o2", customer_id="c2", items="50"), utcnow())
    session.commit()
    return shop


@pytest.fixture
def reward(session, shop):
    reward = make_reward(session, shop, name="$5 off", points_cost=300, value="5")
    session.commit()
    return reward


def redeem(client, shop, body, customer="c1", **headers):
    base = signed(shop, customer) if customer else {}
    return client.post(f"/widget/v1/{shop.id}/redemptions", json=body, headers={**base, **headers})


def available(session, shop, customer="c1") -> int:
    session.expire_all()
    return find_by_external_id(session, shop.id, customer).available


def test_redeeming_issues_a_code_the_panel_then_lists(client, session, shop, reward, provider):
    response = redeem(client, shop, {"reward_id": reward.id}, **{"Idempotency-Key": "k1"})

    assert response.status_code == 201, response.json
    code = response.json["code"]
    assert code["status"] == "issued" and code["reward_name"] == "$5 off" and code["points_spent"] == 300
    assert code["kind"] == "fixed_amount" and code["value"] == "5" and code["expires_at"]
    assert response.json["customer"]["available"] == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert len(provider.calls) == 1
    assert available(session, shop) == 200
    summary = client.get(f"/widget/v1/{shop.id}/summary", headers=signed(shop, "c1")).json
    assert [c["code"] for c in summary["codes"]] == [code["code"]]
    assert summary["activity"][0]["kind"] == "redeem" and summary["activity"][0]["points"] == -300


def test_the_same_idempotency_key_replays_and_never_debits_twice(client, session, shop, reward, provider):
    first = redeem(client, shop, {"reward_id": reward.id}, **{"Idempotency-Key": "k1"})
    again = redeem(client, shop, {"reward_id": reward.id}, **{"Idempotency-Key": "k1"})

    assert again.status_code == 201 and again.json == first.json
    assert available(session, shop) == 200 and len(provider.calls) == 1
    other = redeem(client, shop, {"reward_id": reward.id, "points": 600}, **{"Idempotency-Key": "k1"})
    assert other.status_code == 422 and other.json["error"]["code"] == "idempotency_key_reused"


def test_a_refusal_names_its_reason_and_debits_nothing(client, session, shop, reward):
    response = redeem(client, shop, {"reward_id": reward.id}, customer="c2")
    assert response.status_code == 422 and response.json["error"]["code"] == "insufficient_points"
    assert available(session, shop, "c2") == 50
    gold = make_tier(session, shop, "Gold", "5000")
    vip = make_reward(session, shop, name="VIP", kind=RewardKind.FREE_SHIPPING, points_cost=10,
                      required_tier_id=gold.id)
    session.commit()
    response = redeem(client, shop, {"reward_id": vip.id})
    assert response.status_code == 403 and response.json["error"]["code"] == "tier_required"
    assert available(session, shop) == 500


def test_another_shops_reward_is_not_found(client, session, shop):
    other, _ = make_shop(session)
    foreign = make_reward(session, other, name="Theirs", points_cost=1)
    session.commit()
    response = redeem(client, shop, {"reward_id": foreign.id})
    assert response.status_code == 404 and response.json["error"]["code"] == "reward_not_found"
    assert available(session, shop) == 500


def test_a_platform_failure_returns_the_points_and_says_so(database, session, shop, reward):
    failing = RecordingProvider(fail=ProviderUnavailable("Shopify timed out."))
    client = make_test_app(database, LOYALTY_DISCOUNT_PROVIDERS=failing.factory).test_client()

    response = redeem(client, shop, {"reward_id": reward.id})

    assert response.status_code == 503
    assert response.json["error"]["code"] == "provider_unavailable"
    assert response.json["error"]["details"]["points_returned"] == 300
    assert response.json["error"]["details"]["customer"]["available"] == 500
    assert "code" not in response.json
    assert available(session, shop) == 500
    kinds = [e.kind for e in session.query(LedgerEntry).filter_by(shop_id=shop.id).order_by(LedgerEntry.id)]
    assert kinds[-2:] == [EntryKind.REDEEM, EntryKind.REDEEM_REFUND]


def test_a_shop_without_a_discount_provider_is_503_and_nothing_is_taken(database, session, shop, reward):
    client = make_test_app(database).test_client()  # a Shopify shop and no Shopify provider yet
    response = redeem(client, shop, {"reward_id": reward.id})
    assert response.status_code == 503 and response.json["error"]["code"] == "provider_not_configured"
    assert available(session, shop) == 500
    assert session.query(RewardCode).filter_by(shop_id=shop.id).count() == 0


def test_a_guest_cannot_redeem(client, shop, reward):
    response = redeem(client, shop, {"reward_id": reward.id}, customer=None)
    assert response.status_code == 401 and response.json["error"]["code"] == "unauthorized"


@pytest.mark.parametrize("body, field", [({}, "reward_id"), ({"reward_id": "x"}, "reward_id"),
                                         ({"reward_id": 1, "points": -5}, "points"),
                                         ({"reward_id": 1, "extra": 1}, "extra")])
def test_bad_redeem_body_is_422_naming_the_field(client, shop, body, field):
    response = redeem(client, shop, body)
    assert response.status_code == 422
    assert field in response.json["error"]["details"]["fields"]


def test_redeem_body_must_be_json(client, shop):
    response = client.post(f"/widget/v1/{shop.id}/redemptions", data="reward_id=1",
                           headers=signed(shop, "c1"))
    assert response.status_code == 415


def test_redeem_is_rate_limited_per_customer_and_refused_attempts_count(app, client, session, shop,
                                                                        reward):
    app.config["LOYALTY_WIDGET_REDEEM_LIMIT"] = 3
    statuses = [redeem(client, shop, {"reward_id": reward.id, "points": 7}).status_code
                for _ in range(3)]
    limited = redeem(client, shop, {"reward_id": reward.id})

    assert statuses == [422, 422, 422]
    assert limited.status_code == 429
    assert limited.json["error"]["code"] == "rate_limited"
    assert 1 <= int(limited.headers["Retry-After"]) <= 60
    assert limited.json["error"]["details"]["retry_after"] == int(limited.headers["Retry-After"])
    assert available(session, shop) == 500
    assert redeem(client, shop, {"reward_id": reward.id}, customer="c2").status_code != 429
