"""Single-use discount codes on Shopify, through the GraphQL Admin API.

Free shipping is ``discountCodeFreeShippingCreate``; every other kind is
``discountCodeBasicCreate``. Each code is restricted to the customer
(``context.customers``), usable once, with the reward's minimum subtotal and an
end date. The code string is the natural idempotency key: a create that finds
the code ``TAKEN`` looks it up, and a discount with our title is the one an
earlier attempt made. Revoking deletes the discount; one already gone is revoked.
"""
from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from ..errors import ProviderRejected, ProviderUnavailable
from ..models import RewardKind
from ..rules.money import money_text
from .shopify import ShopifyProvider

if TYPE_CHECKING:  # only for annotations: discounts imports this module
    from .discounts import DiscountSpec

SHOPIFY_DISCOUNTS = "shopify"
# A code another discount holds already; DUPLICATE is the older spelling of the same error.
_TAKEN = frozenset({"TAKEN", "DUPLICATE"})

_PAYLOAD = "codeDiscountNode { id } userErrors { field message code }"
BASIC_CREATE = f"""
mutation LoyaltyCodeCreate($discount: DiscountCodeBasicInput!) {{
  discountCodeBasicCreate(basicCodeDiscount: $discount) {{ {_PAYLOAD} }}
}}
"""
FREE_SHIPPING_CREATE = f"""
mutation LoyaltyFreeShippingCodeCreate($discount: DiscountCodeFreeShippingInput!) {{
  discountCodeFreeShippingCreate(freeShippingCodeDiscount: $discount) {{ {_PAYLOAD} }}
}}
"""
CODE_LOOKUP = """
query LoyaltyCodeLookup($code: String!) {
  codeDiscountNodeByCode(code: $code) {
    id
    codeDiscount {
      ... on DiscountCodeBasic { title }
      ... on DiscountCodeFreeShipping { title }
    }
  }
}
"""
DELETE = """
mutation LoyaltyCodeDelete($id: ID!) {
  discountCodeDelete(id: $id) { deletedCodeDiscountId userErrors { field message code } }
}
"""


def customer_gid(customer_id: str) -> str:
    return customer_id if customer_id.startswith("gid://") else f"gid://shopify/Customer/{customer_id}"


def variant_gid(variant_id: str) -> str:
    return variant_id if variant_id.startswith("gid://") else f"gid://shopify/ProductVariant/{variant_id}"


def _when(moment: dt.datetime) -> str:
    return moment.astimezone(dt.timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


def discount_input(spec: DiscountSpec) -> tuple[str, str, dict[str, Any]]:
    """(mutation, its payload field, the discount input) for ``spec``."""
    if not spec.customer_platform_id:
        raise ProviderRejected("This customer has no Shopify customer id, so a code restricted to "
                               "them cannot be created.", details={"platform": "shopify"})
    common: dict[str, Any] = {
        "title": spec.title, "code": spec.code, "startsAt": _when(spec.starts_at),
        "endsAt": _when(spec.expires_at), "usageLimit": spec.usage_limit,
        "appliesOncePerCustomer": True,
        "context": {"customers": {"add": [customer_gid(spec.customer_platform_id)]}},
    }
    if spec.min_order_subtotal > 0:
        common["minimumRequirement"] = {
            "subtotal": {"greaterThanOrEqualToSubtotal": money_text(spec.min_order_subtotal)}}
    if spec.kind is RewardKind.FREE_SHIPPING:
        return FREE_SHIPPING_CREATE, "discountCodeFreeShippingCreate", {
            **common, "destination": {"all": True}}
    if spec.kind is RewardKind.PERCENTAGE:
        gets = {"value": {"percentage": float(spec.value / 100)}, "items": {"all": True}}
    elif spec.kind is RewardKind.FREE_PRODUCT:
        if not spec.product_variant_id:
            raise ProviderRejected("A free product reward needs a product variant id.",
                                   details={"platform": "shopify"})
        gets = {"value": {"percentage": 1.0},
                "items": {"products": {"productVariantsToAdd": [variant_gid(spec.product_variant_id)]}}}
    else:
        gets = {"value": {"discountAmount": {"amount": money_text(spec.value),
                                             "appliesOnEachItem": False}},
                "items": {"all": True}}
    return BASIC_CREATE, "discountCodeBasicCreate", {**common, "customerGets": gets}


class ShopifyDiscountProvider:
    name = SHOPIFY_DISCOUNTS
    local = False

    def __init__(self, api: ShopifyProvider) -> None:
        self.api = api

    def create_code(self, spec: DiscountSpec, idempotency_key: str) -> str:
        mutation, field, discount = discount_input(spec)
        # Creating is safe to repeat: a second run finds the code taken and looks it up.
        data = self.api.graphql(mutation, {"discount": discount}, read_only=False,
                                idempotency_key=idempotency_key)
        payload = data.get(field) or {}
        errors = [e for e in payload.get("userErrors") or [] if isinstance(e, dict)]
        if errors:
            if any(e.get("code") in _TAKEN and "code" in (e.get("field") or []) for e in errors):
                return self._our_existing(spec)
            raise _rejected("create the code", errors)
        node_id = (payload.get("codeDiscountNode") or {}).get("id")
        if not node_id:
            raise ProviderUnavailable("Shopify created no discount and named no error.")
        return str(node_id)

    def revoke_code(self, reference: str | None, spec: DiscountSpec) -> None:
        node_id = reference or self._lookup(spec.code)[0]
        if node_id is None:
            return  # never made, or deleted already
        data = self.api.graphql(DELETE, {"id": node_id}, read_only=False,
                                idempotency_key=f"revoke-{spec.code}")
        errors = [e for e in (data.get("discountCodeDelete") or {}).get("userErrors") or []
                  if isinstance(e, dict)]
        if errors and self._lookup(spec.code)[0] is not None:
            raise _rejected("delete the code", errors)

    def _lookup(self, code: str) -> tuple[str | None, str | None]:
        """(discount node id, title) of the discount holding ``code``, or (None, None)."""
        node = self.api.graphql(CODE_LOOKUP, {"code": code}).get("codeDiscountNodeByCode")
        if not isinstance(node, dict) or not node.get("id"):
            return None, None
        return str(node["id"]), (node.get("codeDiscount") or {}).get("title")

    def _our_existing(self, spec: DiscountSpec) -> str:
        node_id, title = self._lookup(spec.code)
        if node_id is None:
            raise ProviderUnavailable("Shopify says the code is taken but has no discount with it; "
                                      "try again later.")
        if title != spec.title:
            raise ProviderRejected(f"The code {spec.code} belongs to another Shopify discount.",
                                   details={"platform": "shopify", "codes": ["TAKEN"]})
        return node_id


def _rejected(action: str, errors: list[dict]) -> ProviderRejected:
    messages = "; ".join(str(e.get("message"))[:200] for e in errors[:3])
    return ProviderRejected(f"Shopify refused to {action}: {messages}",
                            details={"platform": "shopify",
                                     "codes": sorted({str(e.get("code")) for e in errors})})
