"""Stripe coupons and promotion codes through the SDK against a fake API: params, keys, errors."""
from __future__ import annotations

from decimal import Decimal
from urllib.parse import parse_qsl

import pytest

from loyalty_plugin.errors import ProviderRejected, ProviderUnavailable
from loyalty_plugin.models import Platform, RewardKind, Shop
from loyalty_plugin.providers import RetryPolicy
from loyalty_plugin.providers.platform_discounts import platform_discount_provider
from loyalty_plugin.providers.stripe_promotions import StripePromotionProvider
from loyalty_plugin.services.credentials import PlatformCredentials
from tests.providers import NOW, make_spec

KEY = "sk_test_51abcdef"
STRIPE = "https://stripe.example.test"
EXPIRES = str(int(NOW.timestamp()) + 14 * 86400)


def provider() -> StripePromotionProvider:
    shop = Shop(id=7, platform=Platform.STRIPE, domain="shop.example.org")
    made = platform_discount_provider(shop, PlatformCredentials(secret_key=KEY, api_url=STRIPE),
                                      retry=RetryPolicy(attempts=1))
    assert isinstance(made, StripePromotionProvider) and made.name == "stripe"
    return made


def form(call) -> dict[str, str]:
    return dict(parse_qsl(call.request.body))


def coupon_answers(api, coupon_id: str = "Z4OV52SU") -> None:
    api.post(f"{STRIPE}/v1/coupons", json={"id": coupon_id, "object": "coupon"})
    api.post(f"{STRIPE}/v1/promotion_codes", json={"id": "promo_1Q2", "object": "promotion_code",
                                                   "code": "BLUEBRD-ABCD-EFGH-JKMN"})


COUPON_COMMON = {"duration": "once", "name": "Loyalty reward BLUEBRD-ABCD-EFGH-JKMN (1",
                 "max_redemptions": "1", "redeem_by": EXPIRES,
                 "metadata[loyalty_code]": "BLUEBRD-ABCD-EFGH-JKMN"}


@pytest.mark.parametrize("overrides, shape", [
    ({}, {"amount_off": "500", "currency": "usd"}),
    ({"kind": RewardKind.PERCENTAGE, "value": Decimal("15.0000")}, {"percent_off": "15.0"}),
    ({"kind": RewardKind.FREE_PRODUCT, "value": Decimal("0"), "product_variant_id": "prod_NWjs8kKbJWmuuc"},
     {"percent_off": "100.0", "applies_to[products][0]": "prod_NWjs8kKbJWmuuc"}),
    ({"currency": "JPY", "value": Decimal("500")}, {"amount_off": "500", "currency": "jpy"}),
])
def test_a_coupon_for_each_kind(api, overrides, shape):
    coupon_answers(api)
    provider().create_code(make_spec(**overrides), "loyalty-redeem-42")
    assert form(api.calls[0]) == {**COUPON_COMMON, **shape}


def test_the_promotion_code_is_restricted_single_use_with_minimum_and_expiry(api):
    coupon_answers(api)

    spec = make_spec(customer_platform_id="cus_NffrFeUfNV2Hib")
    assert provider().create_code(spec, "loyalty-redeem-42") == "promo_1Q2"

    assert form(api.calls[1]) == {
        "promotion[type]": "coupon", "promotion[coupon]": "Z4OV52SU",
        "code": "BLUEBRD-ABCD-EFGH-JKMN", "max_redemptions": "1", "expires_at": EXPIRES,
        "metadata[loyalty_code]": "BLUEBRD-ABCD-EFGH-JKMN", "customer": "cus_NffrFeUfNV2Hib",
        "restrictions[minimum_amount]": "2000", "restrictions[minimum_amount_currency]": "usd"}
    # Keys derived from the caller's: a repeated redemption gets the same objects back.
    assert api.calls[0].request.headers["Idempotency-Key"] == "loyalty-redeem-42-coupon"
    assert api.calls[1].request.headers["Idempotency-Key"] == "loyalty-redeem-42-promotion-code"
    assert api.calls[0].request.headers["Authorization"] == f"Bearer {KEY}"


