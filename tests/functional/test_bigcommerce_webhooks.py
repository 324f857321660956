"""BigCommerce callbacks through HTTP: the docs' real samples, signed here, the order API faked."""
from __future__ import annotations

import copy
import json
import time

import pytest
import requests
import responses
from sqlalchemy import func, select

from loyalty_plugin.encryption import box_from_config
from loyalty_plugin.models import (DeliveryStatus, InboundDelivery, LedgerEntry, Order, Platform,
                                   utcnow)
from loyalty_plugin.providers import RetryPolicy
from loyalty_plugin.services.credentials import set_credentials
from loyalty_plugin.services.ledger import verify_balances
from tests.factories import WEBHOOK_SECRET, fixture_bytes, make_shop
from webhooks.bigcommerce import sign
from webhooks.pipeline import ADAPTERS

CLIENT_SECRET = "bc-app-client-secret"
API = "https://api.bigcommerce.com/stores/abc123"
ORDER_URL = f"{API}/v2/orders/250"
PRODUCTS_URL = f"{API}/v2/orders/250/products"
REFUNDS_URL = f"{API}/v3/orders/250/payment_actions/refunds"

# Shaped like the v2 "Get an Order" example of bigcommerce/docs (reference/orders.v2.oas2.yml).
ORDER = {
    "id": 250, "customer_id": 11, "date_modified": "Tue, 25 Jun 2019 16:15:35 +0000",
    "status_id": 11, "status": "Awaiting Fulfillment", "subtotal_ex_tax": "90.0000",
    "shipping_cost_ex_tax": "10.0000", "handling_cost_ex_tax": "0.0000", "total_tax": "8.0000",
    "total_inc_tax": "108.0000", "payment_method": "Credit Card", "currency_code": "USD",
    "default_currency_code": "USD", "discount_amount": "10.0000", "coupon_discount": "10.0000",
    "billing_address": {"first_name": "Jane", "last_name": "Doe", "email": "janedoe@example.com"},
}
PRODUCTS = [
    {"id": 65, "order_id": 250, "type": "physical", "quantity": 2, "total_ex_tax": "100.0000",
     "applied_discounts": [{"id": "total-coupon", "amount": "10.0000", "code": "SAVE10",
                            "target": "order"}]},
    {"id": 66, "order_id": 250, "type": "giftcertificate", "quantity": 1, "total_ex_tax": "25.0000",
     "applied_discounts": []},
]
# One of the two units of product 65 refunded by quantity: (100 - 10) / 2 = 45.00 plus tax.
REFUND = {"id": 3, "order_id": 250, "created": "2019-06-25T16:25:23+00:00", "total_amount": 49.5,
          "total_tax": 4.5, "items": [{"item_type": "PRODUCT", "item_id": 65, "quantity": 1,
                                       "requested_amount": None}],
          "payments": [{"id": 1, "provider_id": "braintree", "amount": 49.5, "is_declined": False}]}


@pytest.fixture(autouse=True)
def no_backoff(monkeypatch):
    monkeypatch.setattr(ADAPTERS[Platform.BIGCOMMERCE], "retry", RetryPolicy(attempts=2, backoff=0))


@pytest.fixture
def api():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


@pytest.fixture
def shop(app, session):
    shop, _ = make_shop(session, platform=Platform.BIGCOMMERCE, domain="store-abc123.mybigcommerce.com")
    set_credentials(session, shop.id, box_from_config(app.config), now=utcnow(), values={
        "store_hash": "abc123", "access_token": "bc-token", "client_secret": CLIENT_SECRET})
    return shop


def serve_order(api, *, order=ORDER, refunds=()):
    api.get(ORDER_URL, json=order)
    api.get(PRODUCTS_URL, json=PRODUCTS)
    api.get(REFUNDS_URL, json={"data": list(refunds), "meta": {}})


