"""Codes after redemption: native checks and use, cancelling, use on an order, expiry, stalls."""
from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest
from sqlalchemy import select, update

from loyalty_plugin.errors import ProviderRejected, ProviderUnavailable
from loyalty_plugin.models import (ApiKeyScope, CodeStatus, CustomerAccount, EntryKind, LedgerEntry,
                                   Platform, RewardCode, RewardKind, utcnow)
from loyalty_plugin.providers.native import NativeProvider
from loyalty_plugin.services import redemptions
from loyalty_plugin.services.api_keys import create_api_key
from loyalty_plugin.services.ledger import verify_balances
from loyalty_plugin.services.orders import apply_order_snapshot
from tests.conftest import make_test_app
from tests.factories import make_order, make_reward, make_shop, post_shopify, shopify_order


@pytest.fixture
def app(database, provider):
    """Custom stores get native codes (the default); every other shop gets the recording fake."""
    def factory(shop):
        return NativeProvider() if shop.platform is Platform.CUSTOM else provider

    return make_test_app(database, LOYALTY_DISCOUNT_PROVIDERS=factory, LOYALTY_PROVIDER_TIMEOUT=0.2)


def auth(key: str, **extra) -> dict:
    return {"Authorization": f"Bearer {key}", **extra}


def setup_shop(session, platform: Platform, points: str = "1000"):
    shop, key = make_shop(session, platform=platform)
    apply_order_snapshot(session, shop, make_order(customer_id="207119551", items=points), utcnow())
    reward = make_reward(session, shop, min_order_subtotal=Decimal("20"))
    session.commit()
    return shop, key, reward


@pytest.fixture
def native(session):
    return setup_shop(session, Platform.CUSTOM)


@pytest.fixture
def shopify(session):
    return setup_shop(session, Platform.SHOPIFY)


def redeem(client, key, reward_id, customer="207119551") -> dict:
    response = client.post(f"/api/v1/customers/{customer}/redemptions", headers=auth(key),
                           json={"reward_id": reward_id})
    assert response.status_code == 201, response.json
    return response.json["code"]


def code_row(session, code: str) -> RewardCode:
    return session.execute(select(RewardCode).where(RewardCode.code == code)
                           .execution_options(populate_existing=True)).scalar_one()


def available(session, shop) -> int:
    return session.execute(select(CustomerAccount.available).where(
        CustomerAccount.shop_id == shop.id, CustomerAccount.platform_customer_id == "207119551")
    ).scalar_one()


def refunds(session, shop) -> list[int]:
    return list(session.execute(select(LedgerEntry.points).where(
        LedgerEntry.shop_id == shop.id, LedgerEntry.kind == EntryKind.REDEEM_REFUND)).scalars())


def validate(client, key, code, subtotal="50", **extra):
    return client.post("/api/v1/codes/validate", headers=auth(key),
                       json={"code": code, "subtotal": subtotal, **extra})


# --------------------------------------------------------------------------- native check and use


def test_validate_a_good_native_code(client, native):
    _, key, reward = native
    code = redeem(client, key, reward.id)["code"]
    response = validate(client, key, f"  {code.lower()} ", customer_id="207119551")
    assert response.status_code == 200
    assert response.json["valid"] is True and response.json["reason"] is None
    discount = response.json["discount"]
    assert (discount["code"], discount["type"], discount["value"]) == (code, "fixed_amount", "5.0000")
    assert discount["min_order_subtotal"] == "20.0000" and discount["expires_at"]
    assert validate(client, key, code).json["valid"] is True  # no customer given: no owner check


def test_validate_reports_why_a_code_cannot_be_used(client, session, native):
    shop, key, reward = native
    apply_order_snapshot(session, shop, make_order(customer_id="other", items="500"), utcnow())
    session.commit()
    codes = [redeem(client, key, reward.id)["code"] for _ in range(4)]
    client.post(f"/api/v1/codes/{codes[0]}/cancel", headers=auth(key))
    client.post(f"/api/v1/codes/{codes[1]}/use", headers=auth(key), json={"order_id": "o1", "subtotal": 50})
    session.execute(update(RewardCode).where(RewardCode.code == codes[2])
                    .values(expires_at=utcnow() - dt.timedelta(seconds=1)))
    session.commit()

    def reason(code, **kwargs):
        body = validate(client, key, code, **kwargs).json
        assert body["valid"] is (body["reason"] is None)
        return body["reason"]

    assert reason(codes[0]) == "cancelled"
    assert reason(codes[1]) == "used"
    assert reason(codes[2]) == "expired"
    assert reason(codes[3], customer_id="other") == "wrong_customer"
    assert reason(codes[3], subtotal="19.99") == "below_minimum"
    assert reason("NOPE-AAAA-BBBB-CCCC") == "unknown"
    assert reason("x" * 200) == "unknown"
    assert validate(client, key, "NOPE").json["discount"] is None


