"""Redeeming and cancelling over HTTP with each platform's real provider against a fake platform.

The app uses its default factory, so the shop's stored credentials pick the
provider; ``responses`` stands in for Shopify, WooCommerce, BigCommerce and Stripe.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal
from urllib.parse import parse_qsl

import pytest
import requests
from sqlalchemy import select

from loyalty_plugin.encryption import box_from_config
from loyalty_plugin.models import (CodeStatus, CustomerAccount, EventType, OutboundEvent, Platform,
                                   RewardCode, utcnow)
from loyalty_plugin.services.credentials import set_credentials
from loyalty_plugin.services.ledger import verify_balances
from loyalty_plugin.services.orders import apply_order_snapshot
from tests.conftest import make_test_app
from tests.factories import make_order, make_reward, make_shop

STRIPE = "https://stripe.example.test"
BIGCOMMERCE = "https://api.bigcommerce.com/stores/abc123/v3/promotions"


@dataclass(frozen=True)
class FakePlatform:
    platform: Platform
    domain: str
    customer: str
    credentials: dict

    @property
    def shopify(self) -> str:
        return f"https://{self.domain}/admin/api/2026-10/graphql.json"

    @property
    def coupons(self) -> str:
        return f"https://{self.domain}/wp-json/wc/v3/coupons"

    def accept_create(self, mock) -> None:
        if self.platform is Platform.SHOPIFY:
            mock.post(self.shopify, json={"data": {"discountCodeBasicCreate": {
                "codeDiscountNode": {"id": "gid://shopify/DiscountCodeNode/1"}, "userErrors": []}}})
        elif self.platform is Platform.WOOCOMMERCE:
            mock.post(self.coupons, status=201, json={"id": 720, "code": "whatever"})
        elif self.platform is Platform.BIGCOMMERCE:
            mock.get(BIGCOMMERCE, json={"data": [], "meta": {}})
            mock.post(BIGCOMMERCE, status=201, json={"data": {"id": 31}})
            mock.post(f"{BIGCOMMERCE}/31/codes", status=201, json={"data": {"id": 5}})
        else:
            mock.post(f"{STRIPE}/v1/coupons", json={"id": "Z4OV52SU", "object": "coupon"})
            mock.post(f"{STRIPE}/v1/promotion_codes", json={"id": "promo_1", "object": "promotion_code"})

    def fail_create(self, mock, failure) -> None:
        url = {Platform.SHOPIFY: self.shopify, Platform.WOOCOMMERCE: self.coupons,
               Platform.BIGCOMMERCE: BIGCOMMERCE, Platform.STRIPE: f"{STRIPE}/v1/coupons"}[self.platform]
        method = mock.get if self.platform is Platform.BIGCOMMERCE else mock.post
        if isinstance(failure, int):
            method(url, status=failure, json={"message": "boom", "error": {"type": "api_error",
                                                                           "message": "boom"}})
        else:
            method(url, body=failure)

    def reference(self) -> str:
        return {Platform.SHOPIFY: "gid://shopify/DiscountCodeNode/1", Platform.WOOCOMMERCE: "720",
                Platform.BIGCOMMERCE: "31", Platform.STRIPE: "promo_1"}[self.platform]

    def code_sent(self, mock) -> str:
        """The code string the platform was asked to create."""
        for call in mock.calls:
            request = call.request
            if request.method != "POST":
                continue
            if self.platform is Platform.STRIPE:
                fields = dict(parse_qsl(request.body))
                if "code" in fields:
                    return fields["code"]
                continue
            body = json.loads(request.body)
            if self.platform is Platform.SHOPIFY:
                return body["variables"]["discount"]["code"]
            if "code" in body:
                return body["code"]
        raise AssertionError("no code was sent")

    def accept_revoke(self, mock) -> None:
        if self.platform is Platform.SHOPIFY:
            mock.post(self.shopify, json={"data": {"discountCodeDelete": {
                "deletedCodeDiscountId": self.reference(), "userErrors": []}}})
        elif self.platform is Platform.WOOCOMMERCE:
            mock.delete(f"{self.coupons}/720", json={"id": 720})
        elif self.platform is Platform.BIGCOMMERCE:
            mock.delete(f"{BIGCOMMERCE}/codes", status=204)
            mock.delete(f"{BIGCOMMERCE}/31", status=204)
        else:
            mock.post(f"{STRIPE}/v1/promotion_codes/promo_1", json={"id": "promo_1",
                                                                    "object": "promotion_code"})

    def revoked(self, mock) -> bool:
        last = mock.calls[-1].request
        if self.platform is Platform.SHOPIFY:
            return "discountCodeDelete" in json.loads(last.body)["query"]
        if self.platform is Platform.STRIPE:
            return last.url.endswith("/v1/promotion_codes/promo_1") and "active=false" in last.body
        return last.method == "DELETE"


PLATFORMS = [
    FakePlatform(Platform.SHOPIFY, "blue-bird.myshopify.com", "1001", {"access_token": "shpat_x"}),
    FakePlatform(Platform.WOOCOMMERCE, "shoes.example.org", "1001",
                 {"consumer_key": "ck_x", "consumer_secret": "cs_x"}),
    FakePlatform(Platform.BIGCOMMERCE, "store-abc123.mybigcommerce.com", "1001",
                 {"store_hash": "abc123", "access_token": "bc_x"}),
    FakePlatform(Platform.STRIPE, "stripe-shop.example.org", "cus_1001",
                 {"secret_key": "sk_test_x", "api_url": STRIPE}),
]


@pytest.fixture(params=PLATFORMS, ids=lambda p: p.platform.value)
def fake(request) -> FakePlatform:
    return request.param


@pytest.fixture
def app(database):
    return make_test_app(database, LOYALTY_PROVIDER_TIMEOUT=10)


@pytest.fixture
def setup(app, session, fake):
    """The fake platform's shop, connected, whose customer has 1000 points and a 100-point reward."""
    shop, key = make_shop(session, platform=fake.platform, domain=fake.domain)
    set_credentials(session, shop.id, box_from_config(app.config), values=fake.credentials,
                    now=utcnow())
    apply_order_snapshot(session, shop, make_order(customer_id=fake.customer, email="c1@example.com",
                                                   items="1000"), utcnow())
    reward = make_reward(session, shop, min_order_subtotal=Decimal("20"))
    session.commit()
    return shop, key, reward


