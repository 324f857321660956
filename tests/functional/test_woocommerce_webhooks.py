"""WooCommerce deliveries through HTTP: the docs sample order, signed in the test."""
from __future__ import annotations

import json

from sqlalchemy import func, select

from loyalty_plugin.models import (AwardOn, DeliveryStatus, InboundDelivery, LedgerEntry, Order,
                                   Platform)
from loyalty_plugin.services.ledger import verify_balances
from tests.factories import WEBHOOK_SECRET, fixture_bytes, make_shop, unique
from webhooks.woocommerce import sign

ORDER_723 = "woocommerce/order-723-completed-with-refunds.json"


def woo_shop(session, **settings):
    return make_shop(session, platform=Platform.WOOCOMMERCE, domain=f"{unique('woo')}.example.com",
                     **settings)


def woo_headers(topic: str, body: bytes, secret: str = WEBHOOK_SECRET) -> dict[str, str]:
    resource, _, event = topic.partition(".")
    return {"Content-Type": "application/json", "X-WC-Webhook-Topic": topic,
            "X-WC-Webhook-Resource": resource, "X-WC-Webhook-Event": event,
            "X-WC-Webhook-Signature": sign(body, secret), "X-WC-Webhook-ID": "3",
            "X-WC-Webhook-Delivery-ID": unique("wc-delivery-"),
            "X-WC-Webhook-Source": "https://example.com/"}


def post_woo(client, shop, topic: str, body: bytes | dict, **headers):
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return client.post(f"/webhooks/woocommerce/{shop.id}", data=raw,
                       headers={**woo_headers(topic, raw), **headers})


def order_723(**changes) -> dict:
    payload = json.loads(fixture_bytes(ORDER_723))
    payload.update(changes)
    return payload


def processing_723() -> dict:
    return order_723(status="processing", refunds=[], date_modified_gmt="2017-03-21T19:16:05",
                     date_completed=None, date_completed_gmt=None)


def points(client, api_key, external_id="26") -> dict:
    response = client.get(f"/api/v1/customers/{external_id}",
                          headers={"Authorization": f"Bearer {api_key}"})
    assert response.status_code == 200, response.json
    return response.json["points"]


def count(session, model, shop) -> int:
    return session.execute(select(func.count()).select_from(model)
                           .where(model.shop_id == shop.id)).scalar_one()


def test_the_stored_sample_awards_on_line_items_and_reverses_its_refunds(client, session):
    shop, api_key = woo_shop(session)
    response = post_woo(client, shop, "order.updated", fixture_bytes(ORDER_723))
    assert response.status_code == 200, response.json
    assert response.json["status"] == "processed"
    # 29.00 of line items (not the 10.00 shipping); 19.00 of 39.00 refunded takes back
    # the same share of the items: 29 * 14.1282 / 29, rounded.
    assert "awarded 29 points" in response.json["note"]
    assert points(client, api_key) == {"available": 15, "pending": 0, "lifetime": 15}
    assert verify_balances(session, shop_id=shop.id) == []


def test_processing_then_refunds_then_refunded_reverses_exactly(client, session):
    shop, api_key = woo_shop(session)
    assert post_woo(client, shop, "order.created", order_723(status="pending", refunds=[],
                                                             date_modified_gmt="2017-03-21T19:16:00")
                    ).json["note"] == "waiting for payment"
    paid = post_woo(client, shop, "order.updated", processing_723())
    assert paid.json["note"] == "awarded 29 points"
    assert points(client, api_key)["available"] == 29
    assert post_woo(client, shop, "order.updated", fixture_bytes(ORDER_723)).status_code == 200
    assert points(client, api_key)["available"] == 15
    refunded = order_723(status="refunded", date_modified_gmt="2017-03-22T10:00:00",
                         refunds=[{"id": 726, "refund": "", "total": "-10.00"},
                                  {"id": 724, "refund": "", "total": "-9.00"},
                                  {"id": 730, "refund": "", "total": "-20.00"}])
    response = post_woo(client, shop, "order.updated", refunded)
    assert response.status_code == 200
    assert points(client, api_key) == {"available": 0, "pending": 0, "lifetime": 0}
    order = session.execute(select(Order).where(Order.shop_id == shop.id)).scalar_one()
    assert (order.points_awarded, order.points_reversed) == (29, 29)
    assert verify_balances(session, shop_id=shop.id) == []


