"""Shopify GraphQL Admin order nodes (the fields ``providers.shopify.ORDER_QUERY`` asks for)
to the same snapshot the REST webhook payloads give.

Ids are the numeric ``legacyResourceId`` (the REST ``id``), so an order seen by
webhook and by reconciliation is one order. Money is ``*Set.shopMoney``.
"""
from __future__ import annotations

from decimal import Decimal
from typing import Any

from loyalty_plugin.events import CustomerRef, OrderSnapshot, RefundSnapshot
from loyalty_plugin.rules.money import parse_money

from .base import (PayloadError, checked_amounts, optional_id, optional_text, parse_timestamp)

PAID_STATUSES = frozenset({"PAID", "PARTIALLY_REFUNDED", "REFUNDED"})
ZERO = Decimal("0")


def parse_graphql_order(node: dict) -> OrderSnapshot:
    order_id = legacy_id(node, "order")
    lines = _nodes(node.get("lineItems"), "lineItems")
    items = _shop_money(node, "subtotalPriceSet")
    items -= sum((_line_net(line) for line in lines if line.get("isGiftCard")), ZERO)
    if node.get("taxesIncluded"):
        # Tax-inclusive prices: the subtotal carries the line taxes, the earn base must not.
        items -= sum((_line_tax(line) for line in lines if not line.get("isGiftCard")), ZERO)
    customer = node.get("customer") if isinstance(node.get("customer"), dict) else {}
    email = node.get("email")
    codes = node.get("discountCodes") if isinstance(node.get("discountCodes"), list) else []
    refunds = node.get("refunds") or []
    if not isinstance(refunds, list) or not all(isinstance(r, dict) for r in refunds):
        raise PayloadError("refunds must be a list of objects")
    return OrderSnapshot(
        order_id=order_id,
        customer=CustomerRef(platform_id=_gid_tail(customer.get("id")),
                             email=email if isinstance(email, str) and email else None,
                             first_name=optional_text(customer.get("firstName")),
                             last_name=optional_text(customer.get("lastName"))),
        amounts=checked_amounts(max(items, ZERO), _shop_money(node, "totalShippingPriceSet"),
                         _shop_money(node, "totalTaxSet")),
        currency=optional_text(node.get("currencyCode"), 3),
        name=optional_text(node.get("name"), 64),
        is_paid=node.get("displayFinancialStatus") in PAID_STATUSES,
        is_fulfilled=node.get("displayFulfillmentStatus") == "FULFILLED",
        is_cancelled=bool(node.get("cancelledAt")),
        is_test=bool(node.get("test")),
        updated_at=parse_timestamp(node.get("updatedAt"), "updatedAt"),
        refunds=tuple(parse_graphql_refund(r, order_id) for r in refunds),
        discount_codes=tuple(str(c)[:100] for c in codes if c),
    )


def parse_graphql_refund(node: dict, order_id: str) -> RefundSnapshot:
    items = taxes = ZERO
    for line in _nodes(node.get("refundLineItems"), "refundLineItems"):
        refunded = line.get("lineItem") if isinstance(line.get("lineItem"), dict) else {}
        if refunded.get("isGiftCard"):
            continue
        items += _shop_money(line, "subtotalSet")
        taxes += _shop_money(line, "totalTaxSet")
    transactions = _nodes(node.get("transactions"), "transactions")
    # A refund is not money moved: with transactions, one must have succeeded.
    effective = not transactions or any(
        t.get("kind") == "REFUND" and t.get("status") == "SUCCESS" for t in transactions)
    return RefundSnapshot(refund_id=legacy_id(node, "refund"), order_id=order_id,
                          amounts=checked_amounts(items, ZERO, taxes), is_effective=effective,
                          created_at=parse_timestamp(node.get("createdAt"), "refund createdAt"))


def legacy_id(node: dict, what: str) -> str:
    value = optional_id(node.get("legacyResourceId")) or _gid_tail(node.get("id"))
    if value is None or len(value) > 64:
        raise PayloadError(f"{what} id is missing or not an id")
    return value


def _gid_tail(value: Any) -> str | None:
    """``gid://shopify/Customer/207119551`` to ``207119551``."""
    if not isinstance(value, str) or not value.strip():
        return None
    return optional_id(value.rsplit("/", 1)[-1])


def _nodes(connection: Any, field: str) -> list[dict]:
    if connection is None:
        return []
    if isinstance(connection, dict):
        if "edges" in connection and "nodes" not in connection:
            edges = connection.get("edges") or []
            connection = {"nodes": [e.get("node") for e in edges if isinstance(e, dict)]}
        nodes = connection.get("nodes") or []
    else:
        nodes = connection
    if not isinstance(nodes, list) or not all(isinstance(n, dict) for n in nodes):
        raise PayloadError(f"{field} must be a connection of objects")
    return nodes


def _shop_money(obj: dict, key: str) -> Decimal:
    money_set = obj.get(key)
    if money_set is None:
        return ZERO
    shop_money = money_set.get("shopMoney") if isinstance(money_set, dict) else None
    if not isinstance(shop_money, dict):
        raise PayloadError(f"{key}.shopMoney is missing")
    try:
        return parse_money(shop_money.get("amount"), field=f"{key}.shopMoney.amount")
    except ValueError as exc:
        raise PayloadError(str(exc)) from None


def _line_net(line: dict) -> Decimal:
    allocations = line.get("discountAllocations") or []
    if not isinstance(allocations, list):
        raise PayloadError("discountAllocations must be a list")
    discount = sum((_shop_money(a, "allocatedAmountSet") for a in allocations if isinstance(a, dict)),
                   ZERO)
    return _shop_money(line, "originalTotalSet") - discount


def _line_tax(line: dict) -> Decimal:
    tax_lines = line.get("taxLines") or []
    if not isinstance(tax_lines, list):
        raise PayloadError("taxLines must be a list")
    return sum((_shop_money(t, "priceSet") for t in tax_lines if isinstance(t, dict)), ZERO)
