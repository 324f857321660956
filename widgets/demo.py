"""The demo shop: a program with tiers and rewards, a customer with history, sample orders."""
from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import urllib.error
import urllib.request
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy.orm import Session

from loyalty_plugin.events import CustomerRef, OrderSnapshot
from loyalty_plugin.models import Platform, Reward, RewardKind
from loyalty_plugin.rules.earning import Amounts
from loyalty_plugin.services import tier_catalog
from loyalty_plugin.services.orders import apply_order_snapshot
from loyalty_plugin.services.shops import create_shop
from loyalty_plugin.services.widget_settings import update_widget_settings

DEMO_DOMAIN = "demo-shop.myshopify.com"
DEMO_CUSTOMER = "1001"
# (days ago, order subtotal): 120 + 95 points reach Silver; the last order earns 1.25x.
HISTORY = ((40, "120.00"), (25, "95.50"), (6, "165.00"))


@dataclass(frozen=True)
class DemoShop:
    shop_id: int
    webhook_secret: str
    widget_secret: str
    customer_id: str


def seed_demo(session: Session, *, storefront_origin: str, now: dt.datetime) -> DemoShop:
    shop = create_shop(session, platform=Platform.SHOPIFY, domain=DEMO_DOMAIN, currency="USD",
                       now=now).shop
    shop.settings.signup_bonus_points = 50
    shop.settings.referrals_enabled, shop.settings.referral_points = True, 500
    update_widget_settings(session, shop, {
        "storefront_origins": [storefront_origin],
        "sign_in_url": f"{storefront_origin}/account/login",
        "sign_up_url": f"{storefront_origin}/account/register"}, now)
    tier_catalog.create_tier(session, shop, dict(name="Silver", threshold=Decimal("200"),
                                                 multiplier=Decimal("1.25"),
                                                 perks=["Early access to sales"]), now)
    gold = tier_catalog.create_tier(session, shop, dict(
        name="Gold", threshold=Decimal("500"), multiplier=Decimal("1.5"), entry_bonus_points=100,
        perks=["Free shipping on every order", "Birthday gift"]), now)
    for name, kind, cost, value, extra in (
            ("Free shipping", RewardKind.FREE_SHIPPING, 200, "0", {}),
            ("$5 off your order", RewardKind.FIXED_AMOUNT, 300, "5", {}),
            ("10% off your order", RewardKind.PERCENTAGE, 800, "10", {"min_order_subtotal": Decimal("50")}),
            ("$1 off per 100 points", RewardKind.VARIABLE, 100, "1", {"min_points": 100, "max_points": 2000}),
            ("Gold members' tote bag", RewardKind.FREE_PRODUCT, 400, "0",
             {"required_tier_id": gold.id, "product_variant_id": "40000000001"})):
        session.add(Reward(shop_id=shop.id, name=name, kind=kind, points_cost=cost, value=Decimal(value),
                           **extra))
    for n, (days, subtotal) in enumerate(HISTORY, start=1):
        order = sample_snapshot(f"demo-{n}", DEMO_CUSTOMER, subtotal, now - dt.timedelta(days=days))
        apply_order_snapshot(session, shop, order, now - dt.timedelta(days=days))
    session.flush()
    return DemoShop(shop.id, shop.webhook_secret, shop.widget_secret, DEMO_CUSTOMER)


def sample_snapshot(order_id: str, customer_id: str, subtotal: str, at: dt.datetime, *,
                    first_name: str = "Ada", email: str = "ada@example.com") -> OrderSnapshot:
    customer = CustomerRef(platform_id=customer_id, email=email, first_name=first_name,
                           last_name="Lovelace")
    return OrderSnapshot(order_id=order_id, customer=customer, amounts=Amounts(items=Decimal(subtotal)),
                         currency="USD", is_paid=True, is_fulfilled=False, is_cancelled=False,
                         is_test=False, updated_at=at, name=f"#{order_id}")


def shopify_order(order_id: int, customer_id: str, subtotal: str) -> dict:
    """A paid Shopify order (REST webhook shape, shop money as in ``*_set``)."""
    money = {"shop_money": {"amount": subtotal, "currency_code": "USD"},
             "presentment_money": {"amount": subtotal, "currency_code": "USD"}}
    zero = {"shop_money": {"amount": "0.00", "currency_code": "USD"},
            "presentment_money": {"amount": "0.00", "currency_code": "USD"}}
    return {
        "id": order_id, "name": f"#D{order_id % 100000}", "email": "ada@example.com", "currency": "USD",
        "financial_status": "paid", "fulfillment_status": None, "cancelled_at": None, "test": False,
        "subtotal_price": subtotal, "subtotal_price_set": money, "total_tax_set": zero,
        "total_shipping_price_set": zero, "taxes_included": False, "refunds": [], "discount_codes": [],
        "line_items": [{"id": order_id, "price": subtotal, "quantity": 1, "gift_card": False,
                        "price_set": money, "total_discount": "0.00", "discount_allocations": [],
                        "tax_lines": []}],
        "customer": {"id": int(customer_id) if customer_id.isdigit() else customer_id,
                     "email": "ada@example.com", "first_name": "Ada", "last_name": "Lovelace"},
    }


def send_sample_order(*, api: str, shop_id: int, secret: str, customer_id: str, subtotal: str,
                      order_id: int, domain: str = DEMO_DOMAIN, timeout: float = 10.0) -> tuple[int, str]:
    """POST a signed ``orders/paid`` delivery through the Shopify webhook endpoint."""
    body = json.dumps(shopify_order(order_id, customer_id, subtotal)).encode()
    signature = base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()
    request = urllib.request.Request(f"{api.rstrip('/')}/webhooks/shopify/{shop_id}", data=body, method="POST",
                                     headers={"Content-Type": "application/json",
                                              "X-Shopify-Topic": "orders/paid",
                                              "X-Shopify-Hmac-Sha256": signature,
                                              "X-Shopify-Shop-Domain": domain,
                                              "X-Shopify-Webhook-Id": f"demo-{order_id}",
                                              "X-Shopify-API-Version": "2026-10"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.read().decode(errors="replace")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode(errors="replace")
