"""The custom-store format: its signature, its timestamp window and its strict validation.

``tests/fixtures/custom/`` holds the two example bodies the README documents.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import time
from decimal import Decimal
from pathlib import Path

import pytest
from werkzeug.datastructures import Headers

from loyalty_plugin.errors import ErrorCode, Unauthorized, UnsupportedMediaType
from loyalty_plugin.events import OrderChanged, RefundCreated
from loyalty_plugin.models import Platform, Shop
from tests.factories import fixture_bytes
from webhooks.base import Envelope, PayloadError
from webhooks.custom import CustomAdapter, sign

SECRET = "test-secret"
ORDER = "custom/order-paid.json"
REFUND = "custom/refund.json"

adapter = CustomAdapter()


def make_shop(secret: str = SECRET, previous: str | None = None) -> Shop:
    return Shop(platform=Platform.CUSTOM, domain="store.example.com", currency="USD",
                webhook_secret=secret, previous_webhook_secret=previous, widget_secret="w")


def headers_for(body: bytes, *, secret: str = SECRET, timestamp: int | None = None,
                signature: str | None = None, content_type: str | None = "application/json") -> Headers:
    timestamp = int(time.time()) if timestamp is None else timestamp
    headers = Headers()
    headers["X-Loyalty-Signature"] = (signature if signature is not None
                                      else f"t={timestamp},v1={sign(body, secret, timestamp)}")
    if content_type:
        headers["Content-Type"] = content_type
    return headers


def parse(payload: dict | bytes):
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    return adapter.parse(Envelope(delivery_id="d", topic="order"), body)


def order_payload(**changes) -> dict:
    payload = json.loads(fixture_bytes(ORDER))
    payload["order"].update(changes)
    return payload


def order_of(payload: dict):
    event = parse(payload)
    assert isinstance(event, OrderChanged)
    return event.order


def rejected(payload: dict | bytes, message: str) -> None:
    with pytest.raises(PayloadError) as info:
        parse(payload)
    assert message in str(info.value)


# =========================================================================================
# Signature and timestamp
# =========================================================================================


def test_the_readme_worked_example():
    body = fixture_bytes(ORDER)
    assert sign(body, SECRET, 1700000000) == \
        "57eb415992c1fc4f88445b20a7812a8b8d7df1d24912b463de2278d7340c082f"
    assert sign(body, SECRET, 1700000000) == hmac.new(
        SECRET.encode(), b"1700000000." + body, hashlib.sha256).hexdigest()


def test_authenticate_accepts_the_example_and_keys_it_by_the_event_id():
    body = fixture_bytes(ORDER)
    envelope = adapter.authenticate(make_shop(), headers_for(body), body)
    assert envelope.delivery_id == "evt-1001-paid"
    assert envelope.topic == "order"


def test_any_v1_may_match_and_hex_case_does_not_matter():
    body = fixture_bytes(REFUND)
    now = int(time.time())
    digest = sign(body, SECRET, now)
    header = f"t={now}, v1={'0' * 64}, v1={digest.upper()}"
    adapter.authenticate(make_shop(), headers_for(body, signature=header), body)


def test_the_previous_secret_verifies_during_rotation():
    body = fixture_bytes(REFUND)
    adapter.authenticate(make_shop(secret="new", previous=SECRET), headers_for(body), body)


def unauthorized(body: bytes, headers: Headers) -> Unauthorized:
    with pytest.raises(Unauthorized) as info:
        adapter.authenticate(make_shop(), headers, body)
    assert info.value.code == ErrorCode.INVALID_SIGNATURE
    return info.value


def test_a_tampered_byte_is_rejected():
    body = fixture_bytes(ORDER)
    headers = headers_for(body)
    unauthorized(body.replace(b'"90.00"', b'"99.00"'), headers)


def test_a_wrong_secret_is_rejected():
    body = fixture_bytes(ORDER)
    unauthorized(body, headers_for(body, secret="other"))


@pytest.mark.parametrize("offset", [-301, 301, -10**6])
def test_a_timestamp_outside_300_seconds_is_rejected(offset):
    body = fixture_bytes(ORDER)
    error = unauthorized(body, headers_for(body, timestamp=int(time.time()) + offset))
    assert "300 s" in error.message


def test_a_timestamp_inside_the_window_is_accepted():
    body = fixture_bytes(ORDER)
    adapter.authenticate(make_shop(), headers_for(body, timestamp=int(time.time()) - 290), body)


def test_the_signature_covers_the_timestamp():
    body = fixture_bytes(ORDER)
    now = int(time.time())
    unauthorized(body, headers_for(body, signature=f"t={now},v1={sign(body, SECRET, now - 1)}"))


@pytest.mark.parametrize("header", ["", "v1=" + "0" * 64, "t=123", "t=abc,v1=" + "0" * 64,
                                    "t=1,t=2,v1=" + "0" * 64, "t=1,v1=xyz", "t=1,v1=é"])
def test_malformed_headers_are_rejected(header):
    body = fixture_bytes(ORDER)
    unauthorized(body, headers_for(body, signature=header))


def test_a_missing_header_is_named():
    body = fixture_bytes(ORDER)
    error = unauthorized(body, Headers([("Content-Type", "application/json")]))
    assert "X-Loyalty-Signature" in error.message


def test_the_body_must_be_json():
    body = fixture_bytes(ORDER)
    with pytest.raises(UnsupportedMediaType):
        adapter.authenticate(make_shop(), headers_for(body, content_type="text/plain"), body)


def test_an_authentic_body_without_an_id_is_keyed_by_its_hash():
    body = b'{"type": "order"}'
    envelope = adapter.authenticate(make_shop(), headers_for(body), body)
    assert envelope.delivery_id == "sha256-" + hashlib.sha256(body).hexdigest()
    rejected(body, "id is missing")


# =========================================================================================
# Orders and refunds
# =========================================================================================


def test_the_example_order():
    order = order_of(json.loads(fixture_bytes(ORDER)))
    assert order.order_id == "1001"
    assert order.name == "#1001"
    assert order.currency == "USD"
    assert order.amounts.items == Decimal("90.00")
    assert order.amounts.shipping == Decimal("5.00")
    assert order.amounts.taxes == Decimal("7.60")
    assert order.customer.platform_id == "42"
    assert order.customer.email == "ana@example.com"
    assert order.customer.first_name == "Ana"
    assert order.updated_at == dt.datetime(2026, 11, 20, 10, tzinfo=dt.timezone.utc)
    assert (order.is_paid, order.is_fulfilled, order.is_cancelled, order.is_test) == \
        (True, False, False, False)


@pytest.mark.parametrize("status, paid, fulfilled, cancelled", [
    ("pending", False, False, False), ("paid", True, False, False),
    ("fulfilled", True, True, False), ("cancelled", False, False, True)])
def test_statuses(status, paid, fulfilled, cancelled):
    order = order_of(order_payload(status=status))
    assert (order.is_paid, order.is_fulfilled, order.is_cancelled) == (paid, fulfilled, cancelled)


def test_the_example_refund():
    event = parse(fixture_bytes(REFUND))
    assert isinstance(event, RefundCreated)
    refund = event.refund
    assert (refund.refund_id, refund.order_id) == ("r1", "1001")
    assert refund.amounts.items == Decimal("30.00")
    assert refund.amounts.taxes == Decimal("2.53")
    assert refund.amounts.shipping == 0
    assert refund.is_effective is True


def test_refunds_embedded_in_an_order():
    order = order_of(order_payload(refunds=[{"id": "r1", "subtotal": "30.00"},
                                            {"id": 2, "subtotal": 5, "shipping": "5.00"}]))
    assert [(r.refund_id, r.order_id, r.amounts.items) for r in order.refunds] == [
        ("r1", "1001", Decimal("30.00")), ("2", "1001", Decimal("5"))]


def test_a_guest_order_with_only_an_email_and_integer_ids():
    order = order_of(order_payload(id=1002, customer={"email": "guest@example.com"}))
    assert order.order_id == "1002"
    assert order.customer.platform_id is None
    assert order.customer.email == "guest@example.com"


def test_numbers_are_accepted_for_money():
    assert order_of(order_payload(subtotal=90, shipping=5.5)).amounts.shipping == Decimal("5.5")


@pytest.mark.parametrize("payload, message", [
    ({"id": "e", "type": "order", "order": {}, "extra": 1}, "extra is not a field"),
    ({"type": "order", "order": {}}, "id is missing"),
    ({"id": "e", "order": {}}, "type is missing"),
    ({"id": "e", "type": "shipment", "order": {}}, 'type must be "order" or "refund"'),
    ({"id": "e", "type": "order"}, 'carries exactly one "order"'),
    ({"id": "e", "type": "refund", "order": {}}, 'carries exactly one "refund"'),
    ({"id": ["e"], "type": "order", "order": {}}, "id must be"),
    ({"id": "e" * 129, "type": "order", "order": {}}, "id is longer than 128"),
    ({"id": "e", "type": "order", "order": []}, "order must be a JSON object"),
])
def test_envelope_problems_are_named(payload, message):
    rejected(payload, message)


@pytest.mark.parametrize("changes, message", [
    ({"subtotl": "1"}, "order.subtotl is not a field"),
    ({"subtotal": None}, "order.subtotal is missing"),
    ({"subtotal": ""}, "order.subtotal must be a decimal string"),
    ({"subtotal": "ninety"}, "order.subtotal is not a number"),
    ({"subtotal": "-1.00"}, "order.subtotal must not be negative"),
    ({"subtotal": "1.00001"}, "order.subtotal has more than 4 decimal places"),
    ({"subtotal": True}, "order.subtotal must be a decimal string"),
    ({"subtotal": "1e30"}, "order.subtotal is out of range"),
    ({"shipping": {"amount": 1}}, "order.shipping must be a decimal string"),
    ({"tax": "NaN"}, "order.tax must be finite"),
    ({"status": "shipped"}, "order.status must be one of pending, paid, fulfilled, cancelled"),
    ({"status": None}, "order.status is missing"),
    ({"currency": "dollars"}, "order.currency must be a three-letter"),
    ({"id": ""}, "order.id must be a non-empty"),
    ({"id": "x" * 65}, "order.id is longer than 64"),
    ({"customer": {}}, "order.customer needs an id, an email or both"),
    ({"customer": {"email": "not-an-address"}}, "order.customer.email is not an email address"),
    ({"customer": {"email": "ana@localhost"}}, "order.customer.email is not an email address"),
    ({"customer": {"id": True}}, "order.customer.id must be"),
    ({"customer": {"id": "1", "phone": "555"}}, "order.customer.phone is not a field"),
    ({"customer": "42"}, "order.customer must be a JSON object"),
    ({"name": 5}, "order.name must be a string"),
    ({"test": "yes"}, "order.test must be true or false"),
    ({"updated_at": "tomorrow"}, "order.updated_at is not an ISO 8601 time"),
    ({"refunds": {}}, "order.refunds must be a list"),
    ({"refunds": [{"id": "r"}]}, "order.refunds[0].subtotal is missing"),
    ({"refunds": [{"id": "r", "subtotal": "1", "order_id": "1001"}]},
     "order.refunds[0].order_id is not a field"),
    ({"refunds": ["r"]}, "order.refunds[0] must be a JSON object"),
])
def test_order_problems_are_named(changes, message):
    rejected(order_payload(**changes), message)


@pytest.mark.parametrize("changes, message", [
    ({"order_id": None}, "refund.order_id is missing"),
    ({"amount": "1"}, "refund.amount is not a field"),
    ({"subtotal": "-5"}, "refund.subtotal must not be negative"),
    ({"created_at": 5}, "refund.created_at must be an ISO 8601 string"),
])
def test_refund_problems_are_named(changes, message):
    payload = json.loads(fixture_bytes(REFUND))
    payload["refund"].update(changes)
    rejected(payload, message)


@pytest.mark.parametrize("body", [b"{nope", b"[1]", b"\xff"])
def test_bodies_that_are_not_a_json_object(body):
    with pytest.raises(PayloadError):
        parse(body)


@pytest.mark.parametrize("relative", [ORDER, REFUND])
def test_the_readme_documents_these_exact_examples(relative):
    readme = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    assert f"```json\n{fixture_bytes(relative).decode()}```" in readme
