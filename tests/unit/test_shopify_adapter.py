"""The Shopify adapter: HMAC authentication over raw bytes, and payloads to normalised events.

Payloads come from the byte-exact samples in ``tests/fixtures/shopify/`` (see
../shared/fixtures/README.md); variants that PLATFORMS.md warns about are built by
editing the decoded samples.
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

from loyalty_plugin.errors import (BadRequest, ErrorCode, LoyaltyError, Unauthorized,
                                   UnsupportedMediaType)
from loyalty_plugin.events import (AppUninstalled, CustomerChanged, CustomerDataRequested,
                                   CustomerRedactRequested, CustomerRef, OrderChanged,
                                   RefundCreated, ShopRedactRequested, Unhandled)
from loyalty_plugin.models import Platform, Shop
from tests.factories import WEBHOOK_SECRET, fixture_bytes, shopify_order
from webhooks.base import Envelope, PayloadError, parse_timestamp
from webhooks.shopify import ShopifyAdapter, parse_refund, sign

DOMAIN = "x.myshopify.com"
ORDER_JSON = "shopify/order.json"
REFUND_JSON = "shopify/refund.json"
DOCS_SAMPLE = "shopify/orders-create-docs-sample.json"

adapter = ShopifyAdapter()


def make_shop(secret: str = WEBHOOK_SECRET, previous: str | None = None) -> Shop:
    return Shop(platform=Platform.SHOPIFY, domain=DOMAIN, currency="USD",
                webhook_secret=secret, previous_webhook_secret=previous, widget_secret="w")


def expected_hmac(body: bytes, secret: str) -> str:
    return base64.b64encode(hmac.new(secret.encode("utf-8"), body, hashlib.sha256).digest()).decode()


def headers_for(body: bytes, *, secret: str = WEBHOOK_SECRET, topic: str = "orders/paid",
                webhook_id: str = "b54557e4-bdd9-4b37-8a5f-bf7d70bcd043", **overrides) -> Headers:
    values = {
        "Content-Type": "application/json",
        "X-Shopify-Topic": topic,
        "X-Shopify-Hmac-Sha256": expected_hmac(body, secret),
        "X-Shopify-Shop-Domain": DOMAIN,
        "X-Shopify-Webhook-Id": webhook_id,
        "X-Shopify-API-Version": "2026-10",
        "X-Shopify-Triggered-At": "2026-11-20T15:00:00.000000000Z",
        "X-Shopify-Event-Id": "98880550-7158-44d4-b7cd-2c97c8a091b5",
    }
    for name, value in overrides.items():
        name = name.replace("_", "-")
        if value is None:
            values.pop(name, None)
        else:
            values[name] = value
    return Headers(list(values.items()))


def unwrapped(relative: str) -> dict:
    """A stored sample decoded, with the SDK's ``{"order": …}``/``{"refund": …}`` envelope removed."""
    payload = json.loads(fixture_bytes(relative))
    if len(payload) == 1 and next(iter(payload)) in ("order", "refund"):
        payload = next(iter(payload.values()))
    return payload


def unwrapped_bytes(relative: str) -> bytes:
    return json.dumps(unwrapped(relative)).encode()


def parse(topic: str, payload: dict | bytes):
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    return adapter.parse(Envelope(delivery_id="d1", topic=topic), body)


def order_of(payload: dict, topic: str = "orders/paid"):
    event = parse(topic, payload)
    assert isinstance(event, OrderChanged)
    return event.order


def refund_of(payload: dict):
    event = parse("refunds/create", payload)
    assert isinstance(event, RefundCreated)
    return event.refund


def money_set(shop: str, presentment: str, currency: str = "EUR") -> dict:
    return {"shop_money": {"amount": shop, "currency_code": "USD"},
            "presentment_money": {"amount": presentment, "currency_code": currency}}


# =========================================================================================
# sign / authenticate
# =========================================================================================


@pytest.mark.parametrize("relative", [ORDER_JSON, REFUND_JSON, DOCS_SAMPLE])
def test_sign_is_base64_hmac_sha256_of_the_raw_bytes(relative):
    body = fixture_bytes(relative)
    assert sign(body, WEBHOOK_SECRET) == expected_hmac(body, WEBHOOK_SECRET)


def test_sign_known_vector():
    # Independently: HMAC-SHA256("key", "The quick brown fox jumps over the lazy dog").
    digest = bytes.fromhex("f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8")
    assert sign(b"The quick brown fox jumps over the lazy dog", "key") == \
        base64.b64encode(digest).decode()


def test_sign_of_an_empty_body_matches_hmac():
    assert sign(b"", "s") == expected_hmac(b"", "s")


def test_authenticate_accepts_a_correct_signature_over_the_stored_bytes():
    body = fixture_bytes(DOCS_SAMPLE)
    envelope = adapter.authenticate(make_shop(), headers_for(body, topic="orders/create"), body)
    assert envelope.delivery_id == "b54557e4-bdd9-4b37-8a5f-bf7d70bcd043"
    assert envelope.topic == "orders/create"