def test_a_repeated_identical_snapshot_is_a_duplicate(client, session):
    shop, api_key = woo_shop(session)
    body = fixture_bytes(ORDER_723)
    first = post_woo(client, shop, "order.updated", body)
    second = post_woo(client, shop, "order.updated", body)
    assert first.json["status"] == "processed"
    assert second.status_code == 200
    assert second.json == {"status": "duplicate", "delivery_id": first.json["delivery_id"]}
    assert count(session, InboundDelivery, shop) == 1
    assert points(client, api_key)["available"] == 15


def test_an_update_that_changes_nothing_changes_nothing(client, session):
    shop, api_key = woo_shop(session)
    post_woo(client, shop, "order.updated", fixture_bytes(ORDER_723))
    entries = count(session, LedgerEntry, shop)
    # Same state, other bytes: a note edited, the modification time moved on.
    touched = order_723(customer_note="please knock", date_modified_gmt="2017-03-22T08:00:00")
    response = post_woo(client, shop, "order.updated", touched)
    assert response.status_code == 200
    assert response.json["status"] == "processed"
    assert response.json["note"] == "no change"
    assert count(session, LedgerEntry, shop) == entries
    assert count(session, InboundDelivery, shop) == 2
    assert points(client, api_key)["available"] == 15


def test_refunds_seen_before_the_paid_snapshot_converge(client, session):
    in_order, key_a = woo_shop(session)
    post_woo(client, in_order, "order.created", processing_723())
    post_woo(client, in_order, "order.updated", fixture_bytes(ORDER_723))
    reordered, key_b = woo_shop(session)
    post_woo(client, reordered, "order.updated", fixture_bytes(ORDER_723))
    late = post_woo(client, reordered, "order.created", processing_723())
    assert late.json["note"] == "no change"
    assert points(client, key_a) == points(client, key_b) == {"available": 15, "pending": 0,
                                                              "lifetime": 15}


def test_a_stale_paid_snapshot_after_a_cancellation_awards_nothing(client, session):
    shop, api_key = woo_shop(session)
    post_woo(client, shop, "order.updated", order_723(status="cancelled", refunds=[]))
    post_woo(client, shop, "order.created", processing_723())
    assert points(client, api_key)["available"] == 0


def test_the_ping_answers_200_and_stores_nothing(client, session):
    shop, _ = woo_shop(session)
    response = client.post(f"/webhooks/woocommerce/{shop.id}", data=b"webhook_id=3",
                           headers={"Content-Type": "application/x-www-form-urlencoded",
                                    "User-Agent": "WooCommerce/8.6.1 Hookshot (WordPress/6.4.3)"})
    assert response.status_code == 200
    assert response.json["status"] == "acknowledged"
    assert count(session, InboundDelivery, shop) == 0


def test_a_tampered_byte_is_401_and_nothing_is_stored(client, session):
    shop, _ = woo_shop(session)
    body = fixture_bytes(ORDER_723)
    headers = woo_headers("order.updated", body)
    tampered = body.replace(b'"total": "20.00"', b'"total": "90.00"', 1)
    assert tampered != body
    response = client.post(f"/webhooks/woocommerce/{shop.id}", data=tampered, headers=headers)
    assert response.status_code == 401
    assert response.json["error"]["code"] == "invalid_signature"
    assert count(session, InboundDelivery, shop) == 0
    assert count(session, Order, shop) == 0


