"""Stripe deliveries through HTTP: the sample objects wrapped in the sample event, signed in the test."""
from __future__ import annotations

import json
import time

import stripe
from sqlalchemy import func, select

from loyalty_plugin.models import DeliveryStatus, InboundDelivery, LedgerEntry, Order, Platform
from loyalty_plugin.services.ledger import verify_balances
from tests.factories import WEBHOOK_SECRET, fixture_bytes, make_shop, unique

INTENT = "pi_1PgafyB7WZ01zgkWSjxsAJo3"
CUSTOMER = "cus_QXg1hqf4jFNsqG"


def stripe_shop(session, currency: str = "USD", **settings):
    return make_shop(session, platform=Platform.STRIPE, domain=f"{unique('stripe')}.example.com",
                     currency=currency, **settings)


def sample(name: str) -> dict:
    return json.loads(fixture_bytes(f"stripe/{name}.json"))


def paid_session(currency: str = "usd", subtotal: int = 10000, discount: int = 1500, **changes) -> dict:
    session = sample("checkout_session")
    session.update(status="complete", payment_status="paid", currency=currency, livemode=True,
                   customer=CUSTOMER, amount_subtotal=subtotal, amount_total=subtotal - discount,
                   total_details={"amount_discount": discount, "amount_shipping": 0, "amount_tax": 0})
    session.update(changes)
    return session


def refund(refund_id: str, amount: int, currency: str = "usd", **changes) -> dict:
    obj = sample("refund")
    obj.update(id=refund_id, amount=amount, currency=currency, payment_intent=INTENT, **changes)
    return obj


def event(event_type: str, subject: dict, event_id: str | None = None) -> bytes:
    envelope = sample("event")
    envelope.update(id=event_id or unique("evt_"), type=event_type, livemode=True)
    envelope["data"] = {"object": subject}
    return json.dumps(envelope).encode()


def post_stripe(client, shop, body: bytes, *, timestamp: int | None = None,
                secret: str = WEBHOOK_SECRET, content_type: str = "application/json"):
    header = stripe.WebhookSignature.generate_signature_header(body.decode(), secret,
                                                               timestamp=timestamp)
    return client.post(f"/webhooks/stripe/{shop.id}", data=body,
                       headers={"Content-Type": content_type, "Stripe-Signature": header})


def points(client, api_key, external_id: str = CUSTOMER) -> dict:
    response = client.get(f"/api/v1/customers/{external_id}",
                          headers={"Authorization": f"Bearer {api_key}"})
    assert response.status_code == 200, response.json
    return response.json["points"]


def count(session, model, shop) -> int:
    return session.execute(select(func.count()).select_from(model)
                           .where(model.shop_id == shop.id)).scalar_one()


def test_a_paid_checkout_earns_on_subtotal_minus_discount_and_refunds_reverse_exactly(client, session):
    shop, api_key = stripe_shop(session)
    paid = post_stripe(client, shop, event("checkout.session.completed", paid_session()))
    assert paid.status_code == 200, paid.json
    assert paid.json["note"] == "awarded 85 points"
    assert points(client, api_key) == {"available": 85, "pending": 0, "lifetime": 85}

    partial = post_stripe(client, shop, event("refund.created", refund("re_a", 1700)))
    assert partial.json["note"] == "refund re_a reversed 17 points"
    assert points(client, api_key)["available"] == 68

    charge = sample("charge")
    charge.update(payment_intent=INTENT, amount=8500, amount_captured=8500, captured=True,
                  refunded=True, amount_refunded=8500)
    full = post_stripe(client, shop, event("charge.refunded", charge))
    assert full.status_code == 200
    assert points(client, api_key) == {"available": 0, "pending": 0, "lifetime": 0}
    order = session.execute(select(Order).where(Order.shop_id == shop.id)).scalar_one()
    assert order.platform_order_id == INTENT
    assert (order.points_awarded, order.points_reversed) == (85, 85)
    assert verify_balances(session, shop_id=shop.id) == []