def test_authenticate_keeps_the_delivery_headers_but_not_the_signature():
    body = fixture_bytes(DOCS_SAMPLE)
    envelope = adapter.authenticate(make_shop(), headers_for(body), body)
    assert envelope.headers["X-Shopify-Topic"] == "orders/paid"
    assert envelope.headers["X-Shopify-Shop-Domain"] == DOMAIN
    assert envelope.headers["X-Shopify-Webhook-Id"] == "b54557e4-bdd9-4b37-8a5f-bf7d70bcd043"
    assert envelope.headers["X-Shopify-API-Version"] == "2026-10"
    assert envelope.headers["X-Shopify-Triggered-At"] == "2026-11-20T15:00:00.000000000Z"
    assert envelope.headers["X-Shopify-Event-Id"] == "98880550-7158-44d4-b7cd-2c97c8a091b5"
    assert "X-Shopify-Hmac-Sha256" not in envelope.headers
    assert "Content-Type" not in envelope.headers


def test_authenticate_then_parse_round_trip_on_the_stored_bytes():
    body = fixture_bytes(DOCS_SAMPLE)
    envelope = adapter.authenticate(make_shop(), headers_for(body, topic="orders/create"), body)
    event = adapter.parse(envelope, body)
    assert isinstance(event, OrderChanged)
    assert event.order.order_id == "820982911946154508"


def assert_unauthorized(headers, body, shop=None):
    with pytest.raises(Unauthorized) as info:
        adapter.authenticate(shop or make_shop(), headers, body)
    assert info.value.status == 401
    return info.value


def test_authenticate_rejects_a_tampered_byte():
    body = fixture_bytes(ORDER_JSON)
    headers = headers_for(body)
    index = body.index(b"398.00")
    tampered = body[:index] + b"9" + body[index + 1:]
    error = assert_unauthorized(headers, tampered)
    assert error.code == ErrorCode.INVALID_SIGNATURE


def test_authenticate_rejects_a_trailing_newline_added_to_the_body():
    body = fixture_bytes(REFUND_JSON)
    assert_unauthorized(headers_for(body), body + b"\n")


def test_authenticate_rejects_a_reserialised_body():
    body = fixture_bytes(ORDER_JSON)
    assert_unauthorized(headers_for(body), json.dumps(json.loads(body)).encode())


def test_authenticate_rejects_a_wrong_secret():
    body = fixture_bytes(ORDER_JSON)
    assert_unauthorized(headers_for(body, secret="not-the-secret"), body)


def test_authenticate_rejects_a_hex_digest():
    body = fixture_bytes(ORDER_JSON)
    hex_digest = hmac.new(WEBHOOK_SECRET.encode(), body, hashlib.sha256).hexdigest()
    assert_unauthorized(headers_for(body, X_Shopify_Hmac_Sha256=hex_digest), body)


def test_authenticate_rejects_a_missing_hmac_header():
    body = fixture_bytes(ORDER_JSON)
    error = assert_unauthorized(headers_for(body, X_Shopify_Hmac_Sha256=None), body)
    assert "X-Shopify-Hmac-Sha256" in error.message


def test_authenticate_rejects_an_empty_hmac_header():
    body = fixture_bytes(ORDER_JSON)
    assert_unauthorized(headers_for(body, X_Shopify_Hmac_Sha256=""), body)


def test_authenticate_rejects_another_shops_domain():
    body = fixture_bytes(ORDER_JSON)
    error = assert_unauthorized(headers_for(body, X_Shopify_Shop_Domain="y.myshopify.com"), body)
    assert "X-Shopify-Shop-Domain" in error.message


def test_authenticate_rejects_a_missing_shop_domain():
    body = fixture_bytes(ORDER_JSON)
    assert_unauthorized(headers_for(body, X_Shopify_Shop_Domain=None), body)


def test_authenticate_accepts_the_shop_domain_in_another_case():
    body = fixture_bytes(ORDER_JSON)
    adapter.authenticate(make_shop(), headers_for(body, X_Shopify_Shop_Domain="X.MyShopify.com"),
                         body)


def test_authenticate_header_names_are_case_insensitive():
    body = fixture_bytes(ORDER_JSON)
    lowered = Headers([(name.lower(), value) for name, value in headers_for(body).items()])
    envelope = adapter.authenticate(make_shop(), lowered, body)
    assert envelope.topic == "orders/paid"
    assert envelope.delivery_id == "b54557e4-bdd9-4b37-8a5f-bf7d70bcd043"


def test_authenticate_accepts_the_previous_secret_during_rotation():
    body = fixture_bytes(ORDER_JSON)
    shop = make_shop(secret="new-secret", previous="old-secret")
    adapter.authenticate(shop, headers_for(body, secret="old-secret"), body)
    adapter.authenticate(shop, headers_for(body, secret="new-secret"), body)


def test_authenticate_without_a_previous_secret_rejects_an_old_one():
    body = fixture_bytes(ORDER_JSON)
    shop = make_shop(secret="new-secret", previous=None)
    assert_unauthorized(headers_for(body, secret="old-secret"), body, shop=shop)


@pytest.mark.parametrize("header", ["X-Shopify-Topic", "X-Shopify-Webhook-Id"])
def test_authenticate_requires_topic_and_webhook_id_naming_the_header(header):
    body = fixture_bytes(ORDER_JSON)
    headers = headers_for(body, **{header.replace("-", "_"): None})
    with pytest.raises(BadRequest) as info:
        adapter.authenticate(make_shop(), headers, body)
    assert info.value.status == 400
    assert header in info.value.message
    assert info.value.details == {"headers": [header]}


def test_authenticate_names_both_missing_headers():
    body = fixture_bytes(ORDER_JSON)
    headers = headers_for(body, X_Shopify_Topic=None, X_Shopify_Webhook_Id=None)
    with pytest.raises(BadRequest) as info:
        adapter.authenticate(make_shop(), headers, body)
    assert "X-Shopify-Topic" in info.value.message
    assert "X-Shopify-Webhook-Id" in info.value.message