def test_a_shopify_shop_id_is_not_a_woocommerce_shop(client, session):
    shopify_shop, _ = make_shop(session)
    body = fixture_bytes(ORDER_723)
    response = client.post(f"/webhooks/woocommerce/{shopify_shop.id}", data=body,
                           headers=woo_headers("order.updated", body))
    assert response.status_code == 404
    assert response.json["error"]["code"] == "shop_not_found"


def test_wrong_content_type_is_415_and_nothing_is_stored(client, session):
    shop, _ = woo_shop(session)
    response = post_woo(client, shop, "order.updated", fixture_bytes(ORDER_723),
                        **{"Content-Type": "text/plain"})
    assert response.status_code == 415
    assert response.json["error"]["code"] == "unsupported_media_type"
    assert count(session, InboundDelivery, shop) == 0


def test_malformed_json_is_400_and_only_the_authentic_delivery_is_kept(client, session):
    shop, _ = woo_shop(session)
    forged = client.post(f"/webhooks/woocommerce/{shop.id}", data=b"{nope",
                         headers={**woo_headers("order.updated", b"{nope", secret="forged")})
    assert forged.status_code == 401
    response = post_woo(client, shop, "order.updated", b"{nope")
    assert response.status_code == 400
    assert "not valid JSON" in response.json["error"]["message"]
    deliveries = session.execute(select(InboundDelivery).where(
        InboundDelivery.shop_id == shop.id)).scalars().all()
    assert [d.status for d in deliveries] == [DeliveryStatus.REJECTED]


def test_missing_and_wrong_fields_are_400_naming_them(client, session):
    shop, _ = woo_shop(session)
    cases = [
        (order_723(id=None), "order id"),
        (order_723(status=None), "status"),
        (order_723(line_items=[{"id": 1, "name": "x"}]), "line_items[0].total"),
        (order_723(refunds=[{"id": 9, "total": "lots"}]), "refunds[0].total"),
        (order_723(date_modified_gmt=17), "date_modified_gmt"),
    ]
    for payload, field in cases:
        response = post_woo(client, shop, "order.updated", payload)
        assert response.status_code == 400, payload
        assert field in response.json["error"]["message"]
    assert count(session, LedgerEntry, shop) == 0


def test_missing_topic_is_400(client, session):
    shop, _ = woo_shop(session)
    body = fixture_bytes(ORDER_723)
    headers = woo_headers("order.updated", body)
    del headers["X-WC-Webhook-Topic"]
    response = client.post(f"/webhooks/woocommerce/{shop.id}", data=body, headers=headers)
    assert response.status_code == 400
    assert "X-WC-Webhook-Topic" in response.json["error"]["message"]


def test_a_guest_order_joins_the_customer_created_later(client, session):
    shop, api_key = woo_shop(session)
    post_woo(client, shop, "order.created", order_723(customer_id=0, refunds=[]))
    created = post_woo(client, shop, "customer.created",
                       {"id": 26, "email": "Joao.Silva@example.com", "first_name": "João"})
    assert created.status_code == 200
    assert points(client, api_key)["available"] == 29


def test_trashing_an_order_keeps_its_points(client, session):
    shop, api_key = woo_shop(session)
    post_woo(client, shop, "order.updated", fixture_bytes(ORDER_723))
    response = post_woo(client, shop, "order.deleted", {"id": 723})
    assert response.status_code == 200
    assert response.json["status"] == "ignored"
    assert points(client, api_key)["available"] == 15


def test_award_on_fulfilment_waits_for_completed(client, session):
    shop, api_key = woo_shop(session, award_on=AwardOn.FULFILLED)
    assert post_woo(client, shop, "order.updated", processing_723()).json["note"] == \
        "waiting for fulfilment"
    post_woo(client, shop, "order.updated", order_723(refunds=[]))
    assert points(client, api_key)["available"] == 29