def test_a_customer_known_by_email_only_gets_an_unbound_code_and_no_minimum_means_none(api):
    coupon_answers(api)
    provider().create_code(make_spec(customer_platform_id=None, min_order_subtotal=Decimal("0")), "k")
    sent = form(api.calls[1])
    assert "customer" not in sent and not any(k.startswith("restrictions") for k in sent)


def test_the_same_key_twice_sends_the_same_requests(api):
    coupon_answers(api)
    coupon_answers(api)
    provider().create_code(make_spec(), "loyalty-redeem-42")
    provider().create_code(make_spec(), "loyalty-redeem-42")
    assert [form(c) for c in api.calls[:2]] == [form(c) for c in api.calls[2:]]
    assert [c.request.headers["Idempotency-Key"] for c in api.calls[:2]] == \
        [c.request.headers["Idempotency-Key"] for c in api.calls[2:]]


def test_free_shipping_is_refused_before_any_call(api):
    with pytest.raises(ProviderRejected, match="shipping"):
        provider().create_code(make_spec(kind=RewardKind.FREE_SHIPPING, value=Decimal("0")), "k")
    assert len(api.calls) == 0


def test_stripe_errors_map_without_the_key(api):
    api.post(f"{STRIPE}/v1/coupons", json={"id": "Z4OV52SU", "object": "coupon"})
    api.post(f"{STRIPE}/v1/promotion_codes", status=400, json={"error": {
        "type": "invalid_request_error", "code": "resource_already_exists",
        "message": "An active promotion code with `code: BLUEBRD-ABCD-EFGH-JKMN` already exists."}})
    with pytest.raises(ProviderRejected, match="already exists") as excinfo:
        provider().create_code(make_spec(), "k")
    assert excinfo.value.details["stripe_code"] == "resource_already_exists"

    api.post(f"{STRIPE}/v1/coupons", status=401, json={"error": {
        "type": "invalid_request_error", "message": f"Invalid API Key provided: {KEY}"}})
    with pytest.raises(ProviderRejected) as excinfo:
        provider().create_code(make_spec(), "k")
    assert KEY not in excinfo.value.message

    api.post(f"{STRIPE}/v1/coupons", status=500, json={"error": {"type": "api_error",
                                                                  "message": "boom"}})
    with pytest.raises(ProviderUnavailable):
        provider().create_code(make_spec(), "k")

    api.post(f"{STRIPE}/v1/coupons", status=429, json={"error": {"type": "invalid_request_error",
                                                                  "code": "rate_limit",
                                                                  "message": "Too many requests"}})
    with pytest.raises(ProviderUnavailable):
        provider().create_code(make_spec(), "k")


def test_revoke_deactivates_the_promotion_code(api):
    api.post(f"{STRIPE}/v1/promotion_codes/promo_1Q2", json={"id": "promo_1Q2", "object": "promotion_code",
                                                             "active": False})
    provider().revoke_code("promo_1Q2", make_spec())
    assert form(api.calls[0]) == {"active": "false"}


def test_revoke_of_a_missing_code_is_done_and_without_reference_finds_it_by_code(api):
    api.post(f"{STRIPE}/v1/promotion_codes/promo_gone", status=404, json={"error": {
        "type": "invalid_request_error", "code": "resource_missing", "message": "No such promotion code"}})
    provider().revoke_code("promo_gone", make_spec())

    api.get(f"{STRIPE}/v1/promotion_codes", json={"object": "list", "url": "/v1/promotion_codes",
                                                  "has_more": False,
                                                  "data": [{"id": "promo_1Q2", "object": "promotion_code"}]})
    api.post(f"{STRIPE}/v1/promotion_codes/promo_1Q2", json={"id": "promo_1Q2", "object": "promotion_code"})
    provider().revoke_code(None, make_spec())
    assert dict(parse_qsl(api.calls[1].request.url.split("?", 1)[1])) == {
        "code": "BLUEBRD-ABCD-EFGH-JKMN", "active": "true"}

    api.post(f"{STRIPE}/v1/promotion_codes/promo_x", status=503, json={"error": {"type": "api_error",
                                                                                 "message": "down"}})
    with pytest.raises(ProviderUnavailable):
        provider().revoke_code("promo_x", make_spec())
