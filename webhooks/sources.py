"""Where reconciliation finds orders: per platform, the orders changed since a time, each
with a way to load it as the snapshot the webhooks would have given.

Loading is deferred to the order, so an order that fails to load or parse fails
alone. The parsers are the webhook adapters' own.
"""
from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from loyalty_plugin.errors import ProviderNotConfigured
from loyalty_plugin.events import OrderSnapshot
from loyalty_plugin.providers import (BigCommerceProvider, Provider, ShopifyProvider, StripeProvider,
                                      WooCommerceProvider)

from .base import PayloadError
from .bigcommerce_orders import parse_order as parse_bigcommerce_order
from .shopify_graphql import parse_graphql_order
from .woocommerce import parse_order as parse_woocommerce_order


@dataclass(frozen=True)
class Candidate:
    order_id: str
    load: Callable[[], OrderSnapshot]


def candidates(provider: Provider, since: dt.datetime) -> Iterator[Candidate]:
    if isinstance(provider, ShopifyProvider):
        return _shopify(provider, since)
    if isinstance(provider, BigCommerceProvider):
        return _bigcommerce(provider, since)
    if isinstance(provider, WooCommerceProvider):
        return _woocommerce(provider, since)
    if isinstance(provider, StripeProvider):
        return _stripe(provider, since)
    raise TypeError(f"no order source for {type(provider).__name__}")


def _shopify(provider: ShopifyProvider, since: dt.datetime) -> Iterator[Candidate]:
    for order_id in provider.changed_order_ids(since):
        yield Candidate(order_id, functools.partial(_load_shopify, provider, order_id))


def _load_shopify(provider: ShopifyProvider, order_id: str) -> OrderSnapshot:
    return parse_graphql_order(provider.fetch_order(order_id))


def _bigcommerce(provider: BigCommerceProvider, since: dt.datetime) -> Iterator[Candidate]:
    for order in provider.changed_orders(since):
        order_id = _listed_id(order)
        yield _listed(order, functools.partial(_load_bigcommerce, provider, order_id or "", order))


def _load_bigcommerce(provider: BigCommerceProvider, order_id: str, order: dict) -> OrderSnapshot:
    fetched = provider.fetch_order(order_id, order)
    return parse_bigcommerce_order(fetched.order, fetched.products, fetched.refunds)


def _woocommerce(provider: WooCommerceProvider, since: dt.datetime) -> Iterator[Candidate]:
    # The listing already holds each order's whole state, as a webhook body would.
    for order in provider.changed_orders(since):
        yield _listed(order, functools.partial(parse_woocommerce_order, order))


def _stripe(provider: StripeProvider, since: dt.datetime) -> Iterator[Candidate]:
    raise ProviderNotConfigured("Reconciling Stripe Checkout Sessions needs the Stripe adapter's "
                                "session parser, which this version does not have yet.")


def _listed(item: dict, load: Callable[[], OrderSnapshot]) -> Candidate:
    order_id = _listed_id(item)
    if order_id is None:
        return Candidate("?", functools.partial(_fail, "a listed order has no id"))
    return Candidate(order_id, load)


def _listed_id(item: dict) -> str | None:
    value = item.get("id")
    if isinstance(value, bool) or not isinstance(value, (int, str)) or not str(value).strip():
        return None
    return str(value).strip()[:64]


def _fail(message: str) -> OrderSnapshot:
    raise PayloadError(message)
