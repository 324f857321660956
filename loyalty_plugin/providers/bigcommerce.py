"""BigCommerce REST API: an order with its products and refunds; orders changed since a time.

Webhook callbacks carry only an order id, so this is where an order's state
comes from. Collections answer 204 with no body once there is nothing (more).
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field

from ..errors import ProviderUnavailable
from ..models import Platform
from .http import HttpClient

DEFAULT_API_URL = "https://api.bigcommerce.com"
PAGE_SIZE = 250
MAX_PAGES = 1000  # a runaway paginator must end


@dataclass(frozen=True)
class BigCommerceOrder:
    order: dict
    products: list[dict] = field(default_factory=list)
    refunds: list[dict] = field(default_factory=list)


class BigCommerceProvider:
    platform = Platform.BIGCOMMERCE

    def __init__(self, http: HttpClient, store_hash: str) -> None:
        self.http = http
        self.root = f"/stores/{store_hash}"

    def fetch_order(self, order_id: str, order: dict | None = None) -> BigCommerceOrder:
        """The order (unless already listed), its products and its refunds."""
        if order is None:
            order = self.http.get_json(f"{self.root}/v2/orders/{order_id}")
            if not isinstance(order, dict):
                raise ProviderUnavailable(f"BigCommerce answered order {order_id} with no JSON object.")
        return BigCommerceOrder(order=order, products=self.order_products(order_id),
                                refunds=self.order_refunds(order_id))

    def order_products(self, order_id: str) -> list[dict]:
        return list(self._v2_pages(f"{self.root}/v2/orders/{order_id}/products", {}))

    def order_refunds(self, order_id: str) -> list[dict]:
        path = f"{self.root}/v3/orders/{order_id}/payment_actions/refunds"
        refunds: list[dict] = []
        for page in range(1, MAX_PAGES + 1):
            body = self.http.get_json(path, params={"page": page, "limit": PAGE_SIZE})
            if body is None:
                break
            data = body.get("data") if isinstance(body, dict) else None
            if not isinstance(data, list):
                raise ProviderUnavailable(f"BigCommerce answered the refunds of order {order_id} "
                                          "without a data list.")
            refunds.extend(r for r in data if isinstance(r, dict))
            pagination = (body.get("meta") or {}).get("pagination") or {}
            if not isinstance(pagination, dict) or page >= int(pagination.get("total_pages") or 1):
                break
        return refunds

    def changed_orders(self, since: dt.datetime) -> Iterator[dict]:
        """Orders modified at or after ``since``, page by page (v2 orders without products)."""
        params = {"min_date_modified": since.astimezone(dt.timezone.utc).isoformat(timespec="seconds")}
        yield from self._v2_pages(f"{self.root}/v2/orders", params)

    def _v2_pages(self, path: str, params: dict) -> Iterator[dict]:
        for page in range(1, MAX_PAGES + 1):
            items = self.http.get_json(path, params={**params, "limit": PAGE_SIZE, "page": page})
            if items is None:
                return
            if not isinstance(items, list):
                raise ProviderUnavailable(f"BigCommerce answered GET {path} with no JSON list.")
            yield from (item for item in items if isinstance(item, dict))
            if len(items) < PAGE_SIZE:
                return
