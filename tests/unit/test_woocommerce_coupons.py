"""WooCommerce coupons against a fake REST API: exact bodies, "already exists", errors, revoke."""
from __future__ import annotations

import base64
import json
from decimal import Decimal

import pytest
import requests
from responses import matchers

from loyalty_plugin.errors import ProviderRejected, ProviderUnavailable
from loyalty_plugin.models import Platform, RewardKind, Shop
from loyalty_plugin.providers import RetryPolicy
from loyalty_plugin.providers.platform_discounts import platform_discount_provider
from loyalty_plugin.providers.woocommerce_coupons import WooCommerceCouponProvider
from loyalty_plugin.services.credentials import PlatformCredentials
from tests.providers import make_spec

SECRET = "cs_0123456789abcdef"
COUPONS = "https://shoes.example.org/wp-json/wc/v3/coupons"
TITLE = "Loyalty reward BLUEBRD-ABCD-EFGH-JKMN (100 points)"


def provider(sleeps, attempts: int = 3) -> WooCommerceCouponProvider:
    shop = Shop(id=7, platform=Platform.WOOCOMMERCE, domain="shoes.example.org")
    made = platform_discount_provider(
        shop, PlatformCredentials(consumer_key="ck_abc", consumer_secret=SECRET),
        sleep=sleeps.append, retry=RetryPolicy(attempts=attempts))
    assert isinstance(made, WooCommerceCouponProvider) and made.name == "woocommerce"
    return made


def coupon(id_: int = 720, code: str = "bluebrd-abcd-efgh-jkmn", description: str = TITLE) -> dict:
    return {"id": id_, "code": code, "description": description, "usage_limit": 1}


BASE_BODY = {
    "code": "BLUEBRD-ABCD-EFGH-JKMN", "description": TITLE, "usage_limit": 1,
    "usage_limit_per_user": 1, "email_restrictions": ["shopper@example.com"],
    "minimum_amount": "20.00", "date_expires_gmt": "2026-12-08T09:30:00",
}


@pytest.mark.parametrize("overrides, shape", [
    ({}, {"discount_type": "fixed_cart", "amount": "5.00"}),
    ({"kind": RewardKind.PERCENTAGE, "value": Decimal("12.5000")},
     {"discount_type": "percent", "amount": "12.50"}),
    ({"kind": RewardKind.FREE_SHIPPING, "value": Decimal("0")},
     {"discount_type": "fixed_cart", "amount": "0", "free_shipping": True}),
    ({"kind": RewardKind.FREE_PRODUCT, "value": Decimal("0"), "product_variant_id": "93"},
     {"discount_type": "percent", "amount": "100", "product_ids": [93], "limit_usage_to_x_items": 1}),
])
def test_each_kind_becomes_a_coupon_restricted_to_the_customers_email(api, sleeps, overrides, shape):
    api.post(COUPONS, status=201, json=coupon(), match=[matchers.json_params_matcher({**BASE_BODY, **shape})])

    assert provider(sleeps).create_code(make_spec(**overrides), "loyalty-redeem-42") == "720"

    request = api.calls[0].request
    user, _, password = base64.b64decode(request.headers["Authorization"].split()[1]).decode().partition(":")
    assert (user, password) == ("ck_abc", SECRET)
    assert "consumer_secret" not in request.url  # never in the query string


def test_our_own_coupon_already_there_is_success(api, sleeps):
    api.post(COUPONS, status=400, json={"code": "woocommerce_rest_coupon_code_already_exists",
                                        "message": "The coupon code already exists",
                                        "data": {"status": 400, "resource_id": 720}})
    api.get(COUPONS, json=[coupon(719, code="bluebrd-abcd-efgh-jkmn-2"), coupon()],
            match=[matchers.query_param_matcher({"code": "BLUEBRD-ABCD-EFGH-JKMN"})])

    assert provider(sleeps).create_code(make_spec(), "k") == "720"


def test_a_code_held_by_another_coupon_is_rejected(api, sleeps):
    api.post(COUPONS, status=400, json={"code": "woocommerce_rest_coupon_code_already_exists",
                                        "message": "The coupon code already exists"})
    api.get(COUPONS, json=[coupon(description="Staff discount")])

    with pytest.raises(ProviderRejected, match="another WooCommerce coupon"):
        provider(sleeps).create_code(make_spec(), "k")


def test_other_400s_are_rejected_with_woocommerces_message(api, sleeps):
    api.post(COUPONS, status=400, json={"code": "rest_invalid_param",
                                        "message": "Invalid parameter(s): email_restrictions"})
    with pytest.raises(ProviderRejected, match="Invalid parameter"):
        provider(sleeps).create_code(make_spec(), "k")


def test_auth_errors_are_rejected_without_the_secret(api, sleeps):
    api.post(COUPONS, status=401, json={"code": "woocommerce_rest_cannot_create",
                                        "message": "Sorry, you are not allowed to create resources."})
    with pytest.raises(ProviderRejected) as excinfo:
        provider(sleeps).create_code(make_spec(), "k")
    assert SECRET not in excinfo.value.message and "ck_abc" not in excinfo.value.message


def test_server_errors_and_timeouts_retry_then_are_unavailable(api, sleeps):
    api.post(COUPONS, status=503)
    api.post(COUPONS, body=requests.ConnectTimeout())
    api.post(COUPONS, status=500)
    with pytest.raises(ProviderUnavailable):
        provider(sleeps).create_code(make_spec(), "k")
    assert sleeps == [0.5, 1.0]


def test_a_timed_out_create_that_happened_is_found_on_retry(api, sleeps):
    api.post(COUPONS, body=requests.ReadTimeout())
    api.post(COUPONS, status=400, json={"code": "woocommerce_rest_coupon_code_already_exists",
                                        "message": "The coupon code already exists"})
    api.get(COUPONS, json=[coupon()])
    assert provider(sleeps).create_code(make_spec(), "k") == "720"


def test_a_customer_without_an_email_gets_no_unrestricted_coupon(api, sleeps):
    with pytest.raises(ProviderRejected, match="no email"):
        provider(sleeps).create_code(make_spec(customer_email=None), "k")


def test_revoke_deletes_for_good_and_a_missing_coupon_counts_as_revoked(api, sleeps):
    api.delete(f"{COUPONS}/720", json=coupon(), match=[matchers.query_param_matcher({"force": "true"})])
    provider(sleeps).revoke_code("720", make_spec())

    api.delete(f"{COUPONS}/721", status=404, json={"code": "woocommerce_rest_shop_coupon_invalid_id",
                                                   "message": "Invalid ID."})
    provider(sleeps).revoke_code("721", make_spec())


def test_revoke_without_a_reference_looks_the_code_up(api, sleeps):
    api.get(COUPONS, json=[coupon()])
    api.delete(f"{COUPONS}/720", json=coupon())
    provider(sleeps).revoke_code(None, make_spec())

    api.get(COUPONS, json=[])
    provider(sleeps).revoke_code(None, make_spec())  # never made: nothing to delete
    assert [c.request.method for c in api.calls] == ["GET", "DELETE", "GET"]
    assert json.loads(api.calls[1].response.text)["id"] == 720
