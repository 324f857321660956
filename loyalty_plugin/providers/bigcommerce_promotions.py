"""Single-use coupon codes on BigCommerce, through the v3 Promotions API.

One coupon promotion per code (``POST /v3/promotions``, used at most once, with
the reward's minimum spend and an end date), then the code itself
(``POST /v3/promotions/{id}/codes``, one use). BigCommerce cannot restrict a
promotion to one customer id, so the code is single use and known only to its
customer.

The code string is the natural idempotency key: before creating anything the
promotion holding the code, or one named like ours without its code yet (an
earlier attempt that stopped half-way), is looked up and reused. Revoking
deletes the code and then the promotion; both answer 204 when already gone.
"""
from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from ..errors import ProviderRejected, ProviderUnavailable
from ..models import RewardKind
from ..rules.money import money_text, number_text
from .http import HttpClient

if TYPE_CHECKING:  # only for annotations: discounts imports this module
    from .discounts import DiscountSpec

BIGCOMMERCE_PROMOTIONS = "bigcommerce"
# A code the store already has: BigCommerce answers 409, or 422 naming the code.
_DUPLICATE = (409, 422)


def _when(moment: dt.datetime) -> str:
    return moment.astimezone(dt.timezone.utc).isoformat(timespec="seconds")


def promotion_body(spec: DiscountSpec) -> dict[str, Any]:
    rule: dict[str, Any] = {"action": _action(spec), "apply_once": True}
    if spec.min_order_subtotal > 0:
        rule["condition"] = {"cart": {"minimum_spend": money_text(spec.min_order_subtotal)}}
    return {"name": spec.title, "redemption_type": "COUPON", "coupon_type": "SINGLE",
            "status": "ENABLED", "rules": [rule], "max_uses": spec.usage_limit,
            "start_date": _when(spec.starts_at), "end_date": _when(spec.expires_at),
            "currency_code": spec.currency, "can_be_used_with_other_promotions": True}


def _action(spec: DiscountSpec) -> dict[str, Any]:
    if spec.kind is RewardKind.PERCENTAGE:
        return {"cart_value": {"discount": {"percentage_amount": number_text(spec.value)}}}
    if spec.kind is RewardKind.FREE_SHIPPING:
        return {"shipping": {"free_shipping": True, "zone_ids": "*"}}
    if spec.kind is RewardKind.FREE_PRODUCT:
        variant = spec.product_variant_id
        if not variant or not variant.isdigit():
            raise ProviderRejected("A free product reward on BigCommerce needs a numeric variant id.",
                                   details={"platform": "bigcommerce"})
        # One unit of the variant, added to the cart if the shopper has not done so.
        return {"cart_items": {"discount": {"percentage_amount": "100"},
                               "items": {"variants": [int(variant)]}, "quantity": 1,
                               "add_free_item": True}}
    return {"cart_value": {"discount": {"fixed_amount": money_text(spec.value)}}}


class BigCommercePromotionProvider:
    name = BIGCOMMERCE_PROMOTIONS
    local = False

    def __init__(self, http: HttpClient, store_hash: str) -> None:
        self.http = http
        self.root = f"/stores/{store_hash}/v3/promotions"

    def create_code(self, spec: DiscountSpec, idempotency_key: str) -> str:
        existing = self._holding(spec.code)
        if existing is not None:
            return self._ours(existing, spec)
        promotion = self._named(spec.title)
        if promotion is None:
            response = self.http.request("POST", self.root, json=promotion_body(spec),
                                         idempotency_key=idempotency_key)
            promotion = _data(self.http.json_of(response, "POST /v3/promotions"))
        promotion_id = _id(promotion)
        response = self.http.request(
            "POST", f"{self.root}/{promotion_id}/codes", idempotency_key=idempotency_key,
            json={"code": spec.code, "max_uses": spec.usage_limit, "max_uses_per_customer": 1},
            expect=_DUPLICATE)
        if response.status_code in _DUPLICATE:
            holder = self._holding(spec.code)
            if holder is None:
                # Without its code the promotion is useless: do not leave it behind.
                self.http.request("DELETE", f"{self.root}/{promotion_id}", expect=(404,))
                raise ProviderRejected(f"BigCommerce refused the code {spec.code}.",
                                       details={"platform": "bigcommerce",
                                                "status": response.status_code})
            return self._ours(holder, spec)
        return promotion_id

    def revoke_code(self, reference: str | None, spec: DiscountSpec) -> None:
        if reference is None:
            holder = self._holding(spec.code)
            if holder is None:
                return  # never made, or deleted already
            reference = self._ours(holder, spec)
        # A promotion with codes cannot be deleted: the code goes first.
        self.http.request("DELETE", f"{self.root}/codes", params={"code": spec.code}, expect=(404,))
        self.http.request("DELETE", f"{self.root}/{reference}", expect=(404,))

    def _holding(self, code: str) -> dict | None:
        return next(iter(self._list({"code": code, "redemption_type": "COUPON"})), None)

    def _named(self, name: str) -> dict | None:
        # The name filter may match loosely: only an exact name is ours.
        return next((p for p in self._list({"name": name, "redemption_type": "COUPON"})
                     if p.get("name") == name), None)

    def _list(self, params: dict[str, str]) -> list[dict]:
        body = self.http.get_json(self.root, params=params)
        data = body.get("data") if isinstance(body, dict) else None
        if not isinstance(data, list):
            raise ProviderUnavailable("BigCommerce answered the promotions list without a data list.")
        return [item for item in data if isinstance(item, dict)]

    @staticmethod
    def _ours(promotion: dict, spec: DiscountSpec) -> str:
        if promotion.get("name") != spec.title:
            raise ProviderRejected(f"The code {spec.code} belongs to another BigCommerce promotion.",
                                   details={"platform": "bigcommerce"})
        return _id(promotion)


def _data(body: Any) -> dict:
    data = body.get("data") if isinstance(body, dict) else None
    if not isinstance(data, dict):
        raise ProviderUnavailable("BigCommerce answered without the promotion.")
    return data


def _id(promotion: dict) -> str:
    value = promotion.get("id")
    if isinstance(value, bool) or not isinstance(value, (int, str)) or not str(value).isdigit():
        raise ProviderUnavailable("BigCommerce answered without a numeric promotion id.")
    return str(value)