def test_authenticate_rejects_an_overlong_webhook_id():
    body = fixture_bytes(ORDER_JSON)
    with pytest.raises(BadRequest, match="X-Shopify-Webhook-Id"):
        adapter.authenticate(make_shop(), headers_for(body, webhook_id="w" * 129), body)


@pytest.mark.parametrize("content_type", ["application/x-www-form-urlencoded", "text/plain", None])
def test_authenticate_rejects_a_non_json_content_type(content_type):
    body = fixture_bytes(ORDER_JSON)
    with pytest.raises(UnsupportedMediaType) as info:
        adapter.authenticate(make_shop(), headers_for(body, Content_Type=content_type), body)
    assert info.value.status == 415


def test_authenticate_accepts_json_with_a_charset():
    body = fixture_bytes(ORDER_JSON)
    adapter.authenticate(make_shop(), headers_for(body, Content_Type="application/json; charset=utf-8"),
                         body)


def test_authenticate_checks_the_signature_before_anything_else():
    # A forged request learns nothing about which other header is wrong.
    body = fixture_bytes(ORDER_JSON)
    headers = headers_for(body, secret="forged", Content_Type="text/plain", X_Shopify_Topic=None)
    assert_unauthorized(headers, body)


def test_authentication_errors_are_loyalty_errors():
    assert issubclass(Unauthorized, LoyaltyError)
    assert Unauthorized("x").status == 401


# =========================================================================================
# Orders: the stored samples
# =========================================================================================


def test_order_json_identity_and_customer():
    order = order_of(unwrapped(ORDER_JSON), "orders/create")
    assert order.order_id == "450789469"
    assert order.customer.platform_id == "207119551"
    assert order.customer.email == "bob.norman@hostmail.com"
    assert order.customer.first_name == "Bob"
    assert order.customer.last_name == "Norman"
    assert order.name == "#1001"
    assert order.currency == "USD"


def test_order_json_amounts_use_subtotal_shipping_lines_and_total_tax():
    order = order_of(unwrapped(ORDER_JSON), "orders/create")
    assert order.amounts.items == Decimal("398.00")
    assert order.amounts.shipping == 0
    assert order.amounts.taxes == Decimal("11.94")
    for amount in (order.amounts.items, order.amounts.shipping, order.amounts.taxes):
        assert isinstance(amount, Decimal)


def test_order_json_authorized_is_not_paid_on_orders_create():
    assert order_of(unwrapped(ORDER_JSON), "orders/create").is_paid is False


def test_order_json_is_paid_on_the_orders_paid_topic():
    assert order_of(unwrapped(ORDER_JSON), "orders/paid").is_paid is True


def test_order_json_flags_discount_code_and_time():
    order = order_of(unwrapped(ORDER_JSON), "orders/create")
    assert order.discount_codes == ("TENOFF",)
    assert order.is_test is False
    assert order.is_cancelled is False
    assert order.is_fulfilled is False
    assert order.refunds == ()
    assert order.updated_at == dt.datetime(2008, 1, 10, 16, 0, tzinfo=dt.timezone.utc)
    assert order.updated_at.utcoffset() == dt.timedelta(0)


def test_docs_sample_keeps_an_id_above_2_53_exact():
    order = order_of(json.loads(fixture_bytes(DOCS_SAMPLE)), "orders/create")
    assert order.order_id == "820982911946154508"
    assert int(order.order_id) > 2**53


def test_docs_sample_parsed_from_the_stored_bytes_keeps_the_id_exact():
    event = adapter.parse(Envelope(delivery_id="d", topic="orders/create"), fixture_bytes(DOCS_SAMPLE))
    assert event.order.order_id == "820982911946154508"
    assert event.order.customer.platform_id == "115310627314723954"


def test_docs_sample_is_a_cancelled_test_order():
    order = order_of(json.loads(fixture_bytes(DOCS_SAMPLE)), "orders/create")
    assert order.is_test is True
    assert order.is_cancelled is True
    assert order.is_paid is False  # financial_status voided


def test_docs_sample_customer_email_wins_over_the_order_email():
    order = order_of(json.loads(fixture_bytes(DOCS_SAMPLE)), "orders/create")
    assert order.customer.email == "john@test.com"
    assert order.customer.platform_id == "115310627314723954"
    assert (order.customer.first_name, order.customer.last_name) == ("John", "Smith")


def test_docs_sample_amounts():
    order = order_of(json.loads(fixture_bytes(DOCS_SAMPLE)), "orders/create")
    assert order.amounts.items == Decimal("393.00")
    assert order.amounts.shipping == Decimal("10.00")
    assert order.amounts.taxes == 0
    assert order.discount_codes == ()


@pytest.mark.parametrize("topic, field, expected", [
    ("orders/fulfilled", "is_fulfilled", True),
    ("orders/cancelled", "is_cancelled", True),
    ("orders/updated", "is_paid", False),
    ("orders/updated", "is_cancelled", False),
])
def test_order_topics_set_their_flags(topic, field, expected):
    assert getattr(order_of(unwrapped(ORDER_JSON), topic), field) is expected


@pytest.mark.parametrize("status, paid", [
    ("paid", True), ("partially_refunded", True), ("refunded", True),
    ("pending", False), ("authorized", False), ("partially_paid", False), ("voided", False),
])
def test_order_paid_follows_financial_status_on_orders_updated(status, paid):
    payload = unwrapped(ORDER_JSON)
    payload["financial_status"] = status
    assert order_of(payload, "orders/updated").is_paid is paid