def test_codes_of_other_providers_and_shops_are_unknown_to_the_storefront(client, session, native,
                                                                          shopify):
    _, native_key, _ = native
    _, shopify_key, shopify_reward = shopify
    platform_code = redeem(client, shopify_key, shopify_reward.id)["code"]
    assert validate(client, shopify_key, platform_code).json["reason"] == "unknown"
    assert validate(client, native_key, platform_code).json["reason"] == "unknown"
    response = client.post(f"/api/v1/codes/{platform_code}/use", headers=auth(shopify_key),
                           json={"order_id": "o1", "subtotal": 50})
    assert response.status_code == 404 and response.json["error"]["code"] == "code_not_found"


def test_use_consumes_once_idempotently_for_the_same_order(client, session, native):
    shop, key, reward = native
    code = redeem(client, key, reward.id)["code"]
    url = f"/api/v1/codes/{code}/use"

    first = client.post(url, headers=auth(key), json={"order_id": "1001", "subtotal": "64.50"})
    again = client.post(url, headers=auth(key), json={"order_id": "1001", "subtotal": "64.50"})
    other = client.post(url, headers=auth(key), json={"order_id": "1002", "subtotal": "80"})

    assert first.status_code == again.status_code == 200 and first.json == again.json
    assert first.json["code"]["status"] == "used" and first.json["code"]["used_order_id"] == "1001"
    assert first.json["code"]["order_revenue"] == "64.5000"
    assert other.status_code == 409 and other.json["error"]["code"] == "code_already_used"
    row = code_row(session, code)
    assert (row.status, row.used_order_id, row.order_revenue) == (CodeStatus.USED, "1001", Decimal("64.5"))
    assert available(session, shop) == 900  # using a code changes no points


def test_use_refuses_codes_that_cannot_be_applied(client, session, native):
    shop, key, reward = native
    code = redeem(client, key, reward.id)["code"]
    url = f"/api/v1/codes/{code}/use"
    below = client.post(url, headers=auth(key), json={"order_id": "1", "subtotal": "19"})
    assert below.status_code == 422 and below.json["error"]["code"] == "code_not_usable"
    assert below.json["error"]["details"] == {"reason": "below_minimum"}
    wrong = client.post(url, headers=auth(key), json={"order_id": "1", "subtotal": 50, "customer_id": "x"})
    assert wrong.json["error"]["details"] == {"reason": "wrong_customer"}
    session.execute(update(RewardCode).where(RewardCode.code == code)
                    .values(expires_at=utcnow() - dt.timedelta(days=1)))
    session.commit()
    expired = client.post(url, headers=auth(key), json={"order_id": "1", "subtotal": 50})
    assert expired.json["error"]["details"] == {"reason": "expired"}
    missing = client.post("/api/v1/codes/NOPE/use", headers=auth(key), json={"order_id": "1", "subtotal": 50})
    assert missing.status_code == 404 and missing.json["error"]["code"] == "code_not_found"
    assert code_row(session, code).status is CodeStatus.ISSUED


@pytest.mark.parametrize("body, field", [
    ({"subtotal": 50}, "order_id"),
    ({"order_id": "1"}, "subtotal"),
    ({"order_id": "1", "subtotal": -1}, "subtotal"),
    ({"order_id": "1", "subtotal": "lots"}, "subtotal"),
    ({"order_id": "1", "subtotal": "1E+999999999"}, "subtotal"),
    ({"order_id": "1", "subtotal": 1e300}, "subtotal"),
    ({"order_id": "", "subtotal": 5}, "order_id"),
    ({"order_id": 7, "subtotal": 5}, "order_id"),
])
def test_bad_use_and_validate_bodies_are_422(client, native, body, field):
    _, key, _ = native
    response = client.post("/api/v1/codes/ANY/use", headers=auth(key), json=body)
    assert response.status_code == 422 and field in response.json["error"]["details"]["fields"]
    response = client.post("/api/v1/codes/validate", headers=auth(key), json={"subtotal": 5})
    assert response.status_code == 422 and "code" in response.json["error"]["details"]["fields"]


def test_read_only_key_validates_but_cannot_use_or_cancel(client, session, native):
    shop, key, reward = native
    code = redeem(client, key, reward.id)["code"]
    read_only = create_api_key(session, shop.id, name="ro", now=utcnow(), scope=ApiKeyScope.READ_ONLY)
    session.commit()
    assert validate(client, read_only, code).json["valid"] is True
    assert client.post(f"/api/v1/codes/{code}/use", headers=auth(read_only),
                       json={"order_id": "1", "subtotal": 50}).status_code == 403
    assert client.post(f"/api/v1/codes/{code}/cancel", headers=auth(read_only)).status_code == 403


