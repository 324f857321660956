"""WooCommerce REST API (``/wp-json/wc/v3``), with the store's consumer key and secret.

HTTP Basic auth over HTTPS, never the query-string fallback: keys in a URL end
up in the store's access logs.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from ..errors import ProviderUnavailable
from ..models import Platform
from .http import HttpClient

API = "/wp-json/wc/v3"
PAGE_SIZE = 100


class WooCommerceProvider:
    platform = Platform.WOOCOMMERCE

    def __init__(self, http: HttpClient) -> None:
        self.http = http

    def changed_orders(self, since: dt.datetime) -> Iterator[dict]:
        """Orders modified at or after ``since`` (GMT), page by page, in id order."""
        params = {"modified_after": f"{since.astimezone(dt.timezone.utc):%Y-%m-%dT%H:%M:%S}",
                  "dates_are_gmt": "true", "per_page": PAGE_SIZE, "orderby": "id", "order": "asc"}
        page = 1
        while True:
            response = self.http.request("GET", f"{API}/orders", params={**params, "page": page})
            orders = self.http.json_of(response, f"GET {API}/orders")
            if orders is None:
                return
            if not isinstance(orders, list):
                raise ProviderUnavailable("WooCommerce answered the orders list with no JSON list.")
            yield from (order for order in orders if isinstance(order, dict))
            total_pages = _int(response.headers.get("X-WP-TotalPages"))
            if len(orders) < PAGE_SIZE or (total_pages is not None and page >= total_pages):
                return
            page += 1

    def fetch_order(self, order_id: str) -> dict:
        order = self.http.get_json(f"{API}/orders/{order_id}")
        if not isinstance(order, dict):
            raise ProviderUnavailable(f"WooCommerce answered order {order_id} with no JSON object.")
        return order


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None
