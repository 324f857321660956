"""The WooCommerce adapter: HMAC over the raw bytes, the ping, and order snapshots.

The order is the byte-exact docs sample in ``tests/fixtures/woocommerce/``; variants are
built by editing the decoded sample.
"""
from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
from decimal import Decimal

import pytest
from werkzeug.datastructures import Headers

from loyalty_plugin.errors import BadRequest, ErrorCode, Unauthorized, UnsupportedMediaType
from loyalty_plugin.events import CustomerChanged, OrderChanged, Unhandled
from loyalty_plugin.models import Platform, Shop
from tests.factories import WEBHOOK_SECRET, fixture_bytes
from webhooks.base import Acknowledged, Envelope, PayloadError
from webhooks.woocommerce import WooCommerceAdapter, delivery_id_for, parse_order, sign

ORDER_723 = "woocommerce/order-723-completed-with-refunds.json"

adapter = WooCommerceAdapter()


def make_shop(secret: str = WEBHOOK_SECRET, previous: str | None = None) -> Shop:
    return Shop(platform=Platform.WOOCOMMERCE, domain="woo.example.com", currency="USD",
                webhook_secret=secret, previous_webhook_secret=previous, widget_secret="w")


def expected_signature(body: bytes, secret: str) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def headers_for(body: bytes, *, secret: str = WEBHOOK_SECRET, topic: str = "order.updated",
                **overrides) -> Headers:
    resource, _, event = topic.partition(".")
    values = {
        "Content-Type": "application/json",
        "User-Agent": "WooCommerce/8.6.1 Hookshot (WordPress/6.4.3)",
        "X-WC-Webhook-Source": "https://example.com/",
        "X-WC-Webhook-Topic": topic,
        "X-WC-Webhook-Resource": resource,
        "X-WC-Webhook-Event": event,
        "X-WC-Webhook-Signature": expected_signature(body, secret),
        "X-WC-Webhook-ID": "12",
        "X-WC-Webhook-Delivery-ID": "e2c6a4b1c0bb1a3cbb36d3bd9a3c3f5e",
    }
    for name, value in overrides.items():
        name = name.replace("_", "-")
        if value is None:
            values.pop(name, None)
        else:
            values[name] = value
    return Headers(list(values.items()))


def sample() -> dict:
    return json.loads(fixture_bytes(ORDER_723))


def order_of(payload: dict | bytes, topic: str = "order.updated"):
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    event = adapter.parse(Envelope(delivery_id="d", topic=topic), body)
    assert isinstance(event, OrderChanged)
    return event.order


# =========================================================================================
# authenticate
# =========================================================================================


def test_sign_is_base64_hmac_sha256_of_the_stored_bytes():
    body = fixture_bytes(ORDER_723)
    assert sign(body, WEBHOOK_SECRET) == expected_signature(body, WEBHOOK_SECRET)


def test_authenticate_accepts_the_stored_sample_signed_in_the_test():
    body = fixture_bytes(ORDER_723)
    envelope = adapter.authenticate(make_shop(), headers_for(body), body)
    assert envelope.topic == "order.updated"
    assert envelope.delivery_id == delivery_id_for("order.updated", body)
    assert envelope.headers["X-WC-Webhook-Topic"] == "order.updated"
    assert envelope.headers["X-WC-Webhook-ID"] == "12"
    assert "X-WC-Webhook-Signature" not in envelope.headers


def test_the_delivery_id_is_stable_and_depends_on_topic_and_every_byte():
    body = fixture_bytes(ORDER_723)
    first = adapter.authenticate(make_shop(), headers_for(body), body).delivery_id
    again = adapter.authenticate(make_shop(), headers_for(body, X_WC_Webhook_Delivery_ID="other"),
                                 body).delivery_id
    assert first == again  # WooCommerce's own delivery id changes on every send
    assert delivery_id_for("order.created", body) != first
    assert delivery_id_for("order.updated", body + b" ") != first
    assert len(first) <= 128


def test_authenticate_rejects_a_tampered_byte():
    body = fixture_bytes(ORDER_723)
    headers = headers_for(body)
    index = body.index(b'"39.00"') + 1
    tampered = body[:index] + b"9" + body[index + 1:]
    with pytest.raises(Unauthorized) as info:
        adapter.authenticate(make_shop(), headers, tampered)
    assert info.value.code == ErrorCode.INVALID_SIGNATURE


def test_authenticate_rejects_a_reencoded_body():
    # A live store sends compact JSON with \/ and \u escapes: only the exact bytes verify.
    body = fixture_bytes(ORDER_723)
    reencoded = json.dumps(json.loads(body), separators=(",", ":")).encode()
    with pytest.raises(Unauthorized):
        adapter.authenticate(make_shop(), headers_for(body), reencoded)