# --------------------------------------------------------------------------- cancelling


def test_cancel_revokes_on_the_platform_and_returns_the_points_once(client, session, shopify, provider):
    shop, key, reward = shopify
    code = redeem(client, key, reward.id)
    assert available(session, shop) == 900

    first = client.post(f"/api/v1/codes/{code['code']}/cancel", headers=auth(key))
    again = client.post(f"/api/v1/codes/{code['code']}/cancel", headers=auth(key))

    assert first.status_code == again.status_code == 200
    assert first.json["code"]["status"] == "cancelled" and first.json["code"]["cancelled_at"]
    assert first.json["customer"]["points"]["available"] == 1000
    assert again.json == first.json
    assert provider.revoked == [(code["platform_ref"], code["code"])]
    assert refunds(session, shop) == [100] and available(session, shop) == 1000
    assert verify_balances(session, shop_id=shop.id) == []


def test_a_failed_revoke_changes_nothing(client, session, shopify, provider):
    shop, key, reward = shopify
    code = redeem(client, key, reward.id)["code"]
    for error, status in ((ProviderUnavailable("Shopify answered 503."), 503),
                          (ProviderRejected("Not allowed."), 502)):
        provider.revoke_fail = error
        response = client.post(f"/api/v1/codes/{code}/cancel", headers=auth(key, **{"Idempotency-Key": "c1"}))
        assert response.status_code == status
        assert code_row(session, code).status is CodeStatus.ISSUED
        assert available(session, shop) == 900 and refunds(session, shop) == []
    provider.revoke_fail = None
    # The key's earlier attempts failed before any change: the same key may try again.
    response = client.post(f"/api/v1/codes/{code}/cancel", headers=auth(key, **{"Idempotency-Key": "c1"}))
    assert response.status_code == 200 and available(session, shop) == 1000


def test_only_unused_codes_can_be_cancelled(client, session, native):
    shop, key, reward = native
    used = redeem(client, key, reward.id)["code"]
    client.post(f"/api/v1/codes/{used}/use", headers=auth(key), json={"order_id": "1", "subtotal": 50})
    expired = redeem(client, key, reward.id)["code"]
    session.execute(update(RewardCode).where(RewardCode.code == expired)
                    .values(status=CodeStatus.EXPIRED))
    session.commit()
    for code, status in ((used, "used"), (expired, "expired")):
        response = client.post(f"/api/v1/codes/{code}/cancel", headers=auth(key))
        assert response.status_code == 409 and response.json["error"]["code"] == "code_not_cancellable"
        assert response.json["error"]["details"] == {"status": status}
    missing = client.post("/api/v1/codes/NOPE/cancel", headers=auth(key))
    assert missing.status_code == 404
    assert available(session, shop) == 800 and refunds(session, shop) == []


def test_a_pending_code_is_cancellable_only_once_its_request_is_surely_dead(client, session, native):
    shop, key, reward = native
    account = session.execute(select(CustomerAccount).where(CustomerAccount.shop_id == shop.id)).scalar_one()
    now = utcnow()
    step = redemptions.reserve(session, shop, account, reward_id=reward.id, points=None,
                               idempotency_key=None, provider="native", now=now,
                               lease=dt.timedelta(minutes=1))
    session.commit()
    fresh = client.post(f"/api/v1/codes/{step.code.code}/cancel", headers=auth(key))
    assert fresh.status_code == 409 and fresh.json["error"]["details"] == {"status": "pending"}
    session.execute(update(RewardCode).where(RewardCode.id == step.code.id)
                    .values(created_at=now - dt.timedelta(hours=1)))
    session.commit()
    stale = client.post(f"/api/v1/codes/{step.code.code}/cancel", headers=auth(key))
    assert stale.status_code == 200 and stale.json["code"]["status"] == "cancelled"
    assert available(session, shop) == 1000


# --------------------------------------------------------------------------- used on an order