def test_order_fulfilled_follows_fulfillment_status():
    payload = unwrapped(ORDER_JSON)
    payload["fulfillment_status"] = "fulfilled"
    assert order_of(payload, "orders/updated").is_fulfilled is True
    payload["fulfillment_status"] = "partial"
    assert order_of(payload, "orders/updated").is_fulfilled is False


# =========================================================================================
# Refunds: the stored sample
# =========================================================================================


def test_refund_json_ids():
    refund = refund_of(unwrapped(REFUND_JSON))
    assert refund.refund_id == "509562969"
    assert refund.order_id == "450789469"


def test_refund_json_items_are_computed_from_the_embedded_line_items():
    refund = refund_of(unwrapped(REFUND_JSON))
    assert refund.amounts.items == Decimal("398.00")
    assert refund.amounts.shipping == 0
    assert isinstance(refund.amounts.items, Decimal)


def test_refund_json_with_a_successful_refund_transaction_is_effective():
    assert refund_of(unwrapped(REFUND_JSON)).is_effective is True


def test_refund_json_created_at_is_aware_utc():
    refund = refund_of(unwrapped(REFUND_JSON))
    assert refund.created_at == dt.datetime(2016, 6, 20, 17, 35, 6, tzinfo=dt.timezone.utc)


def test_refund_pro_rata_on_quantity_when_there_is_no_subtotal():
    payload = unwrapped(REFUND_JSON)
    line = payload["refund_line_items"][0]
    line["line_item"]["quantity"] = 3
    line["line_item"]["total_discount"] = "30.00"  # 3 x 199.00 - 30.00 = 567.00
    line["quantity"] = 2
    payload["refund_line_items"] = [line]
    assert refund_of(payload).amounts.items == Decimal("378.00")


def test_refund_order_id_falls_back_to_the_enclosing_order():
    payload = unwrapped(REFUND_JSON)
    del payload["order_id"]
    assert parse_refund(payload, order_id="450789469").order_id == "450789469"
    with pytest.raises(PayloadError, match="order_id"):
        parse_refund(payload)


# =========================================================================================
# Variants PLATFORMS.md warns about
# =========================================================================================


def test_order_money_comes_from_shop_money_not_presentment_money():
    payload = json.loads(fixture_bytes(DOCS_SAMPLE))
    payload["presentment_currency"] = "EUR"
    payload["subtotal_price_set"] = money_set("393.00", "361.56")
    payload["total_shipping_price_set"] = money_set("10.00", "9.20")
    payload["total_tax_set"] = money_set("4.00", "3.68")
    order = order_of(payload)
    assert order.amounts.items == Decimal("393.00")
    assert order.amounts.shipping == Decimal("10.00")
    assert order.amounts.taxes == Decimal("4.00")


def test_order_set_wins_over_the_plain_field():
    payload = json.loads(fixture_bytes(DOCS_SAMPLE))
    payload["subtotal_price"] = "1.00"  # the *_set shop money is authoritative
    assert order_of(payload).amounts.items == Decimal("393.00")


def test_order_lines_use_shop_money_when_the_subtotal_is_computed():
    payload = json.loads(fixture_bytes(DOCS_SAMPLE))
    del payload["subtotal_price"], payload["subtotal_price_set"]
    for line in payload["line_items"]:
        line["price_set"] = money_set("199.00", "183.08")
        for allocation in line["discount_allocations"]:
            allocation["amount_set"] = money_set("5.00", "4.60")
    assert order_of(payload).amounts.items == Decimal("393.00")


def test_factory_order_with_presentment_money_uses_shop_money():
    order = order_of(shopify_order(subtotal="100.00"))
    assert order.amounts.items == Decimal("100.00")  # presentment subtotal is 999.99
    assert order.amounts.shipping == Decimal("10.00")
    assert order.amounts.taxes == Decimal("8.00")


def test_refund_subtotal_as_a_json_number():
    payload = unwrapped(REFUND_JSON)
    for line in payload["refund_line_items"]:
        line["subtotal"] = 199.0
        line["total_tax"] = 3.98
    refund = refund_of(payload)
    assert refund.amounts.items == Decimal("398.0")
    assert refund.amounts.taxes == Decimal("7.96")


def test_refund_subtotal_parses_exactly_from_a_json_number_body():
    body = (b'{"id": 1, "order_id": 2, "refund_line_items": '
            b'[{"quantity": 1, "subtotal": 0.1, "total_tax": 0.2}, '
            b'{"quantity": 1, "subtotal": 0.2, "total_tax": 0.1}]}')
    refund = parse("refunds/create", body).refund
    assert refund.amounts.items == Decimal("0.3")
    assert refund.amounts.taxes == Decimal("0.3")


def test_refund_subtotal_set_uses_shop_money():
    payload = unwrapped(REFUND_JSON)
    for line in payload["refund_line_items"]:
        line["subtotal"] = 250.0  # presentment-looking plain value, ignored for the set
        line["subtotal_set"] = money_set("199.00", "250.00")
        line["total_tax_set"] = money_set("3.98", "5.00")
    refund = refund_of(payload)
    assert refund.amounts.items == Decimal("398.00")
    assert refund.amounts.taxes == Decimal("7.96")


def test_refund_subtotal_wins_over_the_embedded_line_item():
    payload = unwrapped(REFUND_JSON)
    payload["refund_line_items"][0]["subtotal"] = "150.00"  # e.g. after an order discount
    assert refund_of(payload).amounts.items == Decimal("349.00")


