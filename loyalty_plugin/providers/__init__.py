"""Outbound clients for the shop platforms' APIs and Stripe.

One module per platform, each wrapping an injected ``requests`` session (or the
Stripe SDK client) with timeouts, bounded retries and one error family
(``ProviderUnavailable`` / ``ProviderRejected``). Writes that create something
on a platform (discount codes) go through ``HttpClient.request`` with an
``idempotency_key`` derived from the ledger entry, which also makes them safe to
retry.
"""
from __future__ import annotations

import time
from collections.abc import Callable

import requests
from requests.auth import HTTPBasicAuth

from ..errors import ProviderNotConfigured
from ..models import Platform, Shop
from ..services.credentials import PlatformCredentials
from .bigcommerce import DEFAULT_API_URL as BIGCOMMERCE_API_URL
from .bigcommerce import BigCommerceOrder, BigCommerceProvider
from .http import DEFAULT_TIMEOUT, HttpClient, RetryPolicy
from .shopify import DEFAULT_API_VERSION, ShopifyProvider
from .shopify_oauth import AccessTokenAuth, ShopifyApp, ShopifyOAuth
from .stripe import StripeProvider, stripe_client
from .woocommerce import WooCommerceProvider

Provider = ShopifyProvider | WooCommerceProvider | BigCommerceProvider | StripeProvider

REQUIRED_FIELDS: dict[Platform, tuple[str, ...]] = {
    Platform.SHOPIFY: ("access_token",),
    Platform.WOOCOMMERCE: ("consumer_key", "consumer_secret"),
    Platform.BIGCOMMERCE: ("store_hash", "access_token"),
    Platform.STRIPE: ("secret_key",),
}

__all__ = [
    "BigCommerceOrder", "BigCommerceProvider", "HttpClient", "Provider", "REQUIRED_FIELDS",
    "RetryPolicy", "ShopifyApp", "ShopifyOAuth", "ShopifyProvider", "StripeProvider",
    "WooCommerceProvider", "provider_for",
]


def provider_for(shop: Shop, creds: PlatformCredentials | None, *,
                 session: requests.Session | None = None, retry: RetryPolicy = RetryPolicy(),
                 timeout: tuple[float, float] = DEFAULT_TIMEOUT,
                 sleep: Callable[[float], None] = time.sleep,
                 token_source: Callable[[], str] | None = None) -> Provider:
    """The API client for a shop's platform, or ProviderNotConfigured naming what is missing.

    ``token_source`` gives a Shopify access token before each request (an expiring
    token is refreshed there); without it the stored token is sent as it is.
    """
    platform = shop.platform
    if platform not in REQUIRED_FIELDS:
        raise ProviderNotConfigured(f"{platform.value} shops have no platform API to call.")
    missing = [name for name in REQUIRED_FIELDS[platform] if not getattr(creds, name, None)]
    if creds is None or missing:
        raise ProviderNotConfigured(
            f"Shop {shop.id} has no {platform.value} API credentials ({', '.join(missing)} missing); "
            f"set them with `loyalty shop credentials --shop {shop.id}`.",
            details={"missing": missing})
    session = session or requests.Session()

    def http(name: str, base_url: str, **kwargs) -> HttpClient:
        return HttpClient(name, base_url, session=session, retry=retry, timeout=timeout, sleep=sleep,
                          **kwargs)

    if platform is Platform.SHOPIFY:
        base = creds.api_url or f"https://{shop.domain}"
        if token_source is not None:
            client = http("Shopify", base, auth=AccessTokenAuth(token_source))
        else:
            client = http("Shopify", base, headers={"X-Shopify-Access-Token": creds.access_token or ""})
        return ShopifyProvider(client, creds.api_version or DEFAULT_API_VERSION)
    if platform is Platform.WOOCOMMERCE:
        auth = HTTPBasicAuth(creds.consumer_key or "", creds.consumer_secret or "")
        return WooCommerceProvider(http("WooCommerce", creds.api_url or f"https://{shop.domain}", auth=auth))
    if platform is Platform.BIGCOMMERCE:
        client = http("BigCommerce", creds.api_url or BIGCOMMERCE_API_URL,
                      headers={"X-Auth-Token": creds.access_token or ""})
        return BigCommerceProvider(client, creds.store_hash or "")
    return StripeProvider(stripe_client(creds.secret_key or "", creds.api_url, session=session,
                                        network_retries=retry.attempts - 1, timeout=timeout))