def test_an_order_webhook_naming_the_code_marks_it_used_with_the_revenue(client, session, shopify):
    shop, key, reward = shopify
    code = redeem(client, key, reward.id)["code"]
    order = shopify_order(customer_id=207119551, subtotal="95.00",
                          discount_codes=[{"code": code.lower(), "amount": "5.00", "type": "fixed_amount"}])
    body = json.dumps(order).encode()

    response = post_shopify(client, shop, "orders/paid", body)

    assert response.status_code == 200, response.json
    row = code_row(session, code)
    assert row.status is CodeStatus.USED and row.used_order_id == str(order["id"])
    assert row.order_revenue == Decimal("95.00") + Decimal("10.00") + Decimal("8.00")
    assert available(session, shop) == 900 + 95  # the order still earns as usual
    used_at = row.used_at
    # The same order again, and another order naming the same code: nothing moves.
    post_shopify(client, shop, "orders/updated", body)
    other = shopify_order(customer_id=207119551, discount_codes=[{"code": code}])
    post_shopify(client, shop, "orders/paid", json.dumps(other).encode())
    row = code_row(session, code)
    assert (row.used_order_id, row.used_at) == (str(order["id"]), used_at)
    assert verify_balances(session, shop_id=shop.id) == []


def test_orders_with_unrelated_or_cancelled_codes_change_no_code(client, session, shopify):
    shop, key, reward = shopify
    code = redeem(client, key, reward.id)["code"]
    client.post(f"/api/v1/codes/{code}/cancel", headers=auth(key))
    order = shopify_order(discount_codes=[{"code": code}, {"code": "SUMMER10"}, {"code": ""}])
    assert post_shopify(client, shop, "orders/paid", order).status_code == 200
    assert code_row(session, code).status is CodeStatus.CANCELLED


# --------------------------------------------------------------------------- jobs


def test_run_due_expires_issued_codes_without_returning_points(app, client, session, native):
    shop, key, reward = native
    old, current = (redeem(client, key, reward.id)["code"] for _ in range(2))
    session.execute(update(RewardCode).where(RewardCode.code == old)
                    .values(expires_at=utcnow() - dt.timedelta(minutes=1)))
    session.commit()

    result = app.test_cli_runner().invoke(args=["jobs", "run-due"])

    assert result.exit_code == 0, result.output
    assert "codes: 1" in result.output
    assert code_row(session, old).status is CodeStatus.EXPIRED
    assert code_row(session, current).status is CodeStatus.ISSUED
    assert available(session, shop) == 800 and refunds(session, shop) == []
    assert validate(client, key, old).json["reason"] == "expired"


def test_run_due_settles_codes_whose_request_died(app, session, shopify, provider):
    shop, _, reward = shopify
    account = session.execute(select(CustomerAccount).where(CustomerAccount.shop_id == shop.id)).scalar_one()
    long_ago = utcnow() - dt.timedelta(hours=1)
    stalled = [redemptions.reserve(session, shop, account, reward_id=reward.id, points=None,
                                   idempotency_key=None, provider="fake", now=long_ago,
                                   lease=dt.timedelta(minutes=1)).code for _ in range(2)]
    session.commit()
    assert available(session, shop) == 800

    # The first code gets through, the second is refused.
    provider.fail, provider.fail_after = ProviderRejected("Code must be unique."), 1

    result = app.test_cli_runner().invoke(args=["jobs", "run-due"])

    assert result.exit_code == 0, result.output
    assert "codes: 2" in result.output
    assert code_row(session, stalled[0].code).status is CodeStatus.ISSUED
    assert code_row(session, stalled[1].code).status is CodeStatus.FAILED
    assert provider.calls == [f"loyalty-redeem-{c.debit_entry_id}" for c in stalled]
    assert available(session, shop) == 900 and refunds(session, shop) == [100]
    verify = app.test_cli_runner().invoke(args=["ledger", "verify"])
    assert verify.exit_code == 0 and "Ledger verified" in verify.output


def test_ledger_still_adds_up_after_every_kind_of_code_event(app, client, session, native, shopify,
                                                              provider):
    for shop, key, reward in (native, shopify):
        codes = [redeem(client, key, reward.id)["code"] for _ in range(3)]
        client.post(f"/api/v1/codes/{codes[0]}/cancel", headers=auth(key))
        if shop.platform is Platform.CUSTOM:
            client.post(f"/api/v1/codes/{codes[1]}/use", headers=auth(key),
                        json={"order_id": "9", "subtotal": 30})
    provider.fail = ProviderUnavailable("down")
    client.post("/api/v1/customers/207119551/redemptions", headers=auth(shopify[1]),
                json={"reward_id": shopify[2].id})
    slider = make_reward(session, native[0], name="Slider", kind=RewardKind.VARIABLE, points_cost=50,
                         value=Decimal("0.5"))
    session.commit()
    client.post("/api/v1/customers/207119551/redemptions", headers=auth(native[1]),
                json={"reward_id": slider.id, "points": 250})

    assert available(session, native[0]) == 1000 - 300 + 100 - 250
    assert available(session, shopify[0]) == 1000 - 300 + 100
    result = app.test_cli_runner().invoke(args=["ledger", "verify"])
    assert result.exit_code == 0, result.output