def test_order_gift_card_line_is_excluded_from_items():
    payload = json.loads(fixture_bytes(DOCS_SAMPLE))
    payload["line_items"][0]["gift_card"] = True  # the undiscounted 199.00 line
    assert order_of(payload).amounts.items == Decimal("194.00")


def test_order_gift_card_line_is_excluded_when_the_subtotal_is_computed():
    payload = json.loads(fixture_bytes(DOCS_SAMPLE))
    del payload["subtotal_price"], payload["subtotal_price_set"]
    payload["line_items"][0]["gift_card"] = True
    assert order_of(payload).amounts.items == Decimal("194.00")


def test_order_of_only_gift_cards_has_zero_items():
    payload = json.loads(fixture_bytes(DOCS_SAMPLE))
    for line in payload["line_items"]:
        line["gift_card"] = True
    assert order_of(payload).amounts.items == 0


def test_refund_gift_card_line_is_excluded_from_items():
    payload = unwrapped(REFUND_JSON)
    payload["refund_line_items"][0]["line_item"]["gift_card"] = True
    assert refund_of(payload).amounts.items == Decimal("199.00")


def test_refund_gift_card_line_with_a_subtotal_is_excluded():
    payload = unwrapped(REFUND_JSON)
    for line in payload["refund_line_items"]:
        line["subtotal"] = "199.00"
        line["total_tax"] = "3.98"
    payload["refund_line_items"][1]["line_item"]["gift_card"] = True
    refund = refund_of(payload)
    assert refund.amounts.items == Decimal("199.00")
    assert refund.amounts.taxes == Decimal("3.98")


def test_order_taxes_included_subtracts_line_tax_from_items():
    payload = json.loads(fixture_bytes(DOCS_SAMPLE))
    payload["taxes_included"] = True
    payload["line_items"][0]["tax_lines"] = [
        {"title": "VAT", "rate": 0.2, "price": "33.17", "price_set": money_set("33.17", "30.52")}]
    payload["line_items"][1]["tax_lines"] = [
        {"title": "VAT", "rate": 0.2, "price": "32.33", "price_set": money_set("32.33", "29.74")}]
    payload["total_tax_set"] = money_set("65.50", "60.26")
    order = order_of(payload)
    assert order.amounts.items == Decimal("393.00") - Decimal("33.17") - Decimal("32.33")
    assert order.amounts.taxes == Decimal("65.50")


def test_order_taxes_excluded_leaves_items_alone():
    payload = json.loads(fixture_bytes(DOCS_SAMPLE))
    payload["line_items"][0]["tax_lines"] = [{"title": "Tax", "price": "11.94", "rate": 0.06}]
    assert order_of(payload).amounts.items == Decimal("393.00")


def test_refund_with_only_a_shipping_adjustment():
    payload = unwrapped(REFUND_JSON)
    payload["refund_line_items"] = []
    payload["order_adjustments"] = [{
        "id": 1, "order_id": 450789469, "refund_id": 509562969, "kind": "shipping_refund",
        "reason": "Shipping refund", "amount": "-10.00", "tax_amount": "0.00",
        "amount_set": money_set("-10.00", "-9.20"), "tax_amount_set": money_set("0.00", "0.00")}]
    refund = refund_of(payload)
    assert refund.amounts.items == 0
    assert refund.amounts.shipping == Decimal("10.00")


def test_refund_discrepancy_adjustment_is_not_shipping():
    payload = unwrapped(REFUND_JSON)
    payload["order_adjustments"] = [{"kind": "refund_discrepancy", "amount": "-5.00"}]
    assert refund_of(payload).amounts.shipping == 0


def test_refund_shipping_lines_count_as_shipping():
    payload = unwrapped(REFUND_JSON)
    payload["refund_line_items"] = []
    payload["refund_shipping_lines"] = [{"id": 1, "subtotal_amount_set": money_set("7.50", "6.90")}]
    refund = refund_of(payload)
    assert refund.amounts.items == 0
    assert refund.amounts.shipping == Decimal("7.50")


def test_refund_with_only_pending_transactions_is_not_effective():
    payload = unwrapped(REFUND_JSON)
    payload["transactions"][0]["status"] = "pending"
    payload["transactions"].append(dict(payload["transactions"][0], id=2))
    assert refund_of(payload).is_effective is False


@pytest.mark.parametrize("status", ["failure", "error"])
def test_refund_with_failed_transactions_is_not_effective(status):
    payload = unwrapped(REFUND_JSON)
    payload["transactions"][0]["status"] = status
    assert refund_of(payload).is_effective is False


def test_refund_with_a_success_that_is_not_a_refund_kind_is_not_effective():
    payload = unwrapped(REFUND_JSON)
    payload["transactions"][0]["kind"] = "void"
    assert refund_of(payload).is_effective is False


def test_refund_with_one_successful_transaction_among_pending_is_effective():
    payload = unwrapped(REFUND_JSON)
    pending = dict(payload["transactions"][0], id=2, status="pending")
    payload["transactions"].insert(0, pending)
    assert refund_of(payload).is_effective is True


@pytest.mark.parametrize("transactions", [[], None, "absent"])
def test_refund_with_no_transactions_is_effective(transactions):
    payload = unwrapped(REFUND_JSON)
    if transactions == "absent":
        del payload["transactions"]
    else:
        payload["transactions"] = transactions
    assert refund_of(payload).is_effective is True


