"""Redeeming points for codes over HTTP: success, every refusal, provider failures, retries."""
from __future__ import annotations

import datetime as dt
import re
import time
from decimal import Decimal

import pytest
from sqlalchemy import select, update

from loyalty_plugin.errors import ProviderRejected, ProviderUnavailable
from loyalty_plugin.models import (ApiKeyScope, CodeStatus, CustomerAccount, EntryKind, IdempotencyRecord,
                                   LedgerEntry, Platform, RewardCode, RewardKind, Tier, utcnow)
from loyalty_plugin.services import issuing, redemptions
from loyalty_plugin.services.api_keys import create_api_key
from loyalty_plugin.services.ledger import verify_balances
from loyalty_plugin.services.orders import apply_order_snapshot
from tests.conftest import make_test_app
from tests.factories import make_order, make_reward, make_shop


@pytest.fixture
def app(database, provider):
    return make_test_app(database, LOYALTY_DISCOUNT_PROVIDERS=provider.factory,
                         LOYALTY_PROVIDER_TIMEOUT=0.2)


@pytest.fixture
def shop_and_key(session):
    """A shop whose customer c1 has 1000 points, with a 100-point reward."""
    shop, key = make_shop(session, domain="blue-bird.myshopify.com")
    apply_order_snapshot(session, shop, make_order(customer_id="c1", email="c1@example.com",
                                                   items="1000"), utcnow())
    session.commit()
    return shop, key


@pytest.fixture
def reward(session, shop_and_key):
    reward = make_reward(session, shop_and_key[0], min_order_subtotal=Decimal("20"), validity_days=14)
    session.commit()
    return reward


def auth(key: str, **extra) -> dict:
    return {"Authorization": f"Bearer {key}", **extra}


def redeem(client, key: str, reward_id: int, *, customer: str = "c1", idem: str | None = None,
           **body):
    headers = auth(key, **({"Idempotency-Key": idem} if idem else {}))
    return client.post(f"/api/v1/customers/{customer}/redemptions", headers=headers,
                       json={"reward_id": reward_id, **body})


def account(session, shop, customer: str = "c1") -> CustomerAccount:
    return session.execute(select(CustomerAccount).where(
        CustomerAccount.shop_id == shop.id, CustomerAccount.platform_customer_id == customer)
        .execution_options(populate_existing=True)).scalar_one()


def entries(session, shop, *kinds: EntryKind) -> list[tuple[EntryKind, int]]:
    rows = session.execute(select(LedgerEntry).where(
        LedgerEntry.shop_id == shop.id, LedgerEntry.kind.in_(kinds)).order_by(LedgerEntry.id)
        .execution_options(populate_existing=True)).scalars()
    return [(row.kind, row.points) for row in rows]


def all_codes(session, shop) -> list[RewardCode]:
    return list(session.execute(select(RewardCode).where(RewardCode.shop_id == shop.id)
                                .order_by(RewardCode.id)
                                .execution_options(populate_existing=True)).scalars())


SPENDING = (EntryKind.REDEEM, EntryKind.REDEEM_REFUND)


