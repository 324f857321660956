"""Shopify Admin GraphQL API: orders changed since a time, and one order in detail.

Listing asks only for ids (cheap in query cost); each order is then fetched on
its own, so one bad order never stops the rest and no single query comes near
Shopify's 1000-point cost ceiling. GraphQL errors arrive with HTTP 200; a
``THROTTLED`` error waits for the bucket to refill, like an HTTP 429.
"""
from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterator
from typing import Any

from ..errors import ProviderRejected, ProviderUnavailable
from ..models import Platform
from .http import HttpClient

log = logging.getLogger(__name__)

DEFAULT_API_VERSION = "2026-10"
PAGE_SIZE = 100

CHANGED_ORDERS_QUERY = """
query ChangedOrders($first: Int!, $after: String, $query: String!) {
  orders(first: $first, after: $after, query: $query, sortKey: UPDATED_AT) {
    pageInfo { hasNextPage endCursor }
    nodes { id legacyResourceId updatedAt }
  }
}
"""

ORDER_QUERY = """
query LoyaltyOrder($id: ID!) {
  order(id: $id) {
    id legacyResourceId name email test cancelledAt updatedAt currencyCode taxesIncluded
    displayFinancialStatus displayFulfillmentStatus discountCodes
    customer { id firstName lastName }
    subtotalPriceSet { shopMoney { amount currencyCode } }
    totalTaxSet { shopMoney { amount currencyCode } }
    totalShippingPriceSet { shopMoney { amount currencyCode } }
    lineItems(first: 50) {
      nodes {
        isGiftCard quantity
        originalTotalSet { shopMoney { amount currencyCode } }
        discountAllocations { allocatedAmountSet { shopMoney { amount currencyCode } } }
        taxLines { priceSet { shopMoney { amount currencyCode } } }
      }
    }
    refunds(first: 20) {
      id legacyResourceId createdAt
      refundLineItems(first: 50) {
        nodes {
          quantity
          lineItem { isGiftCard }
          subtotalSet { shopMoney { amount currencyCode } }
          totalTaxSet { shopMoney { amount currencyCode } }
        }
      }
      transactions(first: 10) { nodes { kind status } }
    }
  }
}
"""


def order_gid(order_id: str) -> str:
    return order_id if order_id.startswith("gid://") else f"gid://shopify/Order/{order_id}"


class ShopifyProvider:
    platform = Platform.SHOPIFY

    def __init__(self, http: HttpClient, api_version: str = DEFAULT_API_VERSION) -> None:
        self.http = http
        self.path = f"/admin/api/{api_version}/graphql.json"

    def graphql(self, query: str, variables: dict[str, Any], *, read_only: bool = True,
                idempotency_key: str | None = None) -> dict:
        """``data`` of a query; THROTTLED waits and retries, other errors raise.

        A mutation (``read_only=False``) is not repeated after a timeout or a 5xx,
        which may have applied it, unless ``idempotency_key`` vouches that running it
        twice is harmless; a THROTTLED answer never ran it, so that always waits.
        """
        policy = self.http.retry
        for attempt in range(policy.attempts):
            response = self.http.request("POST", self.path, read_only=read_only,
                                         idempotency_key=idempotency_key,
                                         json={"query": query, "variables": variables})
            body = self.http.json_of(response, f"POST {self.path}")
            if not isinstance(body, dict):
                raise ProviderUnavailable("Shopify answered GraphQL with no JSON object.")
            errors = body.get("errors") or []
            if not errors:
                data = body.get("data")
                if not isinstance(data, dict):
                    raise ProviderUnavailable("Shopify answered GraphQL without data.")
                return data
            codes = {(e.get("extensions") or {}).get("code") for e in errors if isinstance(e, dict)}
            if "THROTTLED" not in codes:
                messages = "; ".join(str(e.get("message", e))[:200] for e in errors[:3]
                                     if isinstance(e, dict))
                raise ProviderRejected(f"Shopify refused the query: {messages}",
                                       details={"platform": "shopify", "codes": sorted(map(str, codes))})
            wait = _throttle_wait(body, policy.delay(attempt, None))
            if attempt + 1 >= policy.attempts or wait > policy.max_retry_after:
                raise ProviderUnavailable("Shopify throttled the query; try again later.")
            log.warning("provider throttled platform=shopify wait=%.2fs", wait)
            self.http.sleep(wait)
        raise AssertionError("unreachable")  # pragma: no cover

    def changed_order_ids(self, since: dt.datetime) -> Iterator[str]:
        """Numeric ids of orders updated at or after ``since``, oldest change first."""
        search = f"updated_at:>='{since.astimezone(dt.timezone.utc):%Y-%m-%dT%H:%M:%SZ}'"
        after: str | None = None
        while True:
            data = self.graphql(CHANGED_ORDERS_QUERY, {"first": PAGE_SIZE, "after": after, "query": search})
            connection = data.get("orders") or {}
            for node in connection.get("nodes") or []:
                if isinstance(node, dict) and (node.get("legacyResourceId") or node.get("id")):
                    yield str(node.get("legacyResourceId") or node["id"].rsplit("/", 1)[-1])
            page = connection.get("pageInfo") or {}
            if not page.get("hasNextPage") or not page.get("endCursor"):
                return
            after = page["endCursor"]

    def fetch_order(self, order_id: str) -> dict:
        data = self.graphql(ORDER_QUERY, {"id": order_gid(order_id)})
        order = data.get("order")
        if not isinstance(order, dict):
            raise ProviderRejected(f"Shopify has no order {order_id}.",
                                   details={"platform": "shopify", "status": 404})
        return order


def _throttle_wait(body: dict, fallback: float) -> float:
    cost = (body.get("extensions") or {}).get("cost") or {}
    status = cost.get("throttleStatus") or {}
    try:
        needed = float(cost["requestedQueryCost"]) - float(status["currentlyAvailable"])
        return max(needed / float(status["restoreRate"]), 0.5)
    except (KeyError, TypeError, ValueError, ZeroDivisionError):
        return fallback