def signed_headers(body: bytes, *, webhook_id: str = "msg_2Kx", timestamp: int | None = None,
                   secret: str = CLIENT_SECRET) -> dict[str, str]:
    timestamp = int(time.time()) if timestamp is None else timestamp
    return {"Content-Type": "application/json", "webhook-id": webhook_id,
            "webhook-timestamp": str(timestamp),
            "webhook-signature": f"v1,{sign(body, secret, webhook_id, timestamp)}"}


def post(client, shop, body: bytes, headers: dict[str, str]):
    return client.post(f"/webhooks/bigcommerce/{shop.id}", data=body, headers=headers)


def count(session, model, shop) -> int:
    return session.execute(select(func.count()).select_from(model)
                           .where(model.shop_id == shop.id)).scalar_one()


def test_paid_status_update_fetches_the_order_and_awards_on_products_after_discounts(
        client, session, shop, api):
    serve_order(api)
    body = fixture_bytes("bigcommerce/store_order_statusUpdated.json")

    response = post(client, shop, body, signed_headers(body))

    assert response.status_code == 200, response.json
    # (100.00 - 10.00 coupon) = 90: no gift certificate, shipping or tax.
    assert response.json == {"status": "processed", "note": "awarded 90 points",
                             "delivery_id": "store/order/statusUpdated:"
                                            "7ee67cd1cf2ca60bc1aa9e5fe957d2de373be4ca"}
    assert [c.request.headers["X-Auth-Token"] for c in api.calls] == ["bc-token"] * 3
    order = session.execute(select(Order).where(Order.shop_id == shop.id)).scalar_one()
    assert (order.platform_order_id, order.points_awarded, str(order.earn_base)) == ("250", 90, "90.0000")


def test_refund_callback_reverses_the_refunded_share(client, session, shop, api):
    serve_order(api)
    paid = fixture_bytes("bigcommerce/store_order_statusUpdated.json")
    assert post(client, shop, paid, signed_headers(paid)).json["note"] == "awarded 90 points"

    api.reset()
    serve_order(api, order={**ORDER, "status_id": 14}, refunds=[REFUND])
    refund = fixture_bytes("bigcommerce/store_order_refund_created.json")
    response = post(client, shop, refund, signed_headers(refund, webhook_id="msg_3"))

    assert response.status_code == 200, response.json
    assert response.json["note"] == "refund 3 reversed 45 points"
    assert verify_balances(session, shop_id=shop.id) == []


def test_created_callback_with_the_custom_token_header_waits_for_payment(client, session, shop, api):
    serve_order(api, order={**ORDER, "status_id": 7})
    body = fixture_bytes("bigcommerce/store_order_created.json")

    response = post(client, shop, body, {"Content-Type": "application/json",
                                         "X-Loyalty-Webhook-Token": WEBHOOK_SECRET})

    assert response.status_code == 200, response.json
    assert "waiting for payment" in response.json["note"]
    assert count(session, LedgerEntry, shop) == 0


def test_other_scopes_answer_200_unhandled_without_calling_the_api(client, session, shop, api):
    body = fixture_bytes("bigcommerce/store_customer_created.json")
    response = post(client, shop, body, signed_headers(body))
    assert response.status_code == 200
    assert response.json["status"] == "ignored"
    assert len(api.calls) == 0


def test_a_tampered_byte_is_401_and_stores_nothing(client, session, shop, api):
    body = fixture_bytes("bigcommerce/store_order_statusUpdated.json")
    headers = signed_headers(body)
    tampered = body.replace(b'"new_status_id": 11', b'"new_status_id": 10')
    assert tampered != body

    response = post(client, shop, tampered, headers)

    assert response.status_code == 401
    assert response.json["error"]["code"] == "invalid_signature"
    assert count(session, InboundDelivery, shop) == 0
    assert len(api.calls) == 0


@pytest.mark.parametrize("age", [330, -330])
def test_a_timestamp_more_than_five_minutes_away_is_401(client, session, shop, api, age):
    body = fixture_bytes("bigcommerce/store_order_statusUpdated.json")
    response = post(client, shop, body, signed_headers(body, timestamp=int(time.time()) - age))
    assert response.status_code == 401
    assert "5 minutes" in response.json["error"]["message"]
    assert count(session, InboundDelivery, shop) == 0