def test_guest_order_falls_back_to_the_order_email():
    payload = unwrapped(ORDER_JSON)
    payload["customer"] = None
    order = order_of(payload)
    assert order.customer == CustomerRef(platform_id=None, email="bob.norman@hostmail.com")
    assert order.customer.is_identified


def test_guest_order_without_a_customer_key_falls_back_to_the_order_email():
    payload = unwrapped(ORDER_JSON)
    del payload["customer"]
    assert order_of(payload).customer.email == "bob.norman@hostmail.com"


def test_guest_order_with_an_empty_email_falls_back_to_contact_email():
    payload = json.loads(fixture_bytes(DOCS_SAMPLE))
    payload["customer"] = None
    payload["email"] = ""
    order = order_of(payload)
    assert order.customer.email == "jon@doe.ca"
    assert order.customer.platform_id is None


def test_customer_without_an_email_falls_back_to_the_order_email():
    payload = json.loads(fixture_bytes(DOCS_SAMPLE))
    payload["customer"]["email"] = None
    order = order_of(payload)
    assert order.customer.email == "jon@doe.ca"
    assert order.customer.platform_id == "115310627314723954"


def test_guest_order_without_any_email_is_unidentified():
    # The activepieces capture: no customer and email "".
    payload = json.loads(fixture_bytes(DOCS_SAMPLE))
    payload["customer"] = None
    payload["email"] = ""
    payload["contact_email"] = None
    order = order_of(payload)
    assert order.customer == CustomerRef()
    assert not order.customer.is_identified


def test_order_without_refunds_key():
    payload = unwrapped(ORDER_JSON)
    assert "refunds" not in payload
    assert order_of(payload).refunds == ()


def test_order_without_line_items_keeps_its_subtotal():
    payload = unwrapped(ORDER_JSON)
    del payload["line_items"]
    assert order_of(payload).amounts.items == Decimal("398.00")


def test_order_without_subtotal_is_computed_from_lines_after_discounts():
    payload = json.loads(fixture_bytes(DOCS_SAMPLE))
    del payload["subtotal_price"], payload["subtotal_price_set"]
    # 199.00 + (199.00 - 5.00 allocated discount)
    assert order_of(payload).amounts.items == Decimal("393.00")


def test_order_line_without_allocations_uses_total_discount():
    payload = json.loads(fixture_bytes(DOCS_SAMPLE))
    del payload["subtotal_price"], payload["subtotal_price_set"]
    payload["line_items"][1]["discount_allocations"] = []
    payload["line_items"][1]["total_discount"] = "7.00"
    payload["line_items"][1].pop("total_discount_set")
    payload["line_items"][0]["quantity"] = 2
    assert order_of(payload).amounts.items == Decimal("398.00") + Decimal("192.00")


def test_order_without_shipping_price_set_or_lines_has_zero_shipping():
    payload = unwrapped(ORDER_JSON)
    del payload["shipping_lines"]
    assert order_of(payload).amounts.shipping == 0


def test_order_shipping_lines_are_summed():
    payload = unwrapped(ORDER_JSON)
    payload["shipping_lines"] = [{"price": "5.00"}, {"price": "2.50", "price_set": money_set("2.50", "9")}]
    assert order_of(payload).amounts.shipping == Decimal("7.50")


def test_minimal_order_has_zero_amounts_and_no_customer():
    order = order_of({"id": 1})
    assert order.order_id == "1"
    assert order.amounts.items == 0 and order.amounts.shipping == 0 and order.amounts.taxes == 0
    assert order.customer == CustomerRef()
    assert order.updated_at is None
    assert order.refunds == () and order.discount_codes == ()


def test_order_with_a_string_id():
    assert order_of({"id": "gid-less-450789469"}).order_id == "gid-less-450789469"


def test_order_embeds_its_refunds_with_the_order_id():
    payload = unwrapped(ORDER_JSON)
    refund = unwrapped(REFUND_JSON)
    del refund["order_id"]
    payload["refunds"] = [refund]
    order = order_of(payload, "orders/updated")
    assert len(order.refunds) == 1
    assert order.refunds[0].refund_id == "509562969"
    assert order.refunds[0].order_id == "450789469"
    assert order.refunds[0].amounts.items == Decimal("398.00")


def test_items_are_never_negative():
    payload = unwrapped(ORDER_JSON)
    payload["subtotal_price"] = "-5.00"
    assert order_of(payload).amounts.items == 0


def test_updated_at_zulu_and_naive_times_are_utc():
    payload = unwrapped(ORDER_JSON)
    payload["updated_at"] = "2026-11-20T10:00:00Z"
    assert order_of(payload).updated_at == dt.datetime(2026, 11, 20, 10, tzinfo=dt.timezone.utc)
    payload["updated_at"] = "2026-11-20T10:00:00"
    assert order_of(payload).updated_at == dt.datetime(2026, 11, 20, 10, tzinfo=dt.timezone.utc)


def test_parse_timestamp_empty_is_none():
    assert parse_timestamp(None, "t") is None
    assert parse_timestamp("", "t") is None


# =========================================================================================
# Malformed bodies
# =========================================================================================


@pytest.mark.parametrize("body, message", [
    (b"{not json", "not valid JSON"),
    (b"", "not valid JSON"),
    (b"\xff\xfe", "not valid JSON"),
    (b"[]", "JSON object"),
    (b'[{"id": 1}]', "JSON object"),
    (b'"order"', "JSON object"),
    (b"null", "JSON object"),
])
def test_a_body_that_is_not_a_json_object_is_a_payload_error(body, message):
    with pytest.raises(PayloadError, match=message):
        parse("orders/paid", body)


