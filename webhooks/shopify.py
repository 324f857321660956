"""Shopify: HMAC-verified webhooks (REST payload shapes) to normalised events.

Money is always read from ``*_set.shop_money`` when present, never presentment money.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
from decimal import Decimal
from typing import Any

from loyalty_plugin.errors import BadRequest, ErrorCode, Unauthorized, UnsupportedMediaType
from loyalty_plugin.events import (AppUninstalled, CustomerChanged, CustomerDataRequested,
                                   CustomerRedactRequested, CustomerRef, Event, OrderChanged,
                                   OrderSnapshot, PostalAddress, RefundCreated, RefundSnapshot, ShopRedactRequested,
                                   Unhandled)
from loyalty_plugin.models import Platform, Shop
from loyalty_plugin.rules.money import parse_money

from .base import (Envelope, PayloadError, checked_amounts, load_json_object, optional_id,
                   optional_text, parse_timestamp, postal_address, require_id)

HMAC_HEADER = "X-Shopify-Hmac-Sha256"
TOPIC_HEADER = "X-Shopify-Topic"
DOMAIN_HEADER = "X-Shopify-Shop-Domain"
WEBHOOK_ID_HEADER = "X-Shopify-Webhook-Id"
# Kept with the delivery so a replay parses it exactly as the first time.
KEPT_HEADERS = (TOPIC_HEADER, DOMAIN_HEADER, WEBHOOK_ID_HEADER, "X-Shopify-API-Version",
                "X-Shopify-Triggered-At", "X-Shopify-Event-Id")

ORDER_TOPICS = frozenset({"orders/create", "orders/paid", "orders/updated", "orders/fulfilled",
                          "orders/cancelled"})
PAID_STATUSES = frozenset({"paid", "partially_refunded", "refunded"})
MAX_QUANTITY = 1_000_000


def sign(body: bytes, secret: str) -> str:
    digest = hmac.new(secret.encode(), body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


class ShopifyAdapter:
    platform = Platform.SHOPIFY

    def authenticate(self, shop: Shop, headers: Any, body: bytes) -> Envelope:
        given = headers.get(HMAC_HEADER)
        if not given:
            raise Unauthorized(f"Missing {HMAC_HEADER} header.", code=ErrorCode.INVALID_SIGNATURE)
        if not any(hmac.compare_digest(sign(body, secret).encode(), given.strip().encode())
                   for secret in shop.webhook_secrets()):
            raise Unauthorized("The webhook signature does not match.", code=ErrorCode.INVALID_SIGNATURE)
        if (headers.get(DOMAIN_HEADER) or "").strip().lower() != shop.domain:
            raise Unauthorized(f"{DOMAIN_HEADER} does not match this shop.",
                               code=ErrorCode.INVALID_SIGNATURE)
        content_type = (headers.get("Content-Type") or "").split(";")[0].strip().lower()
        if content_type != "application/json":
            raise UnsupportedMediaType("Shopify webhooks must be sent as application/json.")
        missing = [h for h in (TOPIC_HEADER, WEBHOOK_ID_HEADER) if not headers.get(h)]
        if missing:
            raise BadRequest(f"Missing header(s): {', '.join(missing)}.", details={"headers": missing})
        delivery_id = headers[WEBHOOK_ID_HEADER].strip()
        if len(delivery_id) > 128:
            raise BadRequest(f"{WEBHOOK_ID_HEADER} is longer than 128 characters.")
        kept = {name: headers[name][:200] for name in KEPT_HEADERS if headers.get(name)}
        return Envelope(delivery_id=delivery_id, topic=headers[TOPIC_HEADER].strip()[:64], headers=kept)

    def parse(self, envelope: Envelope, body: bytes) -> Event:
        topic = envelope.topic
        payload = load_json_object(body)
        if topic in ORDER_TOPICS:
            return OrderChanged(parse_order(payload, topic))
        if topic == "refunds/create":
            return RefundCreated(parse_refund(payload))
        if topic in ("customers/create", "customers/update"):
            require_id(payload, "id", "customer id")
            return CustomerChanged(_customer_ref(payload), created=topic == "customers/create")
        if topic == "customers/data_request":
            return CustomerDataRequested(_privacy_customer(payload),
                                         _id_list(payload.get("orders_requested")))
        if topic == "customers/redact":
            return CustomerRedactRequested(_privacy_customer(payload),
                                           _id_list(payload.get("orders_to_redact")))
        if topic == "shop/redact":
            return ShopRedactRequested()
        if topic == "app/uninstalled":
            return AppUninstalled()
        return Unhandled(topic)


def _money(obj: dict, key: str) -> Decimal:
    """``obj[key + "_set"].shop_money.amount``, else ``obj[key]``; zero when absent."""
    amount = _money_or_none(obj, key)
    return Decimal("0") if amount is None else amount


def _money_or_none(obj: dict, key: str) -> Decimal | None:
    money_set = obj.get(f"{key}_set")
    if isinstance(money_set, dict) and isinstance(money_set.get("shop_money"), dict):
        amount = money_set["shop_money"].get("amount")
        if amount not in (None, ""):
            return _amount(amount, f"{key}_set.shop_money.amount")
    if obj.get(key) in (None, ""):
        return None
    return _amount(obj[key], key)


def _amount(value: Any, field: str) -> Decimal:
    try:
        return parse_money(value, field=field)
    except ValueError as exc:
        raise PayloadError(str(exc)) from None


def _quantity(line: dict, field: str) -> int:
    quantity = line.get("quantity", 1)
    if isinstance(quantity, bool) or not isinstance(quantity, int) or not 0 <= quantity <= MAX_QUANTITY:
        raise PayloadError(f"{field}.quantity must be an integer from 0 to {MAX_QUANTITY}")
    return quantity



def _objects(payload: dict, key: str) -> list[dict]:
    value = payload.get(key)
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        raise PayloadError(f"{key} must be a list of objects")
    return value


def _line_net(line: dict, field: str) -> Decimal:
    """A line item's price after its discounts, in shop money."""
    gross = _money(line, "price") * _quantity(line, field)
    allocations = _objects(line, "discount_allocations")
    if allocations:
        discount = sum((_money(a, "amount") for a in allocations), Decimal("0"))
    else:
        discount = _money(line, "total_discount")
    return gross - discount


