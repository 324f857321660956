"""The postal address each adapter reads into the normalised customer, from the stored samples."""
from __future__ import annotations

import json

from loyalty_plugin.events import CustomerChanged, CustomerRef, OrderChanged, PostalAddress
from webhooks.base import Envelope
from webhooks.shopify import ShopifyAdapter
from webhooks.stripe import parse_checkout_session
from webhooks.woocommerce import WooCommerceAdapter
from tests.factories import fixture_bytes


def shopify(topic: str, payload: dict):
    return ShopifyAdapter().parse(Envelope(delivery_id="d", topic=topic), json.dumps(payload).encode())


def test_shopify_orders_give_the_shipping_address():
    order = json.loads(fixture_bytes("shopify/orders-create-docs-sample.json"))
    event = shopify("orders/create", order)
    assert isinstance(event, OrderChanged)
    assert event.order.customer.address == PostalAddress(
        line1="123 Shipping Street", line2=None, city="Shippington", postal_code="40003")


def test_shopify_orders_without_shipping_give_the_billing_address_then_the_customers():
    order = json.loads(fixture_bytes("shopify/orders-create-docs-sample.json"))
    order.pop("shipping_address")
    assert shopify("orders/create", order).order.customer.address.line1 == "123 Billing Street"
    order.pop("billing_address")
    assert shopify("orders/create", order).order.customer.address == PostalAddress(
        line1="123 Elm St.", city="Ottawa", postal_code="K2H7A8")


def test_shopify_customer_topics_give_the_default_address():
    customer = json.loads(fixture_bytes("shopify/order.json"))["order"]["customer"]
    event = shopify("customers/update", customer)
    assert isinstance(event, CustomerChanged)
    assert event.customer.address == PostalAddress(line1="Chestnut Street 92", line2=None,
                                                   city="Louisville", postal_code="40202")


def test_a_guest_order_keeps_its_address_and_none_without_a_street():
    order = json.loads(fixture_bytes("shopify/order.json"))["order"]
    order["customer"] = None
    assert shopify("orders/paid", order).order.customer.address.line1 == "Chestnut Street 92"
    for key in ("shipping_address", "billing_address"):
        order[key]["address1"] = ""
    assert shopify("orders/paid", order).order.customer.address is None


def test_the_address_is_not_part_of_who_the_customer_is():
    assert CustomerRef(platform_id="1", address=PostalAddress(line1="x")) == CustomerRef(platform_id="1")


def test_woocommerce_orders_give_the_shipping_address():
    body = fixture_bytes("woocommerce/order-723-completed-with-refunds.json")
    event = WooCommerceAdapter().parse(Envelope(delivery_id="d", topic="order.updated"), body)
    assert event.order.customer.address == PostalAddress(
        line1="Av. Brasil, 432", line2=None, city="Rio de Janeiro", postal_code="12345-000")


def test_stripe_sessions_give_the_customer_details_address_when_collected():
    session = json.loads(fixture_bytes("stripe/checkout_session.json"))
    # The sample's amounts are synthetic; give it the currency a real session has.
    session.update(currency="usd", amount_subtotal=1000, total_details=None)
    assert parse_checkout_session(session).customer.address is None  # the sample collected none
    session["customer_details"]["address"].update(line1="1 Main St", city="Springfield", postal_code="01101")
    assert parse_checkout_session(session).customer.address == PostalAddress(
        line1="1 Main St", city="Springfield", postal_code="01101")
