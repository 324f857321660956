"""Shopify deliveries through HTTP: real payloads, signed in the test."""
from __future__ import annotations

import json

from sqlalchemy import func, select

from loyalty_plugin.models import DeliveryStatus, InboundDelivery, LedgerEntry, Order
from loyalty_plugin.services.ledger import verify_balances
from tests.factories import (fixture_bytes, make_shop, post_shopify, shopify_headers, shopify_order,
                             unique)


def _unwrap(relative: str, key: str) -> bytes:
    """Webhook bodies are the bare resource; the SDK fixtures wrap it in an envelope."""
    return json.dumps(json.loads(fixture_bytes(relative))[key]).encode()


def _deliveries(session, shop) -> int:
    return session.execute(select(func.count()).select_from(InboundDelivery)
                           .where(InboundDelivery.shop_id == shop.id)).scalar_one()


def _customer(client, api_key, external_id):
    return client.get(f"/api/v1/customers/{external_id}",
                      headers={"Authorization": f"Bearer {api_key}"})


def test_paid_order_awards_points_from_shop_money(client, session):
    shop, api_key = make_shop(session)
    response = post_shopify(client, shop, "orders/paid", shopify_order(customer_id=77, subtotal="120.50"))
    assert response.status_code == 200, response.json
    assert response.json["status"] == "processed"
    body = _customer(client, api_key, "77").json
    assert body["points"] == {"available": 120, "pending": 0, "lifetime": 120}
    assert body["email"] == "bob.norman@example.com"


def test_sdk_order_fixture_awards_nothing_until_paid_then_refund_fixture_reverses(client, session):
    shop, api_key = make_shop(session)
    order = _unwrap("shopify/order.json", "order")
    created = post_shopify(client, shop, "orders/create", order)
    assert created.status_code == 200
    assert "waiting for payment" in created.json["note"]
    assert _customer(client, api_key, "207119551").json["points"]["available"] == 0

    paid = post_shopify(client, shop, "orders/paid", order)
    assert paid.json["note"] == "awarded 398 points"
    refund = post_shopify(client, shop, "refunds/create", _unwrap("shopify/refund.json", "refund"))
    assert refund.status_code == 200
    # Both refunded lines (2 x 199.00) make up the whole 398.00 subtotal.
    assert "reversed 398 points" in refund.json["note"]
    assert _customer(client, api_key, "207119551").json["points"] == {
        "available": 0, "pending": 0, "lifetime": 0}
    assert verify_balances(session, shop_id=shop.id) == []


def test_docs_sample_test_order_is_skipped(client, session):
    shop, _ = make_shop(session)
    body = fixture_bytes("shopify/orders-create-docs-sample.json")
    response = post_shopify(client, shop, "orders/create", body)
    assert response.status_code == 200
    assert response.json["status"] == "ignored"
    assert "test order" in response.json["note"]
    order = session.execute(select(Order).where(Order.shop_id == shop.id)).scalar_one()
    # Above 2**53: kept exact, never through a float.
    assert order.platform_order_id == "820982911946154508"


def test_duplicate_webhook_id_does_nothing(client, session):
    shop, _ = make_shop(session)
    payload = json.dumps(shopify_order(customer_id=5)).encode()
    first = post_shopify(client, shop, "orders/paid", payload, webhook_id="same-id")
    second = post_shopify(client, shop, "orders/paid", payload, webhook_id="same-id")
    assert first.json["status"] == "processed"
    assert second.json == {"status": "duplicate", "delivery_id": "same-id"}
    count = session.execute(select(func.count()).select_from(InboundDelivery)
                            .where(InboundDelivery.shop_id == shop.id)).scalar_one()
    assert count == 1


def test_same_order_under_new_delivery_ids_awards_once(client, session):
    shop, api_key = make_shop(session)
    payload = shopify_order(customer_id=6)
    for topic in ("orders/paid", "orders/paid", "orders/updated", "orders/create"):
        assert post_shopify(client, shop, topic, payload).status_code == 200
    assert _customer(client, api_key, "6").json["points"]["available"] == 100
    earns = session.execute(select(func.count()).select_from(LedgerEntry)
                            .where(LedgerEntry.shop_id == shop.id)).scalar_one()
    assert earns == 1


def test_tampered_body_is_rejected_and_nothing_stored(client, session):
    shop, _ = make_shop(session)
    body = json.dumps(shopify_order()).encode()
    headers = shopify_headers(shop, "orders/paid", body)
    tampered = body.replace(b"100.00", b"900.00", 1)
    response = client.post(f"/webhooks/shopify/{shop.id}", data=tampered, headers=headers)
    assert response.status_code == 401
    assert response.json["error"]["code"] == "invalid_signature"
    assert _deliveries(session, shop) == 0