def test_redeeming_debits_the_points_and_issues_a_code_on_the_platform(
        client, session, shop_and_key, reward, provider):
    shop, key = shop_and_key
    before = utcnow()
    response = redeem(client, key, reward.id)

    assert response.status_code == 201, response.json
    code = response.json["code"]
    assert re.fullmatch(r"BLUEBRD(-[A-HJ-NP-Z2-9]{4}){3}", code["code"]), code["code"]
    assert code["status"] == "issued" and code["origin"] == "redemption"
    assert (code["kind"], code["value"], code["points_spent"]) == ("fixed_amount", "5.0000", 100)
    assert code["min_order_subtotal"] == "20.0000" and code["reward_id"] == reward.id
    assert response.json["customer"]["points"]["available"] == 900
    assert account(session, shop).available == 900
    assert entries(session, shop, *SPENDING) == [(EntryKind.REDEEM, -100)]

    [record] = all_codes(session, shop)
    debit = session.execute(select(LedgerEntry).where(LedgerEntry.kind == EntryKind.REDEEM,
                                                      LedgerEntry.shop_id == shop.id)).scalar_one()
    assert record.debit_entry_id == debit.id and record.provider == "fake"
    assert record.platform_ref == f"gid://fake/DiscountCodeNode/loyalty-redeem-{debit.id}"
    assert before + dt.timedelta(days=14) <= record.expires_at <= utcnow() + dt.timedelta(days=14)
    # One platform call, keyed by the debit, restricted to the customer, single use.
    assert provider.calls == [f"loyalty-redeem-{debit.id}"]
    spec = provider.created[f"loyalty-redeem-{debit.id}"]
    assert (spec.code, spec.kind, spec.value, spec.currency) == (code["code"], RewardKind.FIXED_AMOUNT,
                                                                 Decimal("5.0000"), "USD")
    assert (spec.customer_platform_id, spec.customer_email) == ("c1", "c1@example.com")
    assert spec.min_order_subtotal == Decimal("20.0000") and spec.usage_limit == 1
    assert spec.expires_at == record.expires_at
    assert verify_balances(session, shop_id=shop.id) == []


def test_custom_store_gets_a_native_code_by_default(database, session):
    client = make_test_app(database).test_client()
    shop, key = make_shop(session, platform=Platform.CUSTOM, domain="shoes.example.org")
    apply_order_snapshot(session, shop, make_order(customer_id="c1", items="300"), utcnow())
    reward = make_reward(session, shop, kind=RewardKind.PERCENTAGE, value=Decimal("10"))
    session.commit()

    response = redeem(client, key, reward.id)

    assert response.status_code == 201, response.json
    code = response.json["code"]
    assert code["code"].startswith("SHES-") and code["provider"] == "native"
    assert code["platform_ref"] == f"native:{code['code']}" and code["status"] == "issued"
    assert response.json["customer"]["points"]["available"] == 200


def test_variable_reward_buys_value_per_step(client, session, shop_and_key, provider):
    shop, key = shop_and_key
    slider = make_reward(session, shop, name="Slider", kind=RewardKind.VARIABLE, points_cost=100,
                         value=Decimal("1.50"), min_points=200, max_points=800)
    session.commit()

    response = redeem(client, key, slider.id, points=700)

    assert response.status_code == 201, response.json
    assert response.json["code"]["value"] == "10.5000" and response.json["code"]["points_spent"] == 700
    assert response.json["code"]["kind"] == "variable"
    assert account(session, shop).available == 300
    [spec] = provider.created.values()
    assert spec.kind is RewardKind.FIXED_AMOUNT and spec.value == Decimal("10.5000")


def make_tier(session, shop, name: str, threshold: str) -> Tier:
    tier = Tier(shop_id=shop.id, name=name, threshold=Decimal(threshold), perks=[])
    session.add(tier)
    session.flush()
    return tier


def refusal_cases(session, shop):
    """(reward overrides or callable, body, status, code) for each way a redemption is refused."""
    silver, gold = make_tier(session, shop, "Silver", "100"), make_tier(session, shop, "Gold", "500")
    account(session, shop).tier_id = silver.id
    slider = dict(kind=RewardKind.VARIABLE, points_cost=100, value=Decimal("1"), min_points=300,
                  max_points=600)
    return [
        ({"active": False}, {}, 422, "reward_inactive"),
        ({"points_cost": 1001}, {}, 422, "insufficient_points"),
        ({}, {"points": 50}, 422, "invalid_points_amount"),
        (slider, {}, 422, "invalid_points_amount"),
        (slider, {"points": 350}, 422, "invalid_points_amount"),
        (slider, {"points": 700}, 422, "invalid_points_amount"),
        (slider, {"points": 200}, 422, "points_below_minimum"),
        ({"required_tier_id": gold.id}, {}, 403, "tier_required"),
    ]


