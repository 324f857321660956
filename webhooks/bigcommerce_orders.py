"""BigCommerce orders (v2 order, its products, v3 refunds) to the normalised snapshot.

Pure functions, shared by the webhook adapter and reconciliation. The earn base
is the products after their discounts, excluding tax; shipping and handling are
kept apart, gift certificates left out. Money strings carry four decimals.
"""
from __future__ import annotations

import datetime as dt
import email.utils
from decimal import Decimal
from typing import Any

from loyalty_plugin.events import CustomerRef, OrderSnapshot, RefundSnapshot

from .base import (PayloadError, checked_amounts, money_field, object_list, optional_id,
                   optional_text, parse_timestamp, require_id)

# reference/orders.v2.oas2.yml: 2 Shipped, 3 Partially Shipped, 8 Awaiting Pickup, 9 Awaiting
# Shipment, 10 Completed, 11 Awaiting Fulfillment, 14 Partially Refunded all mean paid.
PAID_STATUSES = frozenset({2, 3, 8, 9, 10, 11, 14})
# 4 Refunded, 5 Cancelled, 6 Declined take back whatever refunds have not.
REVERSED_STATUSES = frozenset({4, 5, 6})
FULFILLED_STATUSES = frozenset({2, 10})
TEST_GATEWAY = "Test Payment Gateway"
ZERO = Decimal("0")


def parse_order(order: dict, products: list[dict], refunds: list[dict]) -> OrderSnapshot:
    order_id = require_id(order, "id", "order id")
    status = order.get("status_id")
    if isinstance(status, bool) or not isinstance(status, int):
        raise PayloadError("status_id must be an integer")
    by_id = {str(p.get("id")): p for p in products}
    earning = [p for p in products if p.get("type") != "giftcertificate"]
    items = sum((_line_net(p) for p in earning), ZERO)
    shipping = _money(order, "shipping_cost_ex_tax") + _money(order, "handling_cost_ex_tax")
    billing = order.get("billing_address") if isinstance(order.get("billing_address"), dict) else {}
    email_address = billing.get("email")
    codes = {str(d["code"])[:100] for p in products for d in object_list(p, "applied_discounts")
             if d.get("code")}
    return OrderSnapshot(
        order_id=order_id,
        customer=CustomerRef(platform_id=optional_id(order.get("customer_id")),
                             email=email_address if isinstance(email_address, str) else None,
                             first_name=optional_text(billing.get("first_name")),
                             last_name=optional_text(billing.get("last_name"))),
        amounts=checked_amounts(max(items, ZERO), shipping, _money(order, "total_tax")),
        currency=optional_text(order.get("default_currency_code") or order.get("currency_code"), 3),
        name=f"#{order_id}",
        is_paid=status in PAID_STATUSES,
        is_fulfilled=status in FULFILLED_STATUSES,
        is_cancelled=status in REVERSED_STATUSES,
        is_test=order.get("payment_method") == TEST_GATEWAY,
        updated_at=_rfc2822(order.get("date_modified"), "date_modified"),
        refunds=tuple(parse_refund(r, order_id, by_id) for r in refunds),
        discount_codes=tuple(sorted(codes)),
    )


def parse_refund(refund: dict, order_id: str, products: dict[str, dict]) -> RefundSnapshot:
    """A v3 refund: items are what was refunded less its tax and any shipping or handling."""
    refund_id = require_id(refund, "id", "refund id")
    parts = object_list(refund, "items")
    shipping = sum((_money(i, "requested_amount") for i in parts
                    if i.get("item_type") in ("SHIPPING", "HANDLING")), ZERO)
    taxes = _money(refund, "total_tax")
    if refund.get("total_amount") not in (None, ""):
        items = _money(refund, "total_amount") - taxes - shipping
    else:
        items = sum((_refunded_item(i, products) for i in parts
                     if i.get("item_type") in ("PRODUCT", "ORDER")), ZERO)
    payments = object_list(refund, "payments")
    # A refund whose every payment was declined moved no money.
    effective = not payments or any(not p.get("is_declined") for p in payments)
    return RefundSnapshot(refund_id=refund_id, order_id=order_id,
                          amounts=checked_amounts(max(items, ZERO), shipping, taxes),
                          is_effective=effective,
                          created_at=parse_timestamp(refund.get("created"), "refund created"))


def _refunded_item(item: dict, products: dict[str, dict]) -> Decimal:
    if item.get("requested_amount") not in (None, ""):
        return _money(item, "requested_amount")
    product = products.get(str(item.get("item_id")))
    quantity = item.get("quantity")
    if product is None or isinstance(quantity, bool) or not isinstance(quantity, int):
        return ZERO
    ordered = product.get("quantity")
    if isinstance(ordered, bool) or not isinstance(ordered, int) or ordered <= 0:
        return ZERO
    return _line_net(product) * min(quantity, ordered) / ordered


def _line_net(product: dict) -> Decimal:
    discounts = sum((_money(d, "amount") for d in object_list(product, "applied_discounts")), ZERO)
    return _money(product, "total_ex_tax") - discounts


def _money(obj: dict, key: str) -> Decimal:
    return money_field(obj.get(key), key)


def _rfc2822(value: Any, field: str) -> dt.datetime | None:
    """BigCommerce v2 dates: ``Tue, 20 Nov 2012 00:00:00 +0000``."""
    if value in (None, ""):
        return None
    if not isinstance(value, str):
        raise PayloadError(f"{field} must be a date string")
    try:
        parsed = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return parse_timestamp(value, field)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.timezone.utc)
    return parsed.astimezone(dt.timezone.utc)