def test_wrong_secret_missing_hmac_and_wrong_domain_answer_401(client, session):
    shop, _ = make_shop(session)
    body = json.dumps(shopify_order()).encode()
    wrong = shopify_headers(shop, "orders/paid", body, secret="not-the-secret")
    missing = shopify_headers(shop, "orders/paid", body)
    del missing["X-Shopify-Hmac-Sha256"]
    other_domain = shopify_headers(shop, "orders/paid", body)
    other_domain["X-Shopify-Shop-Domain"] = "someone-else.myshopify.com"
    for headers in (wrong, missing, other_domain):
        response = client.post(f"/webhooks/shopify/{shop.id}", data=body, headers=headers)
        assert response.status_code == 401, headers
        assert response.json["error"]["message"]
    assert _deliveries(session, shop) == 0


def test_previous_secret_still_verifies_during_rotation(client, session):
    shop, _ = make_shop(session)
    shop.previous_webhook_secret = "old-secret"
    shop.webhook_secret = "new-secret"
    session.flush()
    response = post_shopify(client, shop, "orders/paid", shopify_order(), secret="old-secret")
    assert response.status_code == 200


def test_unknown_shop_and_platform_answer_404_json(client, session):
    shop, _ = make_shop(session)
    body = json.dumps(shopify_order()).encode()
    headers = shopify_headers(shop, "orders/paid", body)
    for url in ("/webhooks/shopify/999999", "/webhooks/shopify/abc", "/webhooks/shopify/" + "9" * 40,
                "/webhooks/nosuch/1"):
        response = client.post(url, data=body, headers=headers)
        assert response.status_code == 404, url
        assert response.json["error"]["code"] in ("shop_not_found", "not_found")


def test_malformed_json_is_400_and_kept_as_rejected(client, session):
    shop, _ = make_shop(session)
    response = post_shopify(client, shop, "orders/paid", b"{not json", webhook_id="bad-1")
    assert response.status_code == 400
    assert "not valid JSON" in response.json["error"]["message"]
    delivery = session.execute(select(InboundDelivery).where(
        InboundDelivery.delivery_id == "bad-1")).scalar_one()
    assert delivery.status is DeliveryStatus.REJECTED


def test_wrong_types_are_400_naming_the_field(client, session):
    shop, _ = make_shop(session)
    cases = [
        ({"id": None}, "order id"),
        (shopify_order(subtotal_price_set=None, subtotal_price="lots"), "subtotal_price"),
        (shopify_order(line_items="nope"), "line_items"),
        (shopify_order(updated_at=12), "updated_at"),
        ([1, 2, 3], "JSON object"),
    ]
    for payload, expected in cases:
        response = post_shopify(client, shop, "orders/paid", json.dumps(payload).encode())
        assert response.status_code == 400, payload
        assert expected in response.json["error"]["message"]
    assert session.execute(select(func.count()).select_from(LedgerEntry)
                           .where(LedgerEntry.shop_id == shop.id)).scalar_one() == 0


def test_wrong_content_type_and_missing_topic(client, session):
    shop, _ = make_shop(session)
    body = json.dumps(shopify_order()).encode()
    headers = shopify_headers(shop, "orders/paid", body)
    headers["Content-Type"] = "text/plain"
    assert client.post(f"/webhooks/shopify/{shop.id}", data=body, headers=headers).status_code == 415
    headers = shopify_headers(shop, "orders/paid", body)
    del headers["X-Shopify-Topic"]
    response = client.post(f"/webhooks/shopify/{shop.id}", data=body, headers=headers)
    assert response.status_code == 400
    assert "X-Shopify-Topic" in response.json["error"]["message"]


def test_huge_body_is_413_json(app, session):
    shop, _ = make_shop(session)
    app.config["MAX_CONTENT_LENGTH"] = 1024
    body = b'{"id": 1, "pad": "' + b"x" * 4096 + b'"}'
    response = app.test_client().post(f"/webhooks/shopify/{shop.id}", data=body,
                                      headers=shopify_headers(shop, "orders/paid", body))
    assert response.status_code == 413
    assert response.json["error"]["code"] == "payload_too_large"


def test_unknown_topic_is_200_and_logged_as_ignored(client, session):
    shop, _ = make_shop(session)
    response = post_shopify(client, shop, "products/update", {"id": 1})
    assert response.status_code == 200
    assert response.json["status"] == "ignored"


def test_guest_order_with_email_joins_customer_later(client, session):
    shop, api_key = make_shop(session)
    post_shopify(client, shop, "orders/paid", shopify_order(customer_id=None, email="Guest@Example.com"))
    created = post_shopify(client, shop, "customers/create",
                           {"id": 4242, "email": "guest@example.com", "first_name": "Gia"})
    assert created.status_code == 200
    assert _customer(client, api_key, "4242").json["points"]["available"] == 100


