"""Custom-store deliveries through HTTP, with the README's example bodies."""
from __future__ import annotations

import json
import time

from sqlalchemy import func, select

from loyalty_plugin.models import DeliveryStatus, InboundDelivery, LedgerEntry, Order, Platform
from loyalty_plugin.services.ledger import verify_balances
from tests.factories import WEBHOOK_SECRET, fixture_bytes, make_shop, unique
from webhooks.custom import sign

ORDER = "custom/order-paid.json"
REFUND = "custom/refund.json"


def custom_shop(session, **settings):
    return make_shop(session, platform=Platform.CUSTOM, domain=f"{unique('store')}.example.com",
                     **settings)


def post_custom(client, shop, body: bytes | dict, *, timestamp: int | None = None,
                secret: str = WEBHOOK_SECRET, content_type: str = "application/json"):
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    timestamp = int(time.time()) if timestamp is None else timestamp
    return client.post(f"/webhooks/custom/{shop.id}", data=raw, headers={
        "Content-Type": content_type,
        "X-Loyalty-Signature": f"t={timestamp},v1={sign(raw, secret, timestamp)}"})


def order_event(event_id: str | None = None, **changes) -> dict:
    payload = json.loads(fixture_bytes(ORDER))
    payload["id"] = event_id or unique("evt-")
    payload["order"].update(changes)
    return payload


def refund_event(refund_id: str, subtotal: str, order_id: str = "1001") -> dict:
    return {"id": unique("evt-"), "type": "refund",
            "refund": {"id": refund_id, "order_id": order_id, "subtotal": subtotal}}


def points(client, api_key, external_id: str = "42") -> dict:
    response = client.get(f"/api/v1/customers/{external_id}",
                          headers={"Authorization": f"Bearer {api_key}"})
    assert response.status_code == 200, response.json
    return response.json["points"]


def count(session, model, shop) -> int:
    return session.execute(select(func.count()).select_from(model)
                           .where(model.shop_id == shop.id)).scalar_one()


def test_the_readme_examples_award_then_reverse_exactly(client, session):
    shop, api_key = custom_shop(session)
    paid = post_custom(client, shop, fixture_bytes(ORDER))
    assert paid.status_code == 200, paid.json
    assert paid.json == {"status": "processed", "note": "awarded 90 points",
                         "delivery_id": "evt-1001-paid"}
    refund = post_custom(client, shop, fixture_bytes(REFUND))
    assert refund.json["note"] == "refund r1 reversed 30 points"
    assert points(client, api_key) == {"available": 60, "pending": 0, "lifetime": 60}
    cancelled = post_custom(client, shop, order_event(status="cancelled",
                                                      updated_at="2026-11-21T10:00:00Z"))
    assert cancelled.json["note"] == "cancelled: reversed 60 points"
    assert points(client, api_key)["available"] == 0
    assert verify_balances(session, shop_id=shop.id) == []


def test_a_repeated_event_id_does_nothing(client, session):
    shop, api_key = custom_shop(session)
    first = post_custom(client, shop, fixture_bytes(ORDER))
    again = post_custom(client, shop, fixture_bytes(ORDER), timestamp=int(time.time()) - 10)
    assert first.json["status"] == "processed"
    assert again.json == {"status": "duplicate", "delivery_id": "evt-1001-paid"}
    assert count(session, InboundDelivery, shop) == 1
    assert points(client, api_key)["available"] == 90


def test_the_same_order_under_new_event_ids_awards_once(client, session):
    shop, api_key = custom_shop(session)
    for _ in range(3):
        assert post_custom(client, shop, order_event()).status_code == 200
    assert points(client, api_key)["available"] == 90
    assert count(session, LedgerEntry, shop) == 1


def test_a_refund_before_the_paid_order_converges(client, session):
    shop, api_key = custom_shop(session)
    early = post_custom(client, shop, fixture_bytes(REFUND))
    assert early.json["status"] == "ignored"
    post_custom(client, shop, order_event(status="pending"))
    assert points(client, api_key)["available"] == 0
    post_custom(client, shop, fixture_bytes(ORDER))
    assert points(client, api_key)["available"] == 60


def test_a_guest_order_earns_on_its_email(client, session):
    shop, _ = custom_shop(session)
    response = post_custom(client, shop, order_event(customer={"email": "guest@example.com"}))
    assert response.json["note"] == "awarded 90 points"


def test_shipping_and_tax_count_only_when_the_shop_says_so(client, session):
    shop, api_key = custom_shop(session, include_shipping=True, include_taxes=True)
    post_custom(client, shop, fixture_bytes(ORDER))
    assert points(client, api_key)["available"] == 102  # 90 + 5 + 7.60, rounded down


def test_a_stale_delivery_is_401_and_nothing_is_stored(client, session):
    shop, _ = custom_shop(session)
    response = post_custom(client, shop, fixture_bytes(ORDER), timestamp=int(time.time()) - 301)
    assert response.status_code == 401
    assert response.json["error"]["code"] == "invalid_signature"
    assert count(session, InboundDelivery, shop) == 0


def test_a_tampered_byte_is_401_and_nothing_is_stored(client, session):
    shop, _ = custom_shop(session)
    body = fixture_bytes(ORDER)
    now = int(time.time())
    signature = f"t={now},v1={sign(body, WEBHOOK_SECRET, now)}"
    response = client.post(f"/webhooks/custom/{shop.id}", data=body.replace(b"90.00", b"99.00"),
                           headers={"Content-Type": "application/json",
                                    "X-Loyalty-Signature": signature})
    assert response.status_code == 401
    assert count(session, InboundDelivery, shop) == 0
    assert count(session, Order, shop) == 0


def test_wrong_content_type_is_415(client, session):
    shop, _ = custom_shop(session)
    response = post_custom(client, shop, fixture_bytes(ORDER), content_type="text/plain")
    assert response.status_code == 415
    assert response.json["error"]["code"] == "unsupported_media_type"


def test_malformed_json_is_400_and_only_the_authentic_delivery_is_kept(client, session):
    shop, _ = custom_shop(session)
    assert post_custom(client, shop, b'{"id": "evt-x"', secret="forged").status_code == 401
    response = post_custom(client, shop, b'{"id": "evt-x"')
    assert response.status_code == 400
    assert "not valid JSON" in response.json["error"]["message"]
    deliveries = session.execute(select(InboundDelivery).where(
        InboundDelivery.shop_id == shop.id)).scalars().all()
    assert [d.status for d in deliveries] == [DeliveryStatus.REJECTED]


def test_every_field_problem_is_a_400_naming_the_field(client, session):
    shop, _ = custom_shop(session)
    cases = [
        (order_event(subtotal=None), "order.subtotal is missing"),
        (order_event(subtotl="1.00"), "order.subtotl is not a field"),
        (order_event(status="shipped"), "order.status"),
        (order_event(customer={}), "order.customer needs an id, an email or both"),
        (refund_event("r9", "-3"), "refund.subtotal must not be negative"),
        ({"id": unique("evt-"), "type": "order"}, 'carries exactly one "order"'),
    ]
    for payload, message in cases:
        response = post_custom(client, shop, payload)
        assert response.status_code == 400, payload
        assert response.json["error"]["code"] == "bad_request"
        assert message in response.json["error"]["message"]
        assert response.json["error"]["details"]["delivery_id"] == payload["id"]
    assert count(session, LedgerEntry, shop) == 0