def test_yen_amounts_are_not_divided_by_100(client, session):
    shop, api_key = stripe_shop(session, currency="JPY")
    post_stripe(client, shop, event("checkout.session.completed",
                                    paid_session("jpy", subtotal=5000, discount=500)))
    assert points(client, api_key)["available"] == 4500
    post_stripe(client, shop, event("refund.created", refund("re_y", 900, currency="jpy")))
    assert points(client, api_key)["available"] == 3600


def test_dinar_amounts_are_in_thousandths(client, session):
    shop, api_key = stripe_shop(session, currency="KWD", points_per_unit=10)
    post_stripe(client, shop, event("checkout.session.completed",
                                    paid_session("kwd", subtotal=12340, discount=1230)))
    # 11.110 KWD at 10 points per dinar.
    assert points(client, api_key)["available"] == 111


def test_the_same_refund_from_two_event_types_counts_once(client, session):
    shop, api_key = stripe_shop(session)
    post_stripe(client, shop, event("checkout.session.completed", paid_session()))
    post_stripe(client, shop, event("refund.created", refund("re_b", 1000)))
    charge = sample("charge")
    charge.update(payment_intent=INTENT, amount=8500, amount_refunded=1000)
    charge["refunds"]["data"] = [refund("re_b", 1000)]
    again = post_stripe(client, shop, event("charge.refunded", charge))
    assert again.json["note"] == "no change"
    assert points(client, api_key)["available"] == 75


def test_a_refund_before_the_paid_session_converges(client, session):
    shop, api_key = stripe_shop(session)
    early = post_stripe(client, shop, event("refund.created", refund("re_c", 1700)))
    assert early.status_code == 200
    assert early.json["status"] == "ignored"
    paid = post_stripe(client, shop, event("checkout.session.completed", paid_session()))
    assert "awarded 85 points" in paid.json["note"]
    assert "refund re_c reversed 17 points" in paid.json["note"]
    assert points(client, api_key) == {"available": 68, "pending": 0, "lifetime": 68}


def test_a_pending_refund_counts_once_it_succeeds(client, session):
    shop, api_key = stripe_shop(session)
    post_stripe(client, shop, event("checkout.session.completed", paid_session()))
    post_stripe(client, shop, event("refund.created", refund("re_p", 8500, status="pending")))
    assert points(client, api_key)["available"] == 85
    post_stripe(client, shop, event("refund.updated", refund("re_p", 8500)))
    assert points(client, api_key)["available"] == 0


def test_async_payment_awards_only_when_it_succeeds(client, session):
    shop, api_key = stripe_shop(session)
    waiting = post_stripe(client, shop, event("checkout.session.completed",
                                              paid_session(payment_status="unpaid")))
    assert waiting.json["note"] == "waiting for payment"
    post_stripe(client, shop, event("checkout.session.async_payment_succeeded", paid_session()))
    assert points(client, api_key)["available"] == 85


def test_a_guest_checkout_earns_on_its_email(client, session):
    shop, api_key = stripe_shop(session)
    response = post_stripe(client, shop, event("checkout.session.completed",
                                               paid_session(customer=None)))
    assert response.json["note"] == "awarded 85 points"
    order = session.execute(select(Order).where(Order.shop_id == shop.id)).scalar_one()
    assert order.account_id is not None


def test_a_test_mode_checkout_is_skipped_by_default(client, session):
    shop, api_key = stripe_shop(session)
    response = post_stripe(client, shop, event("checkout.session.completed",
                                               paid_session(livemode=False)))
    assert response.json["status"] == "ignored"
    assert "test order" in response.json["note"]


def test_a_repeated_event_id_does_nothing_even_when_signed_again(client, session):
    shop, api_key = stripe_shop(session)
    body = event("checkout.session.completed", paid_session(), event_id="evt_same")
    first = post_stripe(client, shop, body)
    retry = post_stripe(client, shop, body, timestamp=int(time.time()) + 5)
    assert first.json["status"] == "processed"
    assert retry.json == {"status": "duplicate", "delivery_id": "evt_same"}
    assert count(session, InboundDelivery, shop) == 1
    assert points(client, api_key)["available"] == 85


