"""WooCommerce REST API (``/wp-json/wc/v3``), with the store's consumer key and secret.

HTTP Basic auth over HTTPS, never the query-string fallback: keys in a URL end
up in the store's access logs.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

from ..errors import ProviderUnavailable
from ..models import Platform
from .http import HttpClient
from .subscriptions import WebhookSync

API = "/wp-json/wc/v3"
PAGE_SIZE = 100
MAX_PAGES = 1000  # a runaway paginator must end
# The topics webhooks.woocommerce turns into events; "order.deleted" keeps the points,
# so it is not needed.
WEBHOOK_TOPICS = ("order.created", "order.updated", "order.restored", "customer.created",
                  "customer.updated")


class WooCommerceProvider:
    platform = Platform.WOOCOMMERCE

    def __init__(self, http: HttpClient) -> None:
        self.http = http

    def changed_orders(self, since: dt.datetime) -> Iterator[dict]:
        """Orders modified at or after ``since`` (GMT), page by page, in id order."""
        params = {"modified_after": f"{since.astimezone(dt.timezone.utc):%Y-%m-%dT%H:%M:%S}",
                  "dates_are_gmt": "true", "orderby": "id", "order": "asc"}
        return self._pages(f"{API}/orders", params, "orders")

    def fetch_order(self, order_id: str) -> dict:
        order = self.http.get_json(f"{API}/orders/{order_id}")
        if not isinstance(order, dict):
            raise ProviderUnavailable(f"WooCommerce answered order {order_id} with no JSON object.")
        return order

    def webhooks(self) -> Iterator[dict]:
        return self._pages(f"{API}/webhooks", {}, "webhooks")

    def ensure_webhooks(self, delivery_url: str, secret: str) -> WebhookSync:
        """One active webhook per topic to ``delivery_url``, signed with ``secret``.

        A webhook already there is re-activated (WooCommerce disables one after five
        failed deliveries) and given the current secret; none is created twice.
        """
        existing = {(hook.get("topic"), hook.get("delivery_url")): hook for hook in self.webhooks()}
        sync = WebhookSync()
        for topic in WEBHOOK_TOPICS:
            hook = existing.get((topic, delivery_url))
            if hook is None:
                self.http.request("POST", f"{API}/webhooks", json={
                    "name": f"Loyalty program: {topic}", "topic": topic,
                    "delivery_url": delivery_url, "secret": secret, "status": "active"})
                sync.created.append(topic)
            else:
                self.http.request("PUT", f"{API}/webhooks/{_id(hook)}",
                                  json={"status": "active", "secret": secret})
                sync.kept.append(topic)
        return sync

    def _pages(self, path: str, params: dict[str, Any], what: str) -> Iterator[dict]:
        for page in range(1, MAX_PAGES + 1):
            response = self.http.request("GET", path, params={**params, "per_page": PAGE_SIZE,
                                                              "page": page})
            items = self.http.json_of(response, f"GET {path}")
            if items is None:
                return
            if not isinstance(items, list):
                raise ProviderUnavailable(f"WooCommerce answered the {what} list with no JSON list.")
            yield from (item for item in items if isinstance(item, dict))
            total_pages = _int(response.headers.get("X-WP-TotalPages"))
            if len(items) < PAGE_SIZE or (total_pages is not None and page >= total_pages):
                return


def _id(item: dict) -> str:
    value = item.get("id")
    if isinstance(value, bool) or not isinstance(value, (int, str)) or not str(value).isdigit():
        raise ProviderUnavailable("WooCommerce listed a webhook without a numeric id.")
    return str(value)


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None
