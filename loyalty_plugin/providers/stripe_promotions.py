"""Single-use promotion codes on Stripe: a coupon, then a promotion code for it.

Through the official SDK with the shop's own key. Both creates carry idempotency
keys derived from the caller's key, so a retried redemption gets the same coupon
and the same promotion code back. The promotion code is restricted to the
customer when they have a Stripe customer id (``cus_…``); customers known only by
email get a single-use code that is not tied to them. Revoking deactivates the
promotion code (Stripe never deletes one); one already gone is revoked.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

import stripe

from ..errors import ProviderRejected
from ..models import RewardKind
from ..rules.money import number_text, to_minor_units
from .stripe import provider_error

if TYPE_CHECKING:  # only for annotations: discounts imports this module
    from .discounts import DiscountSpec

STRIPE_PROMOTIONS = "stripe"
COUPON_NAME_LENGTH = 40  # Stripe's limit on a coupon's name


def coupon_params(spec: DiscountSpec) -> dict[str, Any]:
    params: dict[str, Any] = {"duration": "once", "name": spec.title[:COUPON_NAME_LENGTH],
                              "max_redemptions": spec.usage_limit,
                              "redeem_by": int(spec.expires_at.timestamp()),
                              "metadata": {"loyalty_code": spec.code}}
    if spec.kind is RewardKind.PERCENTAGE:
        return {**params, "percent_off": float(number_text(spec.value))}
    if spec.kind is RewardKind.FREE_PRODUCT:
        product = spec.product_variant_id
        if not product or not product.startswith("prod_"):
            raise ProviderRejected("A free product reward on Stripe needs a Stripe product id "
                                   "(prod_…).", details={"platform": "stripe"})
        return {**params, "percent_off": 100.0, "applies_to": {"products": [product]}}
    if spec.kind is RewardKind.FREE_SHIPPING:
        raise ProviderRejected("Stripe coupons cannot take shipping off; offer another reward to "
                               "Stripe shops.", details={"platform": "stripe"})
    return {**params, "amount_off": to_minor_units(spec.value, spec.currency),
            "currency": spec.currency.lower()}


def promotion_code_params(spec: DiscountSpec, coupon_id: str) -> dict[str, Any]:
    params: dict[str, Any] = {"promotion": {"type": "coupon", "coupon": coupon_id}, "code": spec.code,
                              "max_redemptions": spec.usage_limit,
                              "expires_at": int(spec.expires_at.timestamp()),
                              "metadata": {"loyalty_code": spec.code}}
    if spec.customer_platform_id and spec.customer_platform_id.startswith("cus_"):
        params["customer"] = spec.customer_platform_id
    if spec.min_order_subtotal > 0:
        params["restrictions"] = {
            "minimum_amount": to_minor_units(spec.min_order_subtotal, spec.currency),
            "minimum_amount_currency": spec.currency.lower()}
    return params


class StripePromotionProvider:
    name = STRIPE_PROMOTIONS
    local = False

    def __init__(self, client: stripe.StripeClient) -> None:
        self.client = client

    def create_code(self, spec: DiscountSpec, idempotency_key: str) -> str:
        try:
            coupon = self.client.v1.coupons.create(
                params=coupon_params(spec),  # type: ignore[arg-type]
                options={"idempotency_key": f"{idempotency_key}-coupon"})
            code = self.client.v1.promotion_codes.create(
                params=promotion_code_params(spec, coupon.id),  # type: ignore[arg-type]
                options={"idempotency_key": f"{idempotency_key}-promotion-code"})
        except stripe.StripeError as exc:
            raise provider_error(exc, "create the promotion code") from None
        return str(code.id)

    def revoke_code(self, reference: str | None, spec: DiscountSpec) -> None:
        try:
            if reference is None:
                found = self.client.v1.promotion_codes.list(params={"code": spec.code, "active": True})
                ids = [code.id for code in found.data]
            else:
                ids = [reference]
            for promotion_code_id in ids:
                self.client.v1.promotion_codes.update(promotion_code_id, params={"active": False})
        except stripe.InvalidRequestError as exc:
            if exc.http_status == 404:
                return  # gone already
            raise provider_error(exc, "deactivate the promotion code") from None
        except stripe.StripeError as exc:
            raise provider_error(exc, "deactivate the promotion code") from None