@pytest.mark.parametrize("topic", ["orders/create", "refunds/create", "customers/create",
                                   "shop/redact", "something/else"])
def test_every_topic_rejects_a_non_object_body(topic):
    with pytest.raises(PayloadError):
        parse(topic, b"[1, 2]")


@pytest.mark.parametrize("value", ["absent", None, True, False, "", "  ", 1.5, {"id": 1}, [1]])
def test_order_id_missing_or_not_an_id(value):
    payload = unwrapped(ORDER_JSON)
    if value == "absent":
        del payload["id"]
    else:
        payload["id"] = value
    with pytest.raises(PayloadError, match="order id"):
        parse("orders/paid", payload)


def test_order_id_longer_than_64_characters():
    with pytest.raises(PayloadError, match="order id"):
        parse("orders/paid", {"id": "9" * 65})


@pytest.mark.parametrize("value", [True, None, "absent"])
def test_refund_id_missing_or_a_bool(value):
    payload = unwrapped(REFUND_JSON)
    if value == "absent":
        del payload["id"]
    else:
        payload["id"] = value
    with pytest.raises(PayloadError, match="refund id"):
        parse("refunds/create", payload)


def test_refund_without_an_order_id():
    payload = unwrapped(REFUND_JSON)
    payload["order_id"] = None
    with pytest.raises(PayloadError, match="order_id"):
        parse("refunds/create", payload)


def test_order_money_that_is_not_a_number_names_the_field():
    payload = unwrapped(ORDER_JSON)
    payload["subtotal_price"] = "abc"
    with pytest.raises(PayloadError, match="subtotal_price"):
        parse("orders/paid", payload)


def test_order_shop_money_that_is_not_a_number_names_the_field():
    payload = json.loads(fixture_bytes(DOCS_SAMPLE))
    payload["total_shipping_price_set"]["shop_money"]["amount"] = "abc"
    with pytest.raises(PayloadError, match="total_shipping_price_set.shop_money.amount"):
        parse("orders/paid", payload)


@pytest.mark.parametrize("value", ["NaN", "Infinity", True, [1]])
def test_order_tax_that_is_not_finite_or_not_a_number(value):
    payload = unwrapped(ORDER_JSON)
    payload["total_tax"] = value
    with pytest.raises(PayloadError, match="total_tax"):
        parse("orders/paid", payload)


def test_refund_money_that_is_not_a_number_names_the_field():
    payload = unwrapped(REFUND_JSON)
    payload["refund_line_items"][0]["subtotal"] = "abc"
    with pytest.raises(PayloadError, match="subtotal"):
        parse("refunds/create", payload)


def test_line_quantity_negative_when_lines_are_summed():
    payload = json.loads(fixture_bytes(DOCS_SAMPLE))
    del payload["subtotal_price"], payload["subtotal_price_set"]
    payload["line_items"][0]["quantity"] = -1
    with pytest.raises(PayloadError, match="quantity"):
        parse("orders/paid", payload)


def test_gift_card_line_quantity_negative():
    payload = json.loads(fixture_bytes(DOCS_SAMPLE))
    payload["line_items"][0]["gift_card"] = True
    payload["line_items"][0]["quantity"] = -1
    with pytest.raises(PayloadError, match="quantity"):
        parse("orders/paid", payload)


@pytest.mark.parametrize("quantity", [-1, True, "1", 1.5])
def test_refund_line_quantity_must_be_a_non_negative_integer(quantity):
    payload = unwrapped(REFUND_JSON)
    payload["refund_line_items"][0]["quantity"] = quantity
    with pytest.raises(PayloadError, match="refund_line_items.quantity"):
        parse("refunds/create", payload)


@pytest.mark.parametrize("value", ["abc", {"id": 1}, 5, [1, 2], [{"id": 1}, "x"]])
def test_line_items_not_a_list_of_objects(value):
    payload = unwrapped(ORDER_JSON)
    payload["line_items"] = value
    with pytest.raises(PayloadError, match="line_items must be a list"):
        parse("orders/paid", payload)


def test_refund_line_items_not_a_list():
    payload = unwrapped(REFUND_JSON)
    payload["refund_line_items"] = {"id": 1}
    with pytest.raises(PayloadError, match="refund_line_items must be a list"):
        parse("refunds/create", payload)


def test_refunds_not_a_list():
    payload = unwrapped(ORDER_JSON)
    payload["refunds"] = "none"
    with pytest.raises(PayloadError, match="refunds must be a list"):
        parse("orders/updated", payload)


@pytest.mark.parametrize("value, message", [
    ("yesterday", "not an ISO 8601 time"),
    ("2008-13-45T11:00:00-05:00", "not an ISO 8601 time"),
    (1199980800, "ISO 8601 string"),
])
def test_updated_at_not_iso(value, message):
    payload = unwrapped(ORDER_JSON)
    payload["updated_at"] = value
    with pytest.raises(PayloadError, match=f"updated_at.*{message}"):
        parse("orders/paid", payload)


def test_refund_created_at_not_iso():
    payload = unwrapped(REFUND_JSON)
    payload["created_at"] = "last tuesday"
    with pytest.raises(PayloadError, match="created_at"):
        parse("refunds/create", payload)


def test_payload_error_is_a_value_error():
    assert issubclass(PayloadError, ValueError)


# =========================================================================================
# Topic mapping
# =========================================================================================