def test_authenticate_rejects_a_wrong_secret_and_a_hex_digest():
    body = fixture_bytes(ORDER_723)
    with pytest.raises(Unauthorized):
        adapter.authenticate(make_shop(), headers_for(body, secret="nope"), body)
    hex_digest = hmac.new(WEBHOOK_SECRET.encode(), body, hashlib.sha256).hexdigest()
    with pytest.raises(Unauthorized):
        adapter.authenticate(make_shop(), headers_for(body, X_WC_Webhook_Signature=hex_digest), body)


def test_authenticate_accepts_the_previous_secret_during_rotation():
    body = fixture_bytes(ORDER_723)
    shop = make_shop(secret="new", previous="old")
    adapter.authenticate(shop, headers_for(body, secret="old"), body)
    adapter.authenticate(shop, headers_for(body, secret="new"), body)


def test_a_missing_signature_on_a_json_body_is_unauthorized_not_a_ping():
    body = fixture_bytes(ORDER_723)
    with pytest.raises(Unauthorized, match="X-WC-Webhook-Signature"):
        adapter.authenticate(make_shop(), headers_for(body, X_WC_Webhook_Signature=None), body)


@pytest.mark.parametrize("body", [b"webhook_id=1", b"webhook_id=4711", b"webhook_id=12\n"])
def test_the_unsigned_creation_ping_is_acknowledged(body):
    headers = Headers([("Content-Type", "application/x-www-form-urlencoded"),
                       ("User-Agent", "WooCommerce/8.6.1 Hookshot (WordPress/6.4.3)")])
    with pytest.raises(Acknowledged):
        adapter.authenticate(make_shop(), headers, body)


@pytest.mark.parametrize("body", [b"webhook_id=", b"webhook_id=1&x=2", b"webhook_id=abc", b"",
                                  b'{"webhook_id": 1}'])
def test_anything_else_unsigned_is_unauthorized(body):
    with pytest.raises(Unauthorized):
        adapter.authenticate(make_shop(), Headers(), body)


@pytest.mark.parametrize("content_type", ["application/x-www-form-urlencoded", "text/plain", None])
def test_a_signed_body_must_be_json(content_type):
    body = fixture_bytes(ORDER_723)
    with pytest.raises(UnsupportedMediaType):
        adapter.authenticate(make_shop(), headers_for(body, Content_Type=content_type), body)


def test_a_signed_body_without_topic_is_400_naming_the_header():
    body = fixture_bytes(ORDER_723)
    with pytest.raises(BadRequest) as info:
        adapter.authenticate(make_shop(), headers_for(body, X_WC_Webhook_Topic=None), body)
    assert info.value.details == {"headers": ["X-WC-Webhook-Topic"]}


def test_header_names_are_case_insensitive():
    body = fixture_bytes(ORDER_723)
    lowered = Headers([(name.lower(), value) for name, value in headers_for(body).items()])
    assert adapter.authenticate(make_shop(), lowered, body).topic == "order.updated"


# =========================================================================================
# The docs sample: order 723
# =========================================================================================


def test_sample_identity_customer_and_time():
    order = order_of(fixture_bytes(ORDER_723))
    assert order.order_id == "723"
    assert order.name == "#723"
    assert order.currency == "USD"
    assert order.customer.platform_id == "26"
    assert order.customer.email == "joao.silva@example.com"
    assert (order.customer.first_name, order.customer.last_name) == ("João", "Silva")
    assert order.updated_at == dt.datetime(2017, 3, 21, 19, 54, 51, tzinfo=dt.timezone.utc)


def test_sample_earn_base_is_the_line_items_without_shipping():
    order = order_of(fixture_bytes(ORDER_723))
    assert order.amounts.items == Decimal("29.00")
    assert order.amounts.shipping == Decimal("10.00")
    assert order.amounts.taxes == 0


def test_sample_completed_with_null_date_paid_is_paid_and_fulfilled():
    order = order_of(fixture_bytes(ORDER_723))
    assert order.is_paid is True
    assert order.is_fulfilled is True
    assert order.is_cancelled is False
    assert order.is_test is False


def test_sample_refunds_are_split_in_the_orders_proportions():
    refunds = {r.refund_id: r for r in order_of(fixture_bytes(ORDER_723)).refunds}
    assert set(refunds) == {"726", "724"}
    # 10.00 of a 39.00 order that is 29.00 items and 10.00 shipping.
    assert refunds["726"].amounts.items == Decimal("7.4359")
    assert refunds["726"].amounts.shipping == Decimal("2.5641")
    assert refunds["724"].amounts.items == Decimal("6.6923")
    for refund in refunds.values():
        assert refund.order_id == "723"
        assert refund.is_effective is True
        parts = refund.amounts.items + refund.amounts.shipping + refund.amounts.taxes
        assert parts == {"726": Decimal("10.00"), "724": Decimal("9.00")}[refund.refund_id]


def test_a_full_refund_splits_back_into_exactly_the_order():
    payload = sample()
    payload["refunds"] = [{"id": 900, "refund": "", "total": "-39.00"}]
    refund = order_of(payload).refunds[0]
    assert refund.amounts.items == Decimal("29.00")
    assert refund.amounts.shipping == Decimal("10.00")