@pytest.mark.parametrize("case", range(8))
def test_each_refusal_has_its_own_code_and_debits_nothing(client, session, shop_and_key, provider,
                                                          case):
    shop, key = shop_and_key
    overrides, body, status, code = refusal_cases(session, shop)[case]
    reward = make_reward(session, shop, **overrides)
    session.commit()

    response = redeem(client, key, reward.id, **body)

    assert response.status_code == status, response.json
    assert response.json["error"]["code"] == code
    assert response.json["error"]["message"]
    assert account(session, shop).available == 1000
    assert entries(session, shop, *SPENDING) == []
    assert all_codes(session, shop) == [] and provider.calls == []


def test_a_variable_amount_worth_more_than_any_order_is_refused(client, session, shop_and_key):
    shop, key = shop_and_key
    slider = make_reward(session, shop, kind=RewardKind.VARIABLE, points_cost=1,
                         value=Decimal("1000000000"))
    session.commit()
    response = redeem(client, key, slider.id, points=1000)
    assert response.status_code == 422 and response.json["error"]["code"] == "invalid_points_amount"
    assert account(session, shop).available == 1000


def test_unknown_archived_and_foreign_rewards_are_refused(client, session, shop_and_key, reward):
    shop, key = shop_and_key
    other_shop, _ = make_shop(session)
    foreign = make_reward(session, other_shop)
    archived = make_reward(session, shop)
    session.commit()
    client.delete(f"/api/v1/rewards/{archived.id}", headers=auth(key))
    for reward_id, code in ((999_999, "reward_not_found"), (foreign.id, "reward_not_found"),
                            (archived.id, "reward_inactive")):
        response = redeem(client, key, reward_id)
        assert response.json["error"]["code"] == code
        assert response.status_code == (404 if code == "reward_not_found" else 422)
    assert account(session, shop).available == 1000 and entries(session, shop, *SPENDING) == []


def test_a_tier_at_or_above_the_required_one_qualifies(client, session, shop_and_key):
    shop, key = shop_and_key
    gold, platinum = make_tier(session, shop, "Gold", "500"), make_tier(session, shop, "Platinum", "900")
    reward = make_reward(session, shop, required_tier_id=gold.id)
    account(session, shop).tier_id = gold.id
    session.commit()
    assert redeem(client, key, reward.id).status_code == 201
    account(session, shop).tier_id = platinum.id
    session.commit()
    assert redeem(client, key, reward.id).status_code == 201
    account(session, shop).tier_id = None
    session.commit()
    assert redeem(client, key, reward.id).json["error"]["code"] == "tier_required"


def test_per_customer_limit_counts_codes_that_were_not_failed_or_cancelled(
        client, session, shop_and_key, provider):
    shop, key = shop_and_key
    reward = make_reward(session, shop, per_customer_limit=2)
    session.commit()
    provider.fail = ProviderRejected("nope")
    assert redeem(client, key, reward.id).status_code == 502  # failed: does not count
    provider.fail = None
    assert redeem(client, key, reward.id).status_code == 201
    first = redeem(client, key, reward.id).json["code"]["code"]
    client.post(f"/api/v1/codes/{first}/cancel", headers=auth(key))  # cancelled: does not count
    assert redeem(client, key, reward.id).status_code == 201

    refused = redeem(client, key, reward.id)

    assert refused.status_code == 409 and refused.json["error"]["code"] == "redemption_limit_reached"
    assert refused.json["error"]["details"] == {"per_customer_limit": 2}
    assert account(session, shop).available == 1000 - 3 * 100 + 100  # one of three came back
    assert verify_balances(session, shop_id=shop.id) == []


