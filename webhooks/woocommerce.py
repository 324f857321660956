"""WooCommerce: HMAC-signed webhooks whose body is the order's whole state at send time.

WooCommerce builds the payload when it sends, not when the order changed, and its
``X-WC-Webhook-Delivery-ID`` is new on every send, so it cannot name a delivery. A
delivery is named instead by a hash of its topic and exact body: the same snapshot sent
twice is one delivery, and any other body is a snapshot the orders service converges on
(an update that changes nothing changes nothing).
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import re
from decimal import Decimal
from typing import Any

from loyalty_plugin.errors import BadRequest, ErrorCode, Unauthorized
from loyalty_plugin.events import (CustomerChanged, CustomerRef, Event, OrderChanged, OrderSnapshot,
                                   PostalAddress, RefundSnapshot, Unhandled)
from loyalty_plugin.models import Platform, Shop
from loyalty_plugin.rules.earning import Amounts
from loyalty_plugin.rules.money import check_amount

from .base import (Acknowledged, Envelope, PayloadError, load_json_object, money_field, object_list,
                   optional_id, optional_text, parse_timestamp, postal_address, require_id,
                   require_json_content)

SIGNATURE_HEADER = "X-WC-Webhook-Signature"
TOPIC_HEADER = "X-WC-Webhook-Topic"
KEPT_HEADERS = (TOPIC_HEADER, "X-WC-Webhook-Resource", "X-WC-Webhook-Event", "X-WC-Webhook-ID",
                "X-WC-Webhook-Delivery-ID", "X-WC-Webhook-Source")
# Sent unsigned, as a form body, when a webhook is created or activated.
PING = re.compile(rb"webhook_id=\d{1,20}")

SNAPSHOT_TOPICS = frozenset({"order.created", "order.updated", "order.restored"})
CUSTOMER_TOPICS = frozenset({"customer.created", "customer.updated"})
# WooCommerce's own wc_get_is_paid_statuses().
PAID_STATUSES = frozenset({"processing", "completed"})
# "failed" is left out on purpose: the shopper can pay the same order again later.
REVERSED_STATUSES = frozenset({"cancelled", "refunded"})
STORED_PLACES = Decimal("0.0001")


def sign(body: bytes, secret: str) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def delivery_id_for(topic: str, body: bytes) -> str:
    return "wc-" + hashlib.sha256(topic.encode() + b"\n" + body).hexdigest()


class WooCommerceAdapter:
    platform = Platform.WOOCOMMERCE

    def authenticate(self, shop: Shop, headers: Any, body: bytes) -> Envelope:
        given = (headers.get(SIGNATURE_HEADER) or "").strip()
        if not given:
            if PING.fullmatch(body.strip()):
                raise Acknowledged("WooCommerce webhook ping: nothing to do")
            raise Unauthorized(f"Missing {SIGNATURE_HEADER} header.", code=ErrorCode.INVALID_SIGNATURE)
        if not any(hmac.compare_digest(sign(body, secret).encode(), given.encode())
                   for secret in shop.webhook_secrets()):
            raise Unauthorized("The webhook signature does not match.", code=ErrorCode.INVALID_SIGNATURE)
        require_json_content(headers, "WooCommerce")
        topic = (headers.get(TOPIC_HEADER) or "").strip()
        if not topic:
            raise BadRequest(f"Missing header(s): {TOPIC_HEADER}.", details={"headers": [TOPIC_HEADER]})
        kept = {name: headers[name][:200] for name in KEPT_HEADERS if headers.get(name)}
        return Envelope(delivery_id=delivery_id_for(topic, body), topic=topic[:64], headers=kept)

    def parse(self, envelope: Envelope, body: bytes) -> Event:
        topic = envelope.topic
        if topic in SNAPSHOT_TOPICS:
            return OrderChanged(parse_order(load_json_object(body)))
        if topic in CUSTOMER_TOPICS:
            return CustomerChanged(_customer(load_json_object(body)),
                                   created=topic == "customer.created")
        # order.deleted (moved to the trash; its body is only the id) reverses nothing: the
        # order can come back with order.restored, and refunds and cancellations arrive as
        # status changes on order.updated.
        return Unhandled(topic)


def parse_order(order: dict) -> OrderSnapshot:
    """A WooCommerce order (webhook body, or one item of REST ``GET /orders``) as a snapshot."""
    order_id = require_id(order, "id", "order id")
    status = order.get("status")
    if not isinstance(status, str) or not status:
        raise PayloadError("status is missing or not a string")
    items = Decimal("0")
    for index, line in enumerate(object_list(order, "line_items")):
        if line.get("total") in (None, ""):
            raise PayloadError(f"line_items[{index}].total is missing")
        # A line's total is after coupon discounts and before tax.
        items += money_field(line["total"], f"line_items[{index}].total")
    for index, fee in enumerate(object_list(order, "fee_lines")):
        # A negative fee is a cart discount; a positive one (a surcharge) earns nothing.
        items += min(money_field(fee.get("total"), f"fee_lines[{index}].total"), Decimal("0"))
    try:
        check_amount(items, field="line_items total")
    except ValueError as exc:
        raise PayloadError(str(exc)) from None
    amounts = Amounts(items=max(items, Decimal("0")),
                      shipping=money_field(order.get("shipping_total"), "shipping_total"),
                      taxes=money_field(order.get("total_tax"), "total_tax"))
    total = money_field(order.get("total"), "total")
    refunds = tuple(_refund(refund, index, order_id, amounts, total)
                    for index, refund in enumerate(object_list(order, "refunds")))
    number = optional_id(order.get("number"))
    codes = tuple(str(c["code"])[:100] for c in object_list(order, "coupon_lines") if c.get("code"))
    return OrderSnapshot(
        order_id=order_id,
        customer=_order_customer(order),
        amounts=amounts,
        currency=optional_text(order.get("currency"), 3),
        name=f"#{number}"[:64] if number else None,
        is_paid=status in PAID_STATUSES,
        is_fulfilled=status == "completed",
        is_cancelled=status in REVERSED_STATUSES,
        # date_modified (without _gmt) is the site's local time, useless for ordering.
        updated_at=parse_timestamp(order.get("date_modified_gmt"), "date_modified_gmt"),
        refunds=refunds,
        discount_codes=codes,
    )


def _refund(refund: dict, index: int, order_id: str, order: Amounts, total: Decimal) -> RefundSnapshot:
    """An embedded refund carries only its (negative) total.

    Which part of it was items, shipping or tax is not said, so it is split in the
    order's own proportions: refunding a share of what was paid takes back that share.
    """
    refund_id = require_id(refund, "id", f"refunds[{index}].id")
    if refund.get("total") in (None, ""):
        raise PayloadError(f"refunds[{index}].total is missing")
    amount = abs(money_field(refund["total"], f"refunds[{index}].total"))
    share = min(amount / total, Decimal("1")) if total > 0 else Decimal("0")

    def part(value: Decimal) -> Decimal:
        return (value * share).quantize(STORED_PLACES)

    return RefundSnapshot(refund_id=refund_id, order_id=order_id,
                          amounts=Amounts(items=part(order.items), shipping=part(order.shipping),
                                          taxes=part(order.taxes)))


def _order_customer(order: dict) -> CustomerRef:
    billing = order.get("billing") if isinstance(order.get("billing"), dict) else {}
    email = billing.get("email")
    return CustomerRef(platform_id=optional_id(order.get("customer_id")),  # 0 is a guest
                       email=email.strip() if isinstance(email, str) and email.strip() else None,
                       first_name=optional_text(billing.get("first_name")),
                       last_name=optional_text(billing.get("last_name")),
                       address=_address(order))


def _address(owner: dict) -> PostalAddress | None:
    """The shipping address, else the billing one (orders and customers carry both)."""
    for key in ("shipping", "billing"):
        address = postal_address(owner.get(key), line1="address_1", line2="address_2", city="city",
                                 postal_code="postcode")
        if address is not None:
            return address
    return None


def _customer(customer: dict) -> CustomerRef:
    customer_id = require_id(customer, "id", "customer id")
    email = customer.get("email")
    return CustomerRef(platform_id=customer_id,
                       email=email.strip() if isinstance(email, str) and email.strip() else None,
                       first_name=optional_text(customer.get("first_name")),
                       last_name=optional_text(customer.get("last_name")),
                       address=_address(customer))