def redeem(client, fake, key, reward_id):
    return client.post(f"/api/v1/customers/{fake.customer}/redemptions",
                       headers={"Authorization": f"Bearer {key}"}, json={"reward_id": reward_id})


def balance(session, shop) -> int:
    return session.execute(select(CustomerAccount.available).where(
        CustomerAccount.shop_id == shop.id)
        .execution_options(populate_existing=True)).scalar_one()


def the_code(session, shop) -> RewardCode:
    return session.execute(select(RewardCode).where(RewardCode.shop_id == shop.id)
                           .execution_options(populate_existing=True)).scalar_one()


def test_redemption_creates_the_code_on_the_platform(client, session, setup, fake, no_network):
    shop, key, reward = setup
    fake.accept_create(no_network)

    response = redeem(client, fake, key, reward.id)

    assert response.status_code == 201, response.json
    code = response.json["code"]
    assert code["status"] == "issued" and code["provider"] == fake.platform.value
    assert code["platform_ref"] == fake.reference()
    assert fake.code_sent(no_network) == code["code"]
    assert balance(session, shop) == 900
    assert verify_balances(session, shop_id=shop.id) == []
    (event,) = session.execute(select(OutboundEvent).where(
        OutboundEvent.shop_id == shop.id, OutboundEvent.type == EventType.REWARD_ISSUED)).scalars()
    assert event.payload["code"] == code["code"] and event.payload["points_spent"] == 100


@pytest.mark.parametrize("failure", [500, requests.ReadTimeout()], ids=["500", "timeout"])
def test_a_platform_failure_returns_the_points_with_a_json_error(client, session, setup, fake,
                                                                 no_network, failure):
    shop, key, reward = setup
    fake.fail_create(no_network, failure)

    response = redeem(client, fake, key, reward.id)

    assert response.status_code == 503, response.json
    assert response.json["error"]["code"] == "provider_unavailable"
    assert balance(session, shop) == 1000
    code = the_code(session, shop)
    assert code.status is CodeStatus.FAILED and code.refund_entry_id is not None
    assert verify_balances(session, shop_id=shop.id) == []


def test_a_platform_refusal_is_502_and_returns_the_points(client, session, setup, fake, no_network):
    shop, key, reward = setup
    fake.fail_create(no_network, 422 if fake.platform is not Platform.STRIPE else 400)

    response = redeem(client, fake, key, reward.id)

    assert response.status_code == 502, response.json
    assert response.json["error"]["code"] == "provider_rejected"
    assert balance(session, shop) == 1000


def test_admin_cancel_revokes_on_the_platform_and_returns_the_points(client, session, setup, fake,
                                                                    no_network):
    shop, key, reward = setup
    fake.accept_create(no_network)
    code = redeem(client, fake, key, reward.id).json["code"]["code"]
    fake.accept_revoke(no_network)

    response = client.post(f"/api/v1/codes/{code}/cancel", headers={"Authorization": f"Bearer {key}"})

    assert response.status_code == 200, response.json
    assert response.json["code"]["status"] == "cancelled"
    assert fake.revoked(no_network)
    assert balance(session, shop) == 1000
    assert verify_balances(session, shop_id=shop.id) == []