@pytest.mark.parametrize("error, status, code", [
    (ProviderRejected("Code must be unique."), 502, "provider_rejected"),
    (ProviderUnavailable("Shopify answered 503."), 503, "provider_unavailable"),
    (RuntimeError("KeyError in the response parser"), 503, "provider_unavailable"),
])
def test_provider_failure_returns_the_points_and_marks_the_code_failed(
        client, session, shop_and_key, reward, provider, error, status, code):
    shop, key = shop_and_key
    provider.fail = error

    response = redeem(client, key, reward.id)

    assert response.status_code == status, response.json
    body = response.json["error"]
    assert body["code"] == code
    assert "100 points were returned" in body["message"]
    assert body["details"]["points_returned"] == 100
    assert body["details"]["customer"]["points"]["available"] == 1000
    [record] = all_codes(session, shop)
    assert record.status is CodeStatus.FAILED and record.failure.startswith(code)
    assert record.code not in response.get_data(as_text=True)  # never handed to anyone
    assert account(session, shop).available == 1000
    assert entries(session, shop, *SPENDING) == [(EntryKind.REDEEM, -100),
                                                 (EntryKind.REDEEM_REFUND, 100)]
    assert record.refund_entry_id is not None
    assert verify_balances(session, shop_id=shop.id) == []


def test_provider_timeout_returns_the_points_and_revokes_the_late_code(
        client, session, shop_and_key, reward, provider):
    shop, key = shop_and_key
    provider.delay = 1.0  # the app waits 0.2 s

    started = time.monotonic()
    response = redeem(client, key, reward.id)

    assert time.monotonic() - started < 0.9
    assert response.status_code == 503 and response.json["error"]["code"] == "provider_unavailable"
    assert "did not answer within 0.2 seconds" in response.json["error"]["message"]
    assert account(session, shop).available == 1000
    [record] = all_codes(session, shop)
    assert record.status is CodeStatus.FAILED
    deadline = time.monotonic() + 5
    while not provider.revoked and time.monotonic() < deadline:
        time.sleep(0.05)
    assert [code for _, code in provider.revoked] == [record.code]


def test_retry_with_the_same_key_after_a_failure_never_debits_twice(
        client, session, shop_and_key, reward, provider):
    shop, key = shop_and_key
    provider.fail = ProviderUnavailable("Shopify answered 503.")
    first = redeem(client, key, reward.id, idem="redeem-1")
    provider.fail = None  # the platform is back, but this key's answer is final

    again = redeem(client, key, reward.id, idem="redeem-1")

    assert first.status_code == again.status_code == 503 and first.json == again.json
    assert len(provider.calls) == 1
    assert entries(session, shop, *SPENDING) == [(EntryKind.REDEEM, -100),
                                                 (EntryKind.REDEEM_REFUND, 100)]
    fresh = redeem(client, key, reward.id, idem="redeem-2")
    assert fresh.status_code == 201 and account(session, shop).available == 900
    assert verify_balances(session, shop_id=shop.id) == []


def test_same_key_replays_the_first_answer_and_other_parameters_are_422(
        client, session, shop_and_key, reward, provider):
    shop, key = shop_and_key
    first = redeem(client, key, reward.id, idem="once")
    again = redeem(client, key, reward.id, idem="once")

    assert first.status_code == again.status_code == 201 and first.json == again.json
    assert len(all_codes(session, shop)) == 1 and len(provider.calls) == 1
    assert entries(session, shop, *SPENDING) == [(EntryKind.REDEEM, -100)]
    other = redeem(client, key, reward.id, idem="once", points=100)
    assert other.status_code == 422 and other.json["error"]["code"] == "idempotency_key_reused"
    assert redeem(client, key, reward.id, customer="c2", idem="once").status_code == 404
    assert account(session, shop).available == 900


def test_without_a_key_each_request_is_its_own_redemption(client, session, shop_and_key, reward):
    shop, key = shop_and_key
    codes = {redeem(client, key, reward.id).json["code"]["code"] for _ in range(3)}
    assert len(codes) == 3 and account(session, shop).available == 700


