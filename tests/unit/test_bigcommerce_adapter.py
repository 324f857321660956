"""BigCommerce parsing (order, products, refunds) and Standard Webhooks signatures, offline."""
from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
from decimal import Decimal

import pytest

from webhooks.base import PayloadError
from webhooks.bigcommerce import sign
from webhooks.bigcommerce_orders import parse_order, parse_refund

ORDER = {"id": 250, "customer_id": 11, "status_id": 11, "date_modified": "Tue, 25 Jun 2019 16:15:35 +0000",
         "shipping_cost_ex_tax": "7.3900", "handling_cost_ex_tax": "1.0000", "total_tax": "76.8800",
         "default_currency_code": "EUR", "currency_code": "USD",
         "billing_address": {"first_name": "Jane", "last_name": "Doe", "email": "janedoe@example.com"}}
PRODUCT = {"id": 240, "type": "physical", "quantity": 4, "total_ex_tax": "868.3600",
           "applied_discounts": [{"amount": "8.3600", "code": "SPRING", "target": "product"},
                                 {"amount": "10.0000", "code": None, "target": "order"}]}


def test_order_earns_on_products_after_discounts_in_the_transactional_currency():
    snap = parse_order(ORDER, [PRODUCT], [])
    assert snap.order_id == "250"
    assert snap.amounts.items == Decimal("850.0000")
    assert snap.amounts.shipping == Decimal("8.3900")
    assert snap.amounts.taxes == Decimal("76.8800")
    assert snap.currency == "EUR"
    assert snap.discount_codes == ("SPRING",)
    assert snap.customer.platform_id == "11" and snap.customer.email == "janedoe@example.com"
    assert snap.updated_at == dt.datetime(2019, 6, 25, 16, 15, 35, tzinfo=dt.timezone.utc)
    assert (snap.is_paid, snap.is_fulfilled, snap.is_cancelled, snap.is_test) == (True, False, False, False)


@pytest.mark.parametrize("status, paid, fulfilled, cancelled", [
    (0, False, False, False), (1, False, False, False), (7, False, False, False),
    (2, True, True, False), (10, True, True, False), (14, True, False, False),
    (4, False, False, True), (5, False, False, True), (6, False, False, True), (13, False, False, False),
])
def test_status_ids_map_to_paid_fulfilled_and_reversed(status, paid, fulfilled, cancelled):
    snap = parse_order({**ORDER, "status_id": status}, [PRODUCT], [])
    assert (snap.is_paid, snap.is_fulfilled, snap.is_cancelled) == (paid, fulfilled, cancelled)


def test_guest_order_is_known_by_email_and_the_test_gateway_is_a_test_order():
    snap = parse_order({**ORDER, "customer_id": 0, "payment_method": "Test Payment Gateway"}, [], [])
    assert snap.customer.platform_id is None
    assert snap.customer.email == "janedoe@example.com"
    assert snap.is_test


def test_refund_totals_less_tax_and_shipping_are_the_items():
    refund = parse_refund({"id": 9, "total_amount": 60.5, "total_tax": 5.5, "created": "2019-06-25T17:00:00Z",
                           "items": [{"item_type": "SHIPPING", "item_id": 1, "requested_amount": "5.00"},
                                     {"item_type": "PRODUCT", "item_id": 240, "quantity": 1}]},
                          "250", {"240": PRODUCT})
    assert (refund.amounts.items, refund.amounts.shipping, refund.amounts.taxes) == (
        Decimal("50.0"), Decimal("5.00"), Decimal("5.5"))
    assert refund.is_effective and refund.created_at.tzinfo is not None


def test_refund_without_totals_takes_the_products_share_by_quantity():
    refund = parse_refund({"id": 9, "items": [{"item_type": "PRODUCT", "item_id": 240, "quantity": 1}]},
                          "250", {"240": PRODUCT})
    assert refund.amounts.items == Decimal("212.5")  # (868.36 - 18.36) / 4


def test_a_refund_whose_payments_were_all_declined_is_not_effective():
    refund = parse_refund({"id": 9, "total_amount": 10, "payments": [{"is_declined": True}]}, "250", {})
    assert not refund.is_effective


@pytest.mark.parametrize("order, message", [
    ({**ORDER, "status_id": "11"}, "status_id must be an integer"),
    ({**ORDER, "total_tax": "lots"}, "total_tax is not a number"),
    ({**ORDER, "id": None}, "order id is missing"),
    ({**ORDER, "date_modified": 5}, "date_modified must be a date string"),
])
def test_malformed_orders_name_the_problem(order, message):
    with pytest.raises(PayloadError, match=message):
        parse_order(order, [PRODUCT], [])


def test_products_must_be_objects():
    with pytest.raises(PayloadError, match="applied_discounts must be a list of objects"):
        parse_order(ORDER, [{**PRODUCT, "applied_discounts": "none"}], [])


def test_standard_webhooks_signature_is_base64_hmac_over_id_timestamp_and_body():
    body = b'{"scope":"store/order/created"}'
    expected = base64.b64encode(hmac.new(b"secret", b"msg_1.1700000000." + body, hashlib.sha256)
                                .digest()).decode()
    assert sign(body, "secret", "msg_1", 1700000000) == expected
    # A "whsec_" secret is base64 of the real key, as the Standard Webhooks libraries take it.
    assert sign(body, "whsec_" + base64.b64encode(b"secret").decode(), "msg_1", 1700000000) == expected