def test_a_stale_timestamp_is_401_and_nothing_is_stored(client, session):
    shop, _ = stripe_shop(session)
    body = event("checkout.session.completed", paid_session())
    response = post_stripe(client, shop, body, timestamp=int(time.time()) - 301)
    assert response.status_code == 401
    assert response.json["error"]["code"] == "invalid_signature"
    assert "300 s" in response.json["error"]["message"]
    assert count(session, InboundDelivery, shop) == 0


def test_a_tampered_byte_is_401_and_nothing_is_stored(client, session):
    shop, _ = stripe_shop(session)
    body = event("checkout.session.completed", paid_session())
    header = stripe.WebhookSignature.generate_signature_header(body.decode(), WEBHOOK_SECRET)
    tampered = body.replace(b'"amount_subtotal": 10000', b'"amount_subtotal": 90000')
    assert tampered != body
    response = client.post(f"/webhooks/stripe/{shop.id}", data=tampered,
                           headers={"Content-Type": "application/json", "Stripe-Signature": header})
    assert response.status_code == 401
    assert count(session, InboundDelivery, shop) == 0
    assert count(session, Order, shop) == 0


def test_a_missing_signature_is_401(client, session):
    shop, _ = stripe_shop(session)
    response = client.post(f"/webhooks/stripe/{shop.id}", data=fixture_bytes("stripe/event.json"),
                           headers={"Content-Type": "application/json"})
    assert response.status_code == 401
    assert "Stripe-Signature" in response.json["error"]["message"]


def test_wrong_content_type_is_415(client, session):
    shop, _ = stripe_shop(session)
    response = post_stripe(client, shop, fixture_bytes("stripe/event.json"), content_type="text/plain")
    assert response.status_code == 415
    assert count(session, InboundDelivery, shop) == 0


def test_malformed_json_is_400_and_only_the_authentic_delivery_is_kept(client, session):
    shop, _ = stripe_shop(session)
    forged = post_stripe(client, shop, b'{"id": "evt_x", "type"', secret="whsec_forged")
    assert forged.status_code == 401
    response = post_stripe(client, shop, b'{"id": "evt_x", "type"')
    assert response.status_code == 400
    assert "not valid JSON" in response.json["error"]["message"]
    deliveries = session.execute(select(InboundDelivery).where(
        InboundDelivery.shop_id == shop.id)).scalars().all()
    assert [d.status for d in deliveries] == [DeliveryStatus.REJECTED]


def test_missing_and_wrong_fields_are_400_naming_them(client, session):
    shop, _ = stripe_shop(session)
    cases = [
        (event("checkout.session.completed", paid_session(amount_subtotal=None)), "amount_subtotal"),
        (event("checkout.session.completed", paid_session(currency=None)), "currency"),
        (event("checkout.session.completed", paid_session(amount_subtotal=10.5)), "amount_subtotal"),
        (event("refund.created", refund("re_z", None)), "refund amount"),
        (json.dumps({"id": "evt_nodata", "type": "refund.created"}).encode(), "data.object"),
        # The sample session as stored: amounts (total_details) but a null currency.
        (event("checkout.session.completed", sample("checkout_session")), "currency"),
    ]
    for body, field in cases:
        response = post_stripe(client, shop, body)
        assert response.status_code == 400, body
        assert field in response.json["error"]["message"]
    assert count(session, LedgerEntry, shop) == 0


def test_the_stored_event_sample_is_200_and_ignored(client, session):
    shop, _ = stripe_shop(session)
    response = post_stripe(client, shop, fixture_bytes("stripe/event.json"))
    assert response.status_code == 200
    assert response.json["status"] == "ignored"
    assert response.json["delivery_id"] == "evt_1Pgc76B7WZ01zgkWwyRHS12y"


def test_the_stored_charge_and_refund_samples_have_no_payment_intent_and_change_nothing(client, session):
    shop, api_key = stripe_shop(session)
    post_stripe(client, shop, event("checkout.session.completed", paid_session()))
    for body in (event("charge.refunded", sample("charge")), event("refund.created", sample("refund"))):
        response = post_stripe(client, shop, body)
        assert response.status_code == 200
        assert response.json["status"] == "ignored"
    assert points(client, api_key)["available"] == 85