def _line_tax(line: dict) -> Decimal:
    return sum((_money(t, "price") for t in _objects(line, "tax_lines")), Decimal("0"))


def parse_order(order: dict, topic: str) -> OrderSnapshot:
    order_id = require_id(order, "id", "order id")
    lines = _objects(order, "line_items")
    for line in lines:
        _quantity(line, "line_items")
    taxes_included = bool(order.get("taxes_included"))
    subtotal = _money_or_none(order, "subtotal_price")
    if subtotal is None:
        subtotal = sum((_line_net(line, "line_items") for line in lines), Decimal("0"))
    gift_cards = [line for line in lines if line.get("gift_card")]
    items = subtotal - sum((_line_net(line, "line_items") for line in gift_cards), Decimal("0"))
    if taxes_included:
        # Tax-inclusive prices: the subtotal carries the line taxes, the base must not.
        items -= sum((_line_tax(line) for line in lines if not line.get("gift_card")), Decimal("0"))
    if "total_shipping_price_set" in order:
        shipping = _money(order, "total_shipping_price")
    else:
        shipping = sum((_money(s, "price") for s in _objects(order, "shipping_lines")), Decimal("0"))
    financial_status = order.get("financial_status")
    refunds = tuple(parse_refund(r, order_id=order_id) for r in _objects(order, "refunds"))
    codes = tuple(str(d.get("code"))[:100] for d in _objects(order, "discount_codes") if d.get("code"))
    return OrderSnapshot(
        order_id=order_id,
        customer=_order_customer(order),
        amounts=checked_amounts(max(items, Decimal("0")), shipping, _money(order, "total_tax")),
        currency=optional_text(order.get("currency"), 3),
        name=optional_text(order.get("name"), 64),
        is_paid=topic == "orders/paid" or financial_status in PAID_STATUSES,
        is_fulfilled=topic == "orders/fulfilled" or order.get("fulfillment_status") == "fulfilled",
        is_cancelled=topic == "orders/cancelled" or bool(order.get("cancelled_at")),
        is_test=bool(order.get("test")),
        updated_at=parse_timestamp(order.get("updated_at"), "updated_at"),
        refunds=refunds,
        discount_codes=codes,
    )


