"""Plain factory functions with defaults and keyword overrides."""
from __future__ import annotations

import datetime as dt
import itertools
import json
from decimal import Decimal
from pathlib import Path

from loyalty_plugin.events import CustomerRef, OrderSnapshot, RefundSnapshot
from loyalty_plugin.models import Platform, RewardKind, Shop, utcnow
from loyalty_plugin.rules.earning import Amounts
from loyalty_plugin.services.rewards import create_reward
from loyalty_plugin.services.shops import create_shop
from webhooks.shopify import sign

FIXTURES = Path(__file__).parent / "fixtures"
WEBHOOK_SECRET = "whsec-test-secret"
_counter = itertools.count(1)


def fixture_bytes(relative: str) -> bytes:
    return (FIXTURES / relative).read_bytes()


def unique(prefix: str = "x") -> str:
    return f"{prefix}{next(_counter)}"


def make_shop(session, *, domain: str | None = None, platform: Platform = Platform.SHOPIFY,
              currency: str = "USD", webhook_secret: str = WEBHOOK_SECRET,
              **settings) -> tuple[Shop, str]:
    new = create_shop(session, platform=platform, domain=domain or f"{unique('shop')}.myshopify.com",
                      currency=currency, webhook_secret=webhook_secret, now=utcnow())
    for key, value in settings.items():
        setattr(new.shop.settings, key, value)
    session.flush()
    return new.shop, new.api_key


def make_order(order_id: str | None = None, *, customer_id: str | None = "1001",
               email: str | None = "shopper@example.com", items: str = "100.00",
               shipping: str = "0", taxes: str = "0", paid: bool = True, fulfilled: bool = False,
               cancelled: bool = False, test: bool = False, updated_at: dt.datetime | None = None,
               refunds: tuple[RefundSnapshot, ...] = ()) -> OrderSnapshot:
    return OrderSnapshot(
        order_id=order_id or unique("o"), customer=CustomerRef(platform_id=customer_id, email=email),
        amounts=Amounts(items=Decimal(items), shipping=Decimal(shipping), taxes=Decimal(taxes)),
        currency="USD", is_paid=paid, is_fulfilled=fulfilled, is_cancelled=cancelled, is_test=test,
        updated_at=updated_at, refunds=refunds)


def make_refund(order_id: str, refund_id: str | None = None, *, items: str = "0",
                shipping: str = "0", taxes: str = "0", effective: bool = True) -> RefundSnapshot:
    return RefundSnapshot(refund_id=refund_id or unique("r"), order_id=order_id,
                          amounts=Amounts(items=Decimal(items), shipping=Decimal(shipping),
                                          taxes=Decimal(taxes)),
                          is_effective=effective)


def shopify_headers(shop: Shop, topic: str, body: bytes, *, webhook_id: str | None = None,
                    secret: str = WEBHOOK_SECRET) -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        "X-Shopify-Topic": topic,
        "X-Shopify-Hmac-Sha256": sign(body, secret),
        "X-Shopify-Shop-Domain": shop.domain,
        "X-Shopify-Webhook-Id": webhook_id or unique("wh-"),
        "X-Shopify-API-Version": "2026-10",
    }


def post_shopify(client, shop: Shop, topic: str, body: bytes | dict, **kwargs):
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return client.post(f"/webhooks/shopify/{shop.id}", data=raw,
                       headers=shopify_headers(shop, topic, raw, **kwargs))


def shopify_order(order_id: int | None = None, *, customer_id: int | None = 207119551,
                  email: str | None = "bob.norman@example.com", subtotal: str = "100.00",
                  financial_status: str = "paid", **extra) -> dict:
    """A modern Shopify order payload, with ``*_set`` money in shop and presentment currency."""
    order_id = order_id or 5_000_000_000 + next(_counter)

    def money(amount: str, presentment: str | None = None) -> dict:
        return {"shop_money": {"amount": amount, "currency_code": "USD"},
                "presentment_money": {"amount": presentment or amount, "currency_code": "EUR"}}

    payload = {
        "id": order_id, "name": f"#{order_id % 10000}", "email": email, "currency": "USD",
        "presentment_currency": "EUR", "financial_status": financial_status,
        "fulfillment_status": None, "cancelled_at": None, "test": False, "taxes_included": False,
        "updated_at": "2026-11-20T10:00:00-05:00",
        "subtotal_price": subtotal, "subtotal_price_set": money(subtotal, "999.99"),
        "total_tax": "8.00", "total_tax_set": money("8.00"),
        "total_shipping_price_set": money("10.00"),
        "line_items": [{"id": 1, "price": subtotal, "quantity": 1, "gift_card": False,
                        "price_set": money(subtotal), "total_discount": "0.00",
                        "discount_allocations": [], "tax_lines": []}],
        "customer": ({"id": customer_id, "email": email, "first_name": "Bob", "last_name": "Norman"}
                     if customer_id else None),
        "refunds": [], "discount_codes": [],
    }
    payload.update(extra)
    return payload


def make_reward(session, shop: Shop, **overrides):
    """A reward in ``shop``'s catalog: 100 points for 5.00 off unless told otherwise."""
    data = {"name": "5 off", "kind": RewardKind.FIXED_AMOUNT, "points_cost": 100,
            "value": Decimal("5.00"), **overrides}
    return create_reward(session, shop.id, data, utcnow())


class Clock:
    """A monotonic clock for the caches and connection keepers, moved by hand (``clock.now += ...``)."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now