@pytest.mark.parametrize("status, paid, cancelled", [
    ("pending", False, False), ("on-hold", False, False), ("processing", True, False),
    ("completed", True, False), ("cancelled", False, True), ("refunded", False, True),
    ("failed", False, False), ("shipped-custom", False, False),
])
def test_statuses(status, paid, cancelled):
    payload = sample()
    payload["status"] = status
    order = order_of(payload)
    assert (order.is_paid, order.is_cancelled) == (paid, cancelled)
    assert order.is_fulfilled is (status == "completed")


def test_a_guest_order_has_no_customer_id_but_the_billing_email():
    payload = sample()
    payload["customer_id"] = 0
    order = order_of(payload)
    assert order.customer.platform_id is None
    assert order.customer.email == "joao.silva@example.com"


def test_coupons_are_already_in_the_line_totals_and_negative_fees_are_discounts():
    payload = sample()
    payload["line_items"][1]["total"] = "15.00"  # a 5.00 coupon on the 20.00 line
    payload["coupon_lines"] = [{"id": 1, "code": "save5", "discount": "5.00", "discount_tax": "0"}]
    payload["fee_lines"] = [{"id": 2, "name": "Points", "total": "-4.00"},
                            {"id": 3, "name": "Gift wrap", "total": "3.00"}]
    order = order_of(payload)
    assert order.amounts.items == Decimal("20.00")
    assert order.discount_codes == ("save5",)


def test_tax_comes_from_total_tax():
    payload = sample()
    payload["total_tax"] = "3.20"
    assert order_of(payload).amounts.taxes == Decimal("3.20")


def test_the_site_local_modification_time_is_not_used():
    payload = sample()
    del payload["date_modified_gmt"]
    assert order_of(payload).updated_at is None


def test_parse_order_is_usable_on_a_rest_list_item():
    order = parse_order(sample())
    assert order.order_id == "723"
    assert len(order.refunds) == 2


@pytest.mark.parametrize("change, message", [
    ({"id": None}, "order id"),
    ({"status": None}, "status"),
    ({"status": 3}, "status"),
    ({"line_items": "x"}, "line_items"),
    ({"line_items": [{"id": 1}]}, "line_items[0].total"),
    ({"line_items": [{"id": 1, "total": "abc"}]}, "line_items[0].total"),
    ({"shipping_total": "1e40"}, "shipping_total"),
    ({"total_tax": [1]}, "total_tax"),
    ({"refunds": [{"id": 1}]}, "refunds[0].total"),
    ({"refunds": [{"total": "-1.00"}]}, "refunds[0].id"),
    ({"fee_lines": [{"total": "x"}]}, "fee_lines[0].total"),
    ({"date_modified_gmt": "yesterday"}, "date_modified_gmt"),
])
def test_malformed_orders_name_the_field(change, message):
    payload = sample()
    payload.update(change)
    with pytest.raises(PayloadError, match=message.replace("[", r"\[").replace("]", r"\]")):
        order_of(payload)


def test_line_items_adding_up_beyond_any_stored_amount_are_refused():
    payload = sample()
    payload["line_items"] = [{"id": i, "total": "999999999999.99"} for i in range(3)]
    with pytest.raises(PayloadError, match="line_items total is out of range"):
        order_of(payload)


@pytest.mark.parametrize("body", [b"{not json", b"[1, 2]", b"\xff\xfe"])
def test_bodies_that_are_not_a_json_object(body):
    with pytest.raises(PayloadError):
        order_of(body)


# =========================================================================================
# Other topics
# =========================================================================================


def test_order_created_and_restored_are_snapshots_too():
    for topic in ("order.created", "order.restored"):
        assert order_of(fixture_bytes(ORDER_723), topic).order_id == "723"


def test_order_deleted_reverses_nothing():
    event = adapter.parse(Envelope(delivery_id="d", topic="order.deleted"), b'{"id": 723}')
    assert event == Unhandled("order.deleted")


def test_customer_created():
    body = json.dumps({"id": 25, "email": "john.doe@example.com", "first_name": "John",
                       "last_name": "Doe", "role": "customer"}).encode()
    event = adapter.parse(Envelope(delivery_id="d", topic="customer.created"), body)
    assert isinstance(event, CustomerChanged)
    assert event.created is True
    assert event.customer.platform_id == "25"
    assert event.customer.email == "john.doe@example.com"


def test_customer_without_id_is_malformed():
    with pytest.raises(PayloadError, match="customer id"):
        adapter.parse(Envelope(delivery_id="d", topic="customer.created"), b'{"email": "a@b.co"}')


@pytest.mark.parametrize("topic", ["product.updated", "coupon.created", "action.woocommerce_x"])
def test_other_topics_are_unhandled(topic):
    assert adapter.parse(Envelope(delivery_id="d", topic=topic), b"{}") == Unhandled(topic)
