"""Single-use coupons on WooCommerce: ``POST /wp-json/wc/v3/coupons``.

Each coupon is restricted to the customer's email (``email_restrictions``),
usable once, with the reward's minimum amount and an expiry. The code is the
natural idempotency key: a create answered ``woocommerce_rest_coupon_code_already_exists``
looks the coupon up, and one carrying our description is the one an earlier
attempt made. Revoking deletes the coupon for good; one already gone is revoked.
"""
from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from ..errors import ProviderRejected, ProviderUnavailable
from ..models import RewardKind
from ..rules.money import money_text
from .http import HttpClient
from .woocommerce import API

if TYPE_CHECKING:  # only for annotations: discounts imports this module
    from .discounts import DiscountSpec

WOOCOMMERCE_COUPONS = "woocommerce"
ALREADY_EXISTS = "woocommerce_rest_coupon_code_already_exists"


def coupon_body(spec: DiscountSpec) -> dict[str, Any]:
    if not spec.customer_email:
        raise ProviderRejected("This customer has no email address, so a WooCommerce coupon "
                               "restricted to them cannot be created.",
                               details={"platform": "woocommerce"})
    body: dict[str, Any] = {
        "code": spec.code, "description": spec.title, "usage_limit": spec.usage_limit,
        "usage_limit_per_user": 1, "email_restrictions": [spec.customer_email],
        "minimum_amount": money_text(spec.min_order_subtotal),
        # WooCommerce ends a coupon on the day of its expiry date (GMT here).
        "date_expires_gmt": spec.expires_at.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S"),
    }
    if spec.kind is RewardKind.PERCENTAGE:
        return {**body, "discount_type": "percent", "amount": money_text(spec.value)}
    if spec.kind is RewardKind.FREE_SHIPPING:
        return {**body, "discount_type": "fixed_cart", "amount": "0", "free_shipping": True}
    if spec.kind is RewardKind.FREE_PRODUCT:
        variant = spec.product_variant_id
        if not variant or not variant.isdigit():
            raise ProviderRejected("A free product reward on WooCommerce needs a numeric product "
                                   "or variation id.", details={"platform": "woocommerce"})
        return {**body, "discount_type": "percent", "amount": "100", "product_ids": [int(variant)],
                "limit_usage_to_x_items": 1}
    return {**body, "discount_type": "fixed_cart", "amount": money_text(spec.value)}


class WooCommerceCouponProvider:
    name = WOOCOMMERCE_COUPONS
    local = False

    def __init__(self, http: HttpClient) -> None:
        self.http = http

    def create_code(self, spec: DiscountSpec, idempotency_key: str) -> str:
        # The key makes the POST repeatable: a second run meets "already exists".
        response = self.http.request("POST", f"{API}/coupons", json=coupon_body(spec),
                                     idempotency_key=idempotency_key, expect=(400,))
        body = self.http.json_of(response, "POST /coupons")
        if response.status_code == 400:
            if isinstance(body, dict) and body.get("code") == ALREADY_EXISTS:
                return self._our_existing(spec)
            message = body.get("message") if isinstance(body, dict) else None
            raise ProviderRejected(f"WooCommerce refused the coupon: {str(message or 'bad request')[:200]}",
                                   details={"platform": "woocommerce", "status": 400})
        return _coupon_id(body)

    def revoke_code(self, reference: str | None, spec: DiscountSpec) -> None:
        if reference is None:
            coupon = self._find(spec.code)
            if coupon is None:
                return  # never made, or deleted already
            reference = _coupon_id(coupon)
        self.http.request("DELETE", f"{API}/coupons/{reference}", params={"force": "true"},
                          expect=(404, 410))

    def _find(self, code: str) -> dict | None:
        coupons = self.http.get_json(f"{API}/coupons", params={"code": code})
        if not isinstance(coupons, list):
            raise ProviderUnavailable("WooCommerce answered the coupon search with no JSON list.")
        # WooCommerce keeps codes in lower case and searches loosely: compare exactly.
        return next((c for c in coupons if isinstance(c, dict)
                     and str(c.get("code", "")).lower() == code.lower()), None)

    def _our_existing(self, spec: DiscountSpec) -> str:
        coupon = self._find(spec.code)
        if coupon is None:
            raise ProviderUnavailable("WooCommerce says the coupon exists but does not list it; "
                                      "try again later.")
        if coupon.get("description") != spec.title:
            raise ProviderRejected(f"The code {spec.code} belongs to another WooCommerce coupon.",
                                   details={"platform": "woocommerce"})
        return _coupon_id(coupon)


def _coupon_id(coupon: Any) -> str:
    value = coupon.get("id") if isinstance(coupon, dict) else None
    if isinstance(value, bool) or not isinstance(value, (int, str)) or not str(value).isdigit():
        raise ProviderUnavailable("WooCommerce answered without a numeric coupon id.")
    return str(value)
