"""The Stripe adapter: SDK signature checks, Checkout Sessions and refunds to normalised events.

The objects are the byte-exact samples in ``tests/fixtures/stripe/``. They are synthetic
(an open, unpaid session with null amounts; a charge and a refund without a payment
intent), so each test sets the states and amounts it is about, as the fixtures' README
asks, and wraps them in the sample event envelope. Stripe signs whatever body it sends.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import time
from decimal import Decimal

import pytest
import stripe
from werkzeug.datastructures import Headers

from loyalty_plugin.errors import ErrorCode, Unauthorized, UnsupportedMediaType
from loyalty_plugin.events import OrderChanged, RefundCreated, Unhandled
from loyalty_plugin.models import Platform, Shop
from tests.factories import fixture_bytes
from webhooks.base import Envelope, PayloadError
from webhooks.stripe import StripeAdapter, parse_checkout_session

SECRET = "whsec_test_secret"
INTENT = "pi_1PgafyB7WZ01zgkWSjxsAJo3"  # the sample session's payment intent
SESSION_ID = "cs_test_a1YS1URlnyQCN5fUUduORoQ7Pw41PJqDWkIVQCpJPqkfIhd6tVY8XB1OLY"

adapter = StripeAdapter()


def make_shop(secret: str = SECRET, previous: str | None = None) -> Shop:
    return Shop(platform=Platform.STRIPE, domain="shop.example.com", currency="USD",
                webhook_secret=secret, previous_webhook_secret=previous, widget_secret="w")


def sample(name: str) -> dict:
    return json.loads(fixture_bytes(f"stripe/{name}.json"))


def paid_session(**changes) -> dict:
    session = sample("checkout_session")
    session.update(status="complete", payment_status="paid", currency="usd", livemode=True,
                   amount_subtotal=10000, amount_total=9350,
                   total_details={"amount_discount": 1500, "amount_shipping": 500, "amount_tax": 350})
    session.update(changes)
    return session


def event(event_type: str, subject: dict, event_id: str = "evt_1Pgc76B7WZ01zgkWwyRHS12y") -> bytes:
    envelope = sample("event")
    envelope.update(id=event_id, type=event_type, livemode=True)
    envelope["data"] = {"object": subject}
    return json.dumps(envelope, indent=2).encode()


def signature(body: bytes, secret: str = SECRET, timestamp: int | None = None) -> str:
    return stripe.WebhookSignature.generate_signature_header(body.decode(), secret,
                                                             timestamp=timestamp)


def headers_for(body: bytes, sig: str | None = None, content_type: str | None = "application/json"
                ) -> Headers:
    headers = Headers([("Stripe-Signature", sig if sig is not None else signature(body))])
    if content_type:
        headers["Content-Type"] = content_type
    return headers


def parse(body: bytes, topic: str = "t"):
    return adapter.parse(Envelope(delivery_id="d", topic=topic), body)


def order_of(session: dict, event_type: str = "checkout.session.completed"):
    result = parse(event(event_type, session))
    assert isinstance(result, OrderChanged)
    return result.order


def refund_of(body: bytes):
    result = parse(body)
    assert isinstance(result, RefundCreated)
    return result.refund


# =========================================================================================
# authenticate
# =========================================================================================


def test_the_sdk_header_is_the_documented_hex_hmac_of_timestamp_dot_body():
    body = fixture_bytes("stripe/event.json")
    expected = hmac.new(SECRET.encode(), b"1700000000." + body, hashlib.sha256).hexdigest()
    assert signature(body, timestamp=1700000000) == f"t=1700000000,v1={expected}"


def test_the_stored_event_sample_verifies_and_is_keyed_by_its_event_id():
    body = fixture_bytes("stripe/event.json")
    envelope = adapter.authenticate(make_shop(), headers_for(body), body)
    assert envelope.delivery_id == "evt_1Pgc76B7WZ01zgkWwyRHS12y"
    assert envelope.topic == "plan.created"
    assert envelope.headers == {}
    assert adapter.parse(envelope, body) == Unhandled("plan.created")


def test_a_header_computed_by_hand_verifies():
    body = event("checkout.session.completed", paid_session())
    now = int(time.time())
    digest = hmac.new(SECRET.encode(), f"{now}.".encode() + body, hashlib.sha256).hexdigest()
    adapter.authenticate(make_shop(), headers_for(body, f"t={now},v1={digest}"), body)


def test_any_v1_may_match_and_v0_is_ignored():
    body = fixture_bytes("stripe/event.json")
    real = signature(body)
    t, v1 = real.split(",")
    adapter.authenticate(make_shop(), headers_for(body, f"{t},v1={'0' * 64},{v1},v0=abc"), body)


def assert_401(body: bytes, headers: Headers, shop: Shop | None = None) -> Unauthorized:
    with pytest.raises(Unauthorized) as info:
        adapter.authenticate(shop or make_shop(), headers, body)
    assert info.value.code == ErrorCode.INVALID_SIGNATURE
    return info.value


def test_a_tampered_byte_is_rejected():
    body = event("checkout.session.completed", paid_session())
    headers = headers_for(body)
    tampered = body.replace(b'"amount_subtotal": 10000', b'"amount_subtotal": 90000')
    assert tampered != body
    assert_401(tampered, headers)


def test_a_stale_timestamp_is_rejected_with_a_reason():
    body = fixture_bytes("stripe/event.json")
    error = assert_401(body, headers_for(body, signature(body, timestamp=int(time.time()) - 301)))
    assert "300 s" in error.message


def test_a_timestamp_inside_the_tolerance_is_accepted():
    body = fixture_bytes("stripe/event.json")
    adapter.authenticate(make_shop(), headers_for(body, signature(body, timestamp=int(time.time()) - 240)),
                         body)


@pytest.mark.parametrize("sig", ["", "garbage", "t=abc,v1=00", "v1=00", "t=1700000000",
                                 "t=1700000000,v1=é"])
def test_malformed_headers_are_rejected(sig):
    body = fixture_bytes("stripe/event.json")
    assert_401(body, headers_for(body, sig))


def test_a_wrong_secret_and_the_previous_secret():
    body = fixture_bytes("stripe/event.json")
    assert_401(body, headers_for(body, signature(body, secret="whsec_other")))
    rotated = make_shop(secret="whsec_new", previous=SECRET)
    adapter.authenticate(rotated, headers_for(body), body)


def test_a_body_that_is_not_utf8_is_rejected():
    body = b'{"id": "evt_1", "x": "\xff"}'
    digest = hmac.new(SECRET.encode(), b"1." + body, hashlib.sha256).hexdigest()
    assert_401(body, headers_for(body, f"t={int(time.time())},v1={digest}"))


def test_the_signature_is_checked_before_the_content_type():
    body = fixture_bytes("stripe/event.json")
    assert_401(body, headers_for(body, signature(body, secret="x"), content_type="text/plain"))
    with pytest.raises(UnsupportedMediaType):
        adapter.authenticate(make_shop(), headers_for(body, content_type="text/plain"), body)


def test_an_authentic_body_without_an_event_id_gets_a_content_hash_and_fails_in_parse():
    body = b"{not json"
    envelope = adapter.authenticate(make_shop(), headers_for(body), body)
    assert envelope.delivery_id == "sha256-" + hashlib.sha256(body).hexdigest()
    assert envelope.topic == "unknown"
    with pytest.raises(PayloadError, match="not valid JSON"):
        adapter.parse(envelope, body)


# =========================================================================================
# Checkout Sessions
# =========================================================================================


def test_a_paid_session_earns_on_the_subtotal_minus_discounts():
    order = order_of(paid_session())
    assert order.order_id == INTENT
    assert order.amounts.items == Decimal("85.00")
    assert order.amounts.shipping == Decimal("5.00")
    assert order.amounts.taxes == Decimal("3.50")
    assert order.currency == "USD"
    assert order.is_paid is True
    assert order.is_test is False
    assert order.customer.email == "example@example.com"
    assert order.customer.platform_id is None


@pytest.mark.parametrize("currency, subtotal, discount, expected", [
    ("jpy", 5000, 500, Decimal("4500")),      # zero-decimal: 5000 is 5000 yen
    ("krw", 120000, 0, Decimal("120000")),
    ("kwd", 12340, 1230, Decimal("11.110")),  # three-decimal: thousandths
    ("bhd", 5120, 0, Decimal("5.120")),
    ("eur", 1999, 0, Decimal("19.99")),
])
def test_session_amounts_in_zero_and_three_decimal_currencies(currency, subtotal, discount, expected):
    order = order_of(paid_session(currency=currency, amount_subtotal=subtotal,
                                  total_details={"amount_discount": discount, "amount_shipping": 0,
                                                 "amount_tax": 0}))
    assert order.amounts.items == expected
    assert order.currency == currency.upper()


def test_the_session_customer_id_wins_and_may_be_expanded():
    assert order_of(paid_session(customer="cus_Q1")).customer.platform_id == "cus_Q1"
    expanded = order_of(paid_session(customer={"id": "cus_Q2", "object": "customer"}))
    assert expanded.customer.platform_id == "cus_Q2"


def test_the_customer_email_falls_back_to_customer_email():
    session = paid_session(customer_email="buyer@example.com")
    session["customer_details"]["email"] = None
    assert order_of(session).customer.email == "buyer@example.com"


@pytest.mark.parametrize("status", ["unpaid", "no_payment_required"])
def test_an_unpaid_session_is_not_paid(status):
    assert order_of(paid_session(payment_status=status)).is_paid is False


def test_async_payment_succeeded_is_paid():
    assert order_of(paid_session(), "checkout.session.async_payment_succeeded").is_paid is True


def test_a_session_without_payment_intent_is_keyed_by_its_id():
    order = order_of(paid_session(payment_intent=None, mode="subscription"))
    assert order.order_id == SESSION_ID[:64]
    assert parse_checkout_session(paid_session(payment_intent={"id": "pi_X"})).order_id == "pi_X"


def test_a_test_mode_session_is_a_test_order():
    assert order_of(paid_session(livemode=False)).is_test is True


def test_a_discount_above_the_subtotal_earns_on_zero():
    session = paid_session(total_details={"amount_discount": 20000})
    assert order_of(session).amounts.items == 0


def test_the_sample_session_as_stored_has_amounts_without_a_currency():
    with pytest.raises(PayloadError, match="currency is missing"):
        parse_checkout_session(sample("checkout_session"))


def test_an_unpaid_session_without_amounts_parses():
    session = sample("checkout_session")
    session["total_details"] = None
    order = parse_checkout_session(session)
    assert order.amounts.items == 0
    assert order.is_paid is False


@pytest.mark.parametrize("changes, message", [
    ({"amount_subtotal": None}, "amount_subtotal is missing"),
    ({"amount_subtotal": 99.5}, "amount_subtotal must be an integer"),
    ({"amount_subtotal": "10000"}, "amount_subtotal must be an integer"),
    ({"amount_subtotal": -1}, "amount_subtotal must not be negative"),
    ({"currency": None}, "currency is missing"),
    ({"currency": "dollars"}, "currency must be a three-letter"),
    ({"total_details": []}, "total_details"),
    ({"total_details": {"amount_discount": True}}, "amount_discount"),
    ({"id": None}, "checkout session id"),
])
def test_malformed_sessions_name_the_field(changes, message):
    with pytest.raises(PayloadError, match=message):
        order_of(paid_session(**changes))


@pytest.mark.parametrize("envelope, message", [
    ({"type": "checkout.session.completed", "data": {"object": {}}}, "event id"),
    ({"id": "evt_1", "data": {"object": {}}}, "event type"),
    ({"id": "evt_1", "type": "checkout.session.completed"}, "data.object"),
    ({"id": "evt_1", "type": "checkout.session.completed", "data": {"object": []}}, "data.object"),
])
def test_malformed_envelopes_name_the_problem(envelope, message):
    with pytest.raises(PayloadError, match=message):
        parse(json.dumps(envelope).encode())


# =========================================================================================
# Refunds
# =========================================================================================


def stored_refund(**changes) -> dict:
    refund = sample("refund")
    refund.update(payment_intent=INTENT, **changes)
    return refund


def test_a_refund_event_is_tied_to_its_payment_intent():
    refund = refund_of(event("refund.created", stored_refund()))
    assert refund.refund_id == "re_1Pgc72B7WZ01zgkWqPvrRrPE"
    assert refund.order_id == INTENT
    assert refund.amounts.items == Decimal("1.00")
    assert refund.is_effective is True
    assert refund.created_at == dt.datetime(2009, 2, 13, 23, 31, 30, tzinfo=dt.timezone.utc)


@pytest.mark.parametrize("event_type", ["refund.created", "refund.updated", "charge.refund.updated"])
def test_every_refund_event_names_the_same_refund(event_type):
    assert refund_of(event(event_type, stored_refund())).refund_id == "re_1Pgc72B7WZ01zgkWqPvrRrPE"


@pytest.mark.parametrize("status", ["pending", "requires_action", "failed", "canceled"])
def test_a_refund_that_has_not_succeeded_does_not_count_yet(status):
    assert refund_of(event("refund.created", stored_refund(status=status))).is_effective is False


def test_zero_and_three_decimal_refunds():
    assert refund_of(event("refund.created", stored_refund(amount=1500, currency="jpy"))
                     ).amounts.items == Decimal("1500")
    assert refund_of(event("refund.created", stored_refund(amount=2340, currency="kwd"))
                     ).amounts.items == Decimal("2.340")


def test_the_stored_refund_without_payment_intent_cannot_be_tied_to_an_order():
    result = parse(event("refund.created", sample("refund")))
    assert result == Unhandled("refund.created without a payment intent")


def stored_charge(**changes) -> dict:
    charge = sample("charge")
    charge.update(payment_intent=INTENT, captured=True, amount_captured=100, **changes)
    return charge


def test_the_stored_charge_without_payment_intent_cannot_be_tied_to_an_order():
    assert parse(event("charge.refunded", sample("charge"))) == \
        Unhandled("charge.refunded without a payment intent")


def test_a_fully_refunded_charge_reverses_what_is_left():
    charge = stored_charge(refunded=True, amount_refunded=100)
    refund = refund_of(event("charge.refunded", charge))
    assert refund.refund_id == "ch_1PgafuB7WZ01zgkWXYmPNZs8:full"
    assert refund.order_id == INTENT
    assert refund.amounts.items == Decimal("1.00")


def test_the_full_refund_key_fits_an_order_refund_id_whatever_the_charge_id():
    charge = stored_charge(id="ch_" + "x" * 61, refunded=True, amount_refunded=100)
    assert len(refund_of(event("charge.refunded", charge)).refund_id) <= 64


def test_a_partial_refund_with_its_refunds_listed_is_the_newest_one():
    newer = stored_refund(id="re_new", amount=40)
    older = stored_refund(id="re_old", amount=20)
    charge = stored_charge(amount_refunded=60)
    charge["refunds"]["data"] = [newer, older]
    refund = refund_of(event("charge.refunded", charge))
    assert refund.refund_id == "re_new"
    assert refund.amounts.items == Decimal("0.40")


def test_a_partial_refund_without_its_refunds_listed_waits_for_the_refund_event():
    charge = stored_charge(amount_refunded=40)
    del charge["refunds"]
    assert isinstance(parse(event("charge.refunded", charge)), Unhandled)


def test_a_charge_refunded_without_amount_is_malformed():
    with pytest.raises(PayloadError, match="amount_refunded"):
        parse(event("charge.refunded", stored_charge(refunded=True, amount_refunded=None)))


@pytest.mark.parametrize("event_type", ["payment_intent.succeeded", "customer.created",
                                        "checkout.session.expired", "refund.failed"])
def test_other_event_types_are_unhandled(event_type):
    assert parse(event(event_type, {"id": "x"})) == Unhandled(event_type)