CUSTOMER = {"id": 706405506930370084, "email": "bob@biller.com", "accepts_marketing": True,
            "first_name": "Bob", "last_name": "Biller", "orders_count": 0, "state": "disabled",
            "total_spent": "0.00", "phone": None, "tags": "", "currency": "USD"}


def test_customers_create_is_a_created_customer_change():
    event = parse("customers/create", CUSTOMER)
    assert event == CustomerChanged(
        CustomerRef(platform_id="706405506930370084", email="bob@biller.com",
                    first_name="Bob", last_name="Biller"), created=True)


def test_customers_update_is_not_a_creation():
    event = parse("customers/update", CUSTOMER)
    assert isinstance(event, CustomerChanged)
    assert event.created is False
    assert event.customer.platform_id == "706405506930370084"


def test_customer_change_without_an_id_is_a_payload_error():
    payload = dict(CUSTOMER)
    del payload["id"]
    with pytest.raises(PayloadError, match="customer id"):
        parse("customers/create", payload)


DATA_REQUEST = {"shop_id": 954889, "shop_domain": "x.myshopify.com",
                "orders_requested": [299938, 280263, 220458],
                "customer": {"id": 191167, "email": "john@example.com", "phone": "555-625-1199"},
                "data_request": {"id": 9999}}

CUSTOMER_REDACT = {"shop_id": 954889, "shop_domain": "x.myshopify.com",
                   "customer": {"id": 191167, "email": "john@example.com", "phone": "555-625-1199"},
                   "orders_to_redact": [299938, 280263, 220458]}


def test_customers_data_request():
    event = parse("customers/data_request", DATA_REQUEST)
    assert event == CustomerDataRequested(
        CustomerRef(platform_id="191167", email="john@example.com"),
        ("299938", "280263", "220458"))


def test_customers_data_request_without_orders():
    payload = dict(DATA_REQUEST)
    del payload["orders_requested"]
    assert parse("customers/data_request", payload).order_ids == ()


def test_customers_redact():
    event = parse("customers/redact", CUSTOMER_REDACT)
    assert event == CustomerRedactRequested(
        CustomerRef(platform_id="191167", email="john@example.com"),
        ("299938", "280263", "220458"))


def test_customers_redact_with_only_an_email():
    payload = dict(CUSTOMER_REDACT, customer={"email": "john@example.com"}, orders_to_redact=[])
    event = parse("customers/redact", payload)
    assert event == CustomerRedactRequested(CustomerRef(email="john@example.com"), ())


@pytest.mark.parametrize("topic", ["customers/redact", "customers/data_request"])
def test_privacy_request_without_a_customer_is_a_payload_error(topic):
    with pytest.raises(PayloadError, match="customer is missing"):
        parse(topic, {"shop_id": 954889, "shop_domain": "x.myshopify.com"})


@pytest.mark.parametrize("topic", ["customers/redact", "customers/data_request"])
def test_privacy_request_for_an_unidentified_customer_is_a_payload_error(topic):
    payload = {"shop_id": 954889, "customer": {"id": None, "email": "", "phone": "555"}}
    with pytest.raises(PayloadError, match="neither id nor email"):
        parse(topic, payload)


def test_shop_redact():
    assert parse("shop/redact", {"shop_id": 954889, "shop_domain": "x.myshopify.com"}) == \
        ShopRedactRequested()


def test_app_uninstalled():
    shop_object = {"id": 548380009, "name": "Super Toys", "email": "super@supertoys.com",
                   "domain": None, "myshopify_domain": "x.myshopify.com", "currency": "USD"}
    assert parse("app/uninstalled", shop_object) == AppUninstalled()


@pytest.mark.parametrize("topic", ["products/update", "checkouts/create", "orders/delete", ""])
def test_an_unknown_topic_is_unhandled(topic):
    assert parse(topic, {"id": 1}) == Unhandled(topic)


def test_an_unknown_topic_does_not_need_a_valid_order():
    assert parse("products/update", {"title": "no id here"}) == Unhandled("products/update")


def test_the_refund_sample_wrapped_in_its_envelope_is_not_a_refund():
    # The SDK's {"refund": …} envelope is not a webhook body: no id at the top.
    with pytest.raises(PayloadError, match="refund id"):
        parse("refunds/create", fixture_bytes(REFUND_JSON))



def test_refund_without_line_tax_takes_it_from_the_embedded_line_items():
    refund = refund_of(unwrapped("shopify/refund.json"))
    # Two refunded lines, each with 3.98 of tax on its embedded line item.
    assert refund.amounts.taxes == Decimal("7.96")


def test_null_subtotal_falls_back_to_the_line_items():
    payload = shopify_order(subtotal="80.00", subtotal_price=None, subtotal_price_set=None)
    assert order_of(payload).amounts.items == Decimal("80.00")


def test_a_shop_money_set_without_amount_falls_back_to_the_plain_field():
    payload = shopify_order(subtotal="80.00")
    payload["subtotal_price_set"] = {"shop_money": {"amount": None}}
    assert order_of(payload).amounts.items == Decimal("80.00")


@pytest.mark.parametrize("value", [{}, "", 0, False])
def test_line_items_of_another_falsy_type_are_rejected(value):
    with pytest.raises(PayloadError, match="line_items"):
        order_of(shopify_order(line_items=value))


def test_a_negative_quantity_on_any_line_is_rejected():
    payload = shopify_order()
    payload["line_items"][0]["quantity"] = -1
    with pytest.raises(PayloadError, match="quantity"):
        order_of(payload)