def test_a_key_still_being_processed_is_409_and_a_dead_requests_key_is_taken_over(
        client, session, shop_and_key, reward, provider):
    shop, key = shop_and_key
    # A request reserved under "slow" and is (as far as anyone knows) still calling the platform.
    step = redemptions.reserve(session, shop, account(session, shop), reward_id=reward.id, points=None,
                               idempotency_key="slow", provider="fake", now=utcnow(),
                               lease=issuing.code_lease(0.2))
    session.commit()

    busy = redeem(client, key, reward.id, idem="slow")

    assert busy.status_code == 409 and busy.json["error"]["code"] == "redemption_in_progress"
    assert provider.calls == []
    # That request died: its lease runs out, and the retry finishes the same redemption.
    session.execute(update(IdempotencyRecord).where(IdempotencyRecord.id == step.record.id).values(
        response={"code_id": step.code.id, "lease_until": "2000-01-01T00:00:00+00:00"}))
    session.commit()

    done = redeem(client, key, reward.id, idem="slow")

    assert done.status_code == 201, done.json
    assert done.json["code"]["code"] == step.code.code and done.json["code"]["status"] == "issued"
    assert provider.calls == [f"loyalty-redeem-{step.code.debit_entry_id}"]
    assert entries(session, shop, *SPENDING) == [(EntryKind.REDEEM, -100)]
    assert redeem(client, key, reward.id, idem="slow").json == done.json


def test_shop_without_a_discount_provider_is_503_and_debits_nothing(database, session, shop_and_key,
                                                                     reward):
    shop, key = shop_and_key
    client = make_test_app(database).test_client()  # default factory: no credentials stored

    response = redeem(client, key, reward.id)

    assert response.status_code == 503 and response.json["error"]["code"] == "provider_not_configured"
    assert account(session, shop).available == 1000 and all_codes(session, shop) == []


@pytest.mark.parametrize("body, field", [
    ({}, "reward_id"),
    ({"reward_id": "1"}, "reward_id"),
    ({"reward_id": 0}, "reward_id"),
    ({"reward_id": 2**63}, "reward_id"),
    ({"reward_id": 1, "points": 0}, "points"),
    ({"reward_id": 1, "points": 1.5}, "points"),
    ({"reward_id": 1, "extra": True}, "extra"),
])
def test_bad_bodies_are_422_naming_the_field(client, session, shop_and_key, body, field):
    shop, key = shop_and_key
    response = client.post("/api/v1/customers/c1/redemptions", headers=auth(key), json=body)
    assert response.status_code == 422 and field in response.json["error"]["details"]["fields"]
    assert account(session, shop).available == 1000


def test_unknown_customer_read_only_key_and_bad_key(client, session, shop_and_key, reward):
    shop, key = shop_and_key
    response = redeem(client, key, reward.id, customer="nobody")
    assert response.status_code == 404 and response.json["error"]["code"] == "customer_not_found"
    read_only = create_api_key(session, shop.id, name="ro", now=utcnow(), scope=ApiKeyScope.READ_ONLY)
    session.commit()
    assert redeem(client, read_only, reward.id).status_code == 403
    assert redeem(client, "lk_wrong", reward.id).status_code == 401
    assert client.post("/api/v1/customers/c1/redemptions", headers=auth(key),
                       data="reward_id=1").status_code == 415
    assert account(session, shop).available == 1000


def test_customer_codes_are_listed_newest_first_page_by_page(client, session, shop_and_key, reward,
                                                             provider):
    shop, key = shop_and_key
    apply_order_snapshot(session, shop, make_order(customer_id="c2", items="500"), utcnow())
    session.commit()
    made = [redeem(client, key, reward.id).json["code"]["code"] for _ in range(3)]
    provider.fail = ProviderRejected("no")
    redeem(client, key, reward.id)
    redeem(client, key, reward.id, customer="c2")

    first = client.get("/api/v1/customers/c1/rewards?limit=2", headers=auth(key)).json
    assert [c["status"] for c in first["items"]] == ["failed", "issued"]
    assert first["items"][1]["code"] == made[2] and first["next_cursor"]
    second = client.get(f"/api/v1/customers/c1/rewards?limit=2&cursor={first['next_cursor']}",
                        headers=auth(key)).json
    assert [c["code"] for c in second["items"]] == [made[1], made[0]]
    assert second["next_cursor"] is None
    assert len(client.get("/api/v1/customers/c2/rewards", headers=auth(key)).json["items"]) == 1
    assert client.get("/api/v1/customers/zz/rewards", headers=auth(key)).status_code == 404
    assert client.get("/api/v1/customers/c1/rewards?limit=0", headers=auth(key)).status_code == 422