def parse_refund(refund: dict, *, order_id: str | None = None) -> RefundSnapshot:
    refund_id = require_id(refund, "id", "refund id")
    order_id = optional_id(refund.get("order_id")) or order_id
    if order_id is None:
        raise PayloadError("refund order_id is missing")
    items = Decimal("0")
    taxes = Decimal("0")
    for refund_line in _objects(refund, "refund_line_items"):
        line = refund_line.get("line_item") if isinstance(refund_line.get("line_item"), dict) else {}
        if line.get("gift_card"):
            continue
        refunded = _quantity(refund_line, "refund_line_items")
        ordered = _quantity(line, "line_item") or 1
        subtotal = _money_or_none(refund_line, "subtotal")
        # Older payloads carry only the embedded line item: take its share, pro rata on quantity.
        items += subtotal if subtotal is not None else _line_net(line, "line_item") * refunded / ordered
        tax = _money_or_none(refund_line, "total_tax")
        taxes += tax if tax is not None else _line_tax(line) * refunded / ordered
    shipping = Decimal("0")
    for adjustment in _objects(refund, "order_adjustments"):
        if adjustment.get("kind") == "shipping_refund":
            shipping += abs(_money(adjustment, "amount"))
    for shipping_line in _objects(refund, "refund_shipping_lines"):
        shipping += _money(shipping_line, "subtotal_amount")
    transactions = _objects(refund, "transactions")
    # A refund is not money moved: with transactions, one must have succeeded.
    effective = not transactions or any(
        t.get("kind") == "refund" and t.get("status") == "success" for t in transactions)
    return RefundSnapshot(refund_id=refund_id, order_id=order_id,
                          amounts=checked_amounts(items, shipping, taxes),
                          is_effective=effective,
                          created_at=parse_timestamp(refund.get("created_at"), "created_at"))


def _customer_ref(customer: dict, fallback_email: Any = None, address: PostalAddress | None = None
                  ) -> CustomerRef:
    email = customer.get("email") or fallback_email
    return CustomerRef(platform_id=optional_id(customer.get("id")),
                       email=email if isinstance(email, str) else None,
                       first_name=optional_text(customer.get("first_name")),
                       last_name=optional_text(customer.get("last_name")),
                       address=address or _address(customer.get("default_address")))


def _address(value: Any) -> PostalAddress | None:
    return postal_address(value, line1="address1", line2="address2", city="city", postal_code="zip")


def _order_customer(order: dict) -> CustomerRef:
    fallback = order.get("email") or order.get("contact_email")
    # Where the goods go says more about who bought than where the bill goes.
    address = _address(order.get("shipping_address")) or _address(order.get("billing_address"))
    customer = order.get("customer")
    if isinstance(customer, dict):
        return _customer_ref(customer, fallback, address)
    return CustomerRef(email=fallback if isinstance(fallback, str) else None, address=address)


def _privacy_customer(payload: dict) -> CustomerRef:
    customer = payload.get("customer")
    if not isinstance(customer, dict):
        raise PayloadError("customer is missing")
    ref = _customer_ref(customer)
    if not ref.is_identified:
        raise PayloadError("customer has neither id nor email")
    return ref


def _id_list(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list):
        return ()
    return tuple(i for i in (optional_id(v) for v in value) if i)