def test_order_without_customer_or_email_awards_nothing_and_says_why(client, session):
    shop, _ = make_shop(session)
    response = post_shopify(client, shop, "orders/paid", shopify_order(customer_id=None, email=None))
    assert response.status_code == 200
    assert response.json["status"] == "ignored"
    assert "no customer or email" in response.json["note"]


def test_privacy_topics(client, session):
    shop, api_key = make_shop(session)
    post_shopify(client, shop, "orders/paid", shopify_order(customer_id=31, email="p@example.com"))
    request = {"shop_id": 1, "shop_domain": shop.domain, "orders_requested": [1],
               "customer": {"id": 31, "email": "p@example.com", "phone": None},
               "data_request": {"id": 9}}
    assert post_shopify(client, shop, "customers/data_request", request).status_code == 200
    redact = {"shop_id": 1, "shop_domain": shop.domain, "orders_to_redact": [],
              "customer": {"id": 31, "email": "p@example.com", "phone": None}}
    response = post_shopify(client, shop, "customers/redact", redact)
    assert response.status_code == 200
    assert _customer(client, api_key, "31").status_code == 404
    bodies = session.execute(select(InboundDelivery.body).where(
        InboundDelivery.shop_id == shop.id, InboundDelivery.topic == "orders/paid")).scalars().all()
    assert bodies == [None]
    assert verify_balances(session, shop_id=shop.id) == []


def test_shop_redact_deletes_everything(client, session):
    shop, api_key = make_shop(session)
    post_shopify(client, shop, "orders/paid", shopify_order(customer_id=8))
    response = post_shopify(client, shop, "shop/redact", {"shop_id": 1, "shop_domain": shop.domain})
    assert response.status_code == 200
    assert session.execute(select(func.count()).select_from(Order)
                           .where(Order.shop_id == shop.id)).scalar_one() == 0
    assert _customer(client, api_key, "8").status_code == 401


def test_app_uninstalled_stops_awarding(client, session):
    shop, api_key = make_shop(session)
    assert post_shopify(client, shop, "app/uninstalled", {"id": 1}).status_code == 200
    post_shopify(client, shop, "orders/paid", shopify_order(customer_id=9))
    assert _customer(client, api_key, "9").json["points"]["available"] == 0


def test_delivery_ids_are_scoped_per_shop(client, session):
    first, _ = make_shop(session)
    second, key2 = make_shop(session)
    post_shopify(client, first, "orders/paid", shopify_order(customer_id=3), webhook_id="w1")
    response = post_shopify(client, second, "orders/paid", shopify_order(customer_id=3), webhook_id="w1")
    assert response.json["status"] == "processed"
    assert _customer(client, key2, "3").json["points"]["available"] == 100
    assert unique()


def test_out_of_range_numbers_and_absurd_nesting_are_400_not_500(client, session):
    shop, _ = make_shop(session)
    huge_line = shopify_order(subtotal_price_set=None, subtotal_price="1e30")
    many = shopify_order()
    many["line_items"][0]["quantity"] = 10**12
    many["line_items"][0]["gift_card"] = True
    for payload in (huge_line, many):
        response = post_shopify(client, shop, "orders/paid", payload)
        assert response.status_code == 400, response.json
    nested = b"[" * 100_000 + b"]" * 100_000
    assert post_shopify(client, shop, "orders/paid", nested).status_code == 400
    long_number = b'{"id": ' + b"9" * 5000 + b"}"
    assert post_shopify(client, shop, "orders/paid", long_number).status_code == 400


def test_the_app_wide_address_serves_the_shop_its_domain_header_names(client, session):
    shop, _ = make_shop(session)
    body = json.dumps({"shop_id": 1, "shop_domain": shop.domain,
                       "customer": {"id": 9, "email": "gone@example.com"},
                       "orders_to_redact": []}).encode()
    headers = shopify_headers(shop, "customers/redact", body)

    ok = client.post("/webhooks/shopify", data=body, headers=headers)

    assert ok.status_code == 200 and ok.json["status"] == "processed"
    tampered = client.post("/webhooks/shopify", data=body + b" ", headers=headers)
    assert tampered.status_code == 401
    unknown = client.post("/webhooks/shopify", data=body,
                          headers={**headers, "X-Shopify-Shop-Domain": "nobody.myshopify.com"})
    assert unknown.status_code == 401 and unknown.json["error"]["code"] == "invalid_signature"
    assert client.post("/webhooks/shopify", data=body, headers={
        k: v for k, v in headers.items() if k != "X-Shopify-Shop-Domain"}).status_code == 401
