"""The one interface every platform's discount codes go through.

A provider turns a ``DiscountSpec`` into a single-use code on the shop's platform
(Shopify ``discountCodeBasicCreate``, a WooCommerce coupon, a BigCommerce
promotion code, a Stripe promotion code) or, for custom storefronts, into nothing
beyond the code's own record (``native``). Services receive the provider as an
argument; the app keeps a factory (shop -> provider) in ``app.extensions`` so a
test or a deployment can hand in another.

Errors: ``ProviderUnavailable`` when trying again later may work (timeouts,
connection errors, 5xx, throttling), ``ProviderRejected`` when it will not (4xx,
validation). Both come from ``loyalty_plugin.errors`` and never carry secrets.
"""
from __future__ import annotations

import datetime as dt
import functools
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol

from flask import Flask, current_app
from sqlalchemy.orm import object_session

from ..db import get_db
from ..encryption import box_from_config
from ..errors import ProviderError, ProviderNotConfigured, ProviderRejected, ProviderUnavailable
from ..models import Platform, RewardKind, Shop
from ..services.credentials import get_credentials
from ..services.shopify_tokens import token_source_for
from .native import NativeProvider
from .platform_discounts import platform_discount_provider
from .shopify_oauth import ShopifyApp, ShopifyOAuth

log = logging.getLogger(__name__)

__all__ = ["DiscountProvider", "DiscountSpec", "ProviderError", "ProviderFactory",
           "ProviderNotConfigured", "ProviderRejected", "ProviderUnavailable", "create_code",
           "default_factory", "discount_provider", "init_app", "revoke_code"]

EXTENSION_KEY = "loyalty_discount_providers"


@dataclass(frozen=True)
class DiscountSpec:
    """Everything a platform needs to create one code, in platform-neutral terms.

    ``kind`` is never VARIABLE: a variable reward's code is a fixed amount off.
    ``value`` is money in ``currency`` for FIXED_AMOUNT, a percentage (0-100] for
    PERCENTAGE, and unused for FREE_SHIPPING and FREE_PRODUCT.
    """

    code: str
    kind: RewardKind
    value: Decimal
    currency: str
    min_order_subtotal: Decimal
    product_variant_id: str | None
    customer_platform_id: str | None
    customer_email: str | None
    starts_at: dt.datetime
    expires_at: dt.datetime
    title: str
    usage_limit: int = 1


class DiscountProvider(Protocol):
    name: str  # recorded on each code: who holds it
    local: bool  # True when nothing leaves this process (no deadline needed)

    def create_code(self, spec: DiscountSpec, idempotency_key: str) -> str:
        """Create the code; returns the platform's reference to it.

        Sending the same ``idempotency_key`` again must not create a second code.
        """

    def revoke_code(self, reference: str | None, spec: DiscountSpec) -> None:
        """Make the code unusable; a code that is already gone counts as revoked."""


ProviderFactory = Callable[[Shop], DiscountProvider]


def default_factory(shop: Shop, app: Flask | None = None) -> DiscountProvider:
    """Native codes for custom stores; the platform's own codes for the others.

    Credentials are read in the session the shop was loaded in, when it has one: on
    SQLite a second transaction would wait for the write lock that session holds.
    """
    if shop.platform is Platform.CUSTOM:
        return NativeProvider()
    app = app or current_app
    database = get_db(app)
    box = box_from_config(app.config)
    session = object_session(shop)
    if session is not None:
        creds = get_credentials(session, shop.id, box)
    else:
        with database.transaction() as fresh:
            creds = get_credentials(fresh, shop.id, box)
    shopify_app = ShopifyApp.from_config(app.config)
    tokens = token_source_for(database, shop.id, creds, box,
                              ShopifyOAuth(shopify_app) if shopify_app else None)
    return platform_discount_provider(shop, creds, token_source=tokens)


def init_app(app: Flask, factory: ProviderFactory | None = None) -> None:
    app.extensions[EXTENSION_KEY] = factory or functools.partial(default_factory, app=app)


def discount_provider(shop: Shop, app: Flask | None = None) -> DiscountProvider:
    return (app or current_app).extensions[EXTENSION_KEY](shop)


def create_code(provider: DiscountProvider, spec: DiscountSpec, idempotency_key: str,
                timeout: float) -> str:
    """``provider.create_code`` within ``timeout`` seconds, or ProviderUnavailable.

    A call that answers after the deadline is revoked as soon as it does: the
    caller has already given the points back.
    """
    def late(reference: str) -> None:
        log.warning("code created after the deadline, revoking provider=%s", provider.name)
        provider.revoke_code(reference, spec)

    return _within(lambda: provider.create_code(spec, idempotency_key), timeout, provider, late)


def revoke_code(provider: DiscountProvider, reference: str | None, spec: DiscountSpec,
                timeout: float) -> None:
    _within(lambda: provider.revoke_code(reference, spec), timeout, provider, None)


def _within(call: Callable, timeout: float, provider: DiscountProvider,
            on_late: Callable | None):
    if provider.local:
        return call()
    outcome: dict = {}
    finished = threading.Event()
    lock = threading.Lock()

    def run() -> None:
        try:
            outcome["value"] = call()
        except BaseException as exc:  # handed to the waiting thread
            outcome["error"] = exc
        with lock:
            finished.set()
            abandoned = outcome.get("abandoned", False)
        if abandoned and on_late is not None and "value" in outcome:
            try:
                on_late(outcome["value"])
            except Exception:
                log.exception("revoking a late code failed provider=%s", provider.name)

    threading.Thread(target=run, name=f"provider-{provider.name}", daemon=True).start()
    finished.wait(timeout)
    with lock:
        if not finished.is_set():
            outcome["abandoned"] = True
            raise ProviderUnavailable(f"The {provider.name} platform did not answer within "
                                      f"{timeout:g} seconds.")
    if "error" in outcome:
        raise outcome["error"]
    return outcome.get("value")
