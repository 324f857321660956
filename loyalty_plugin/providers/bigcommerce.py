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
from .subscriptions import WebhookSync

DEFAULT_API_URL = "https://api.bigcommerce.com"
PAGE_SIZE = 250
MAX_PAGES = 1000  # a runaway paginator must end
# Every order event; webhooks.bigcommerce acts on the ones it needs and answers the rest 200.
HOOK_SCOPES = ("store/order/*",)
# Echoed by BigCommerce on every callback; webhooks.bigcommerce compares it with the shop's secret.
TOKEN_HEADER = "X-Loyalty-Webhook-Token"


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
        return list(self._v3_pages(f"{self.root}/v3/orders/{order_id}/payment_actions/refunds",
                                   f"the refunds of order {order_id}"))

    def hooks(self) -> Iterator[dict]:
        return self._v3_pages(f"{self.root}/v3/hooks", "the hooks")

    def ensure_hooks(self, destination: str, token: str) -> WebhookSync:
        """One active hook per scope to ``destination``, sending ``token`` in TOKEN_HEADER.

        A hook already there is re-activated (BigCommerce deactivates one after 48 h
        of failures) and given the current token; none is created twice.
        """
        existing = {(hook.get("scope"), hook.get("destination")): hook for hook in self.hooks()}
        sync = WebhookSync()
        for scope in HOOK_SCOPES:
            hook = existing.get((scope, destination))
            settings = {"is_active": True, "headers": {TOKEN_HEADER: token}}
            if hook is None:
                self.http.request("POST", f"{self.root}/v3/hooks",
                                  json={"scope": scope, "destination": destination, **settings})
                sync.created.append(scope)
            else:
                hook_id = hook.get("id")
                if isinstance(hook_id, bool) or not str(hook_id).isdigit():
                    raise ProviderUnavailable("BigCommerce listed a hook without a numeric id.")
                self.http.request("PUT", f"{self.root}/v3/hooks/{hook_id}", json=settings)
                sync.kept.append(scope)
        return sync

    def changed_orders(self, since: dt.datetime) -> Iterator[dict]:
        """Orders modified at or after ``since``, page by page (v2 orders without products)."""
        params = {"min_date_modified": since.astimezone(dt.timezone.utc).isoformat(timespec="seconds")}
        yield from self._v2_pages(f"{self.root}/v2/orders", params)

    def _v3_pages(self, path: str, what: str) -> Iterator[dict]:
        for page in range(1, MAX_PAGES + 1):
            body = self.http.get_json(path, params={"page": page, "limit": PAGE_SIZE})
            if body is None:
                return
            data = body.get("data") if isinstance(body, dict) else None
            if not isinstance(data, list):
                raise ProviderUnavailable(f"BigCommerce answered {what} without a data list.")
            yield from (item for item in data if isinstance(item, dict))
            pagination = (body.get("meta") or {}).get("pagination") or {}
            if not isinstance(pagination, dict) or page >= int(pagination.get("total_pages") or 1):
                return

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
