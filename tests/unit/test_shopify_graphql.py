"""Shopify GraphQL order nodes to snapshots, and the reconcile window, offline."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import click
import pytest

from webhooks.base import PayloadError
from webhooks.reconcile_cli import parse_since
from webhooks.shopify_graphql import parse_graphql_order


def money(amount: str) -> dict:
    return {"shopMoney": {"amount": amount, "currencyCode": "CAD"}}


def line(total: str, *, gift: bool = False, discount: str | None = None, tax: str | None = None) -> dict:
    return {"isGiftCard": gift, "quantity": 1, "originalTotalSet": money(total),
            "discountAllocations": [{"allocatedAmountSet": money(discount)}] if discount else [],
            "taxLines": [{"priceSet": money(tax)}] if tax else []}


NODE = {
    "id": "gid://shopify/Order/820982911946154508", "legacyResourceId": "820982911946154508",
    "name": "#9999", "email": "jon@example.com", "test": False, "cancelledAt": None,
    "updatedAt": "2026-11-20T10:00:00-05:00", "currencyCode": "CAD", "taxesIncluded": False,
    "displayFinancialStatus": "PAID", "displayFulfillmentStatus": "FULFILLED",
    "discountCodes": ["LOYAL-ABC"], "customer": {"id": "gid://shopify/Customer/115310627314723954"},
    "subtotalPriceSet": money("150.00"), "totalTaxSet": money("19.50"),
    "totalShippingPriceSet": money("12.00"),
    "lineItems": {"nodes": [line("110.00", discount="10.00", tax="13.00"),
                            line("50.00", gift=True, tax="0.00")]},
    "refunds": [],
}


def test_node_maps_to_the_rest_shaped_snapshot():
    snap = parse_graphql_order(NODE)
    assert snap.order_id == "820982911946154508"
    assert snap.customer.platform_id == "115310627314723954"
    assert snap.customer.email == "jon@example.com"
    # 150.00 subtotal less the 50.00 gift card line.
    assert snap.amounts.items == Decimal("100.00")
    assert (snap.amounts.shipping, snap.amounts.taxes) == (Decimal("12.00"), Decimal("19.50"))
    assert (snap.is_paid, snap.is_fulfilled, snap.is_cancelled, snap.is_test) == (True, True, False, False)
    assert snap.updated_at == dt.datetime(2026, 11, 20, 15, 0, tzinfo=dt.timezone.utc)
    assert snap.discount_codes == ("LOYAL-ABC",) and snap.currency == "CAD"


def test_tax_inclusive_orders_leave_the_line_taxes_out():
    snap = parse_graphql_order({**NODE, "taxesIncluded": True})
    assert snap.amounts.items == Decimal("87.00")


@pytest.mark.parametrize("status, paid", [("PAID", True), ("PARTIALLY_REFUNDED", True), ("REFUNDED", True),
                                          ("PENDING", False), ("AUTHORIZED", False), ("VOIDED", False)])
def test_financial_status(status, paid):
    assert parse_graphql_order({**NODE, "displayFinancialStatus": status}).is_paid is paid


def test_refunds_skip_gift_cards_and_wait_for_their_money():
    refund = {"id": "gid://shopify/Refund/5", "createdAt": "2026-11-21T09:00:00Z",
              "refundLineItems": {"edges": [
                  {"node": {"lineItem": {"isGiftCard": False}, "subtotalSet": money("30.00"),
                            "totalTaxSet": money("3.90")}},
                  {"node": {"lineItem": {"isGiftCard": True}, "subtotalSet": money("50.00"),
                            "totalTaxSet": money("0")}}]},
              "transactions": {"nodes": [{"kind": "REFUND", "status": "PENDING"}]}}
    (parsed,) = parse_graphql_order({**NODE, "cancelledAt": "2026-11-21T09:00:00Z",
                                     "refunds": [refund]}).refunds
    assert (parsed.refund_id, parsed.order_id) == ("5", "820982911946154508")
    assert (parsed.amounts.items, parsed.amounts.taxes) == (Decimal("30.00"), Decimal("3.90"))
    assert not parsed.is_effective


@pytest.mark.parametrize("change, message", [
    ({"legacyResourceId": None, "id": None}, "order id is missing"),
    ({"subtotalPriceSet": {"presentmentMoney": {}}}, "subtotalPriceSet.shopMoney is missing"),
    ({"lineItems": {"nodes": "none"}}, "lineItems must be a connection of objects"),
    ({"refunds": [1]}, "refunds must be a list of objects"),
    ({"updatedAt": "yesterday"}, "updatedAt is not an ISO 8601 time"),
])
def test_malformed_nodes_name_the_problem(change, message):
    with pytest.raises(PayloadError, match=message):
        parse_graphql_order({**NODE, **change})


NOW = dt.datetime(2026, 11, 24, 12, 0, tzinfo=dt.timezone.utc)


@pytest.mark.parametrize("value, expected", [
    ("7d", dt.datetime(2026, 11, 17, 12, 0, tzinfo=dt.timezone.utc)),
    ("12h", dt.datetime(2026, 11, 24, 0, 0, tzinfo=dt.timezone.utc)),
    ("2026-11-01", dt.datetime(2026, 11, 1, tzinfo=dt.timezone.utc)),
    ("2026-11-01T08:00:00+02:00", dt.datetime(2026, 11, 1, 6, 0, tzinfo=dt.timezone.utc)),
])
def test_since_accepts_days_hours_and_iso_dates(value, expected):
    assert parse_since(value, NOW) == expected


@pytest.mark.parametrize("value", ["7w", "-3d", "soon", "2026-12-01"])
def test_since_rejects_anything_else(value):
    with pytest.raises(click.BadParameter):
        parse_since(value, NOW)