@pytest.mark.parametrize("headers, message", [
    ({}, "Missing X-Loyalty-Webhook-Token or webhook-signature"),
    ({"X-Loyalty-Webhook-Token": "not-the-secret"}, "does not match this shop"),
])
def test_missing_or_wrong_token_is_401(client, session, shop, headers, message):
    body = fixture_bytes("bigcommerce/store_order_created.json")
    response = post(client, shop, body, {"Content-Type": "application/json", **headers})
    assert response.status_code == 401
    assert message in response.json["error"]["message"]
    assert CLIENT_SECRET not in response.get_data(as_text=True)


def test_a_valid_token_does_not_excuse_a_bad_signature(client, session, shop):
    body = fixture_bytes("bigcommerce/store_order_created.json")
    headers = {**signed_headers(body, secret="another-secret"), "X-Loyalty-Webhook-Token": WEBHOOK_SECRET}
    assert post(client, shop, body, headers).status_code == 401


@pytest.mark.parametrize("failure", [
    {"status": 500, "json": {"status": 500, "title": "Internal Server Error"}},
    {"body": requests.ReadTimeout("read timed out")},
])
def test_api_failure_during_fetch_is_503_with_nothing_applied_and_a_retry_succeeds(
        client, session, shop, api, failure):
    api.get(ORDER_URL, **failure)
    body = fixture_bytes("bigcommerce/store_order_statusUpdated.json")

    failed = post(client, shop, body, signed_headers(body))

    assert failed.status_code == 503
    assert failed.json["error"]["code"] == "provider_unavailable"
    assert "bc-token" not in failed.get_data(as_text=True)
    assert count(session, Order, shop) == 0
    assert count(session, LedgerEntry, shop) == 0
    delivery = session.execute(select(InboundDelivery).where(InboundDelivery.shop_id == shop.id)
                               ).scalar_one()
    assert delivery.status is DeliveryStatus.FAILED

    api.reset()
    serve_order(api)
    retried = post(client, shop, body, signed_headers(body, webhook_id="msg_retry"))

    assert retried.status_code == 200, retried.json
    assert retried.json["note"] == "awarded 90 points"
    session.refresh(delivery)
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.PROCESSED, 2)


def test_a_repeated_hash_is_a_duplicate(client, session, shop, api):
    serve_order(api)
    body = fixture_bytes("bigcommerce/store_order_statusUpdated.json")
    first = post(client, shop, body, signed_headers(body, webhook_id="a"))
    second = post(client, shop, body, signed_headers(body, webhook_id="b"))
    assert first.json["status"] == "processed"
    assert second.json["status"] == "duplicate"
    assert len(api.calls) == 3  # the duplicate fetched nothing
    assert count(session, LedgerEntry, shop) == 1


def test_no_credentials_is_503_so_bigcommerce_retries(client, session):
    shop, _ = make_shop(session, platform=Platform.BIGCOMMERCE, domain="bare.mybigcommerce.com")
    body = fixture_bytes("bigcommerce/store_order_statusUpdated.json")
    response = post(client, shop, body, {"Content-Type": "application/json",
                                         "X-Loyalty-Webhook-Token": WEBHOOK_SECRET})
    assert response.status_code == 503
    assert response.json["error"]["code"] == "provider_not_configured"
    assert "loyalty shop credentials" in response.json["error"]["message"]


def test_a_callback_that_is_not_an_order_is_400_and_kept_as_rejected(client, session, shop):
    payload = json.loads(fixture_bytes("bigcommerce/store_order_created.json"))
    broken = copy.deepcopy(payload)
    broken["data"] = {"type": "order"}
    body = json.dumps(broken).encode()
    response = post(client, shop, body, signed_headers(body))
    assert response.status_code == 400
    assert "data.id" in response.json["error"]["message"]
    delivery = session.execute(select(InboundDelivery).where(InboundDelivery.shop_id == shop.id)
                               ).scalar_one()
    assert delivery.status is DeliveryStatus.REJECTED
