"""The discount provider of a shop's platform, built from the shop's stored API credentials.

The platform clients (``provider_for``) already check the credentials and name
what is missing (ProviderNotConfigured, 503); this wraps each in the module that
makes its discount codes.
"""
from __future__ import annotations

import time
from collections.abc import Callable

import requests

from ..models import Shop
from ..services.credentials import PlatformCredentials
from . import BigCommerceProvider, ShopifyProvider, StripeProvider, provider_for
from .bigcommerce_promotions import BigCommercePromotionProvider
from .http import DEFAULT_TIMEOUT, RetryPolicy
from .shopify_discounts import ShopifyDiscountProvider
from .stripe_promotions import StripePromotionProvider
from .woocommerce_coupons import WooCommerceCouponProvider

PlatformDiscountProvider = (ShopifyDiscountProvider | WooCommerceCouponProvider
                            | BigCommercePromotionProvider | StripePromotionProvider)


def platform_discount_provider(shop: Shop, creds: PlatformCredentials | None, *,
                               session: requests.Session | None = None,
                               retry: RetryPolicy = RetryPolicy(),
                               timeout: tuple[float, float] = DEFAULT_TIMEOUT,
                               sleep: Callable[[float], None] = time.sleep,
                               token_source: Callable[[], str] | None = None) -> PlatformDiscountProvider:
    api = provider_for(shop, creds, session=session, retry=retry, timeout=timeout, sleep=sleep,
                       token_source=token_source)
    if isinstance(api, ShopifyProvider):
        return ShopifyDiscountProvider(api)
    if isinstance(api, BigCommerceProvider):
        assert creds is not None and creds.store_hash  # provider_for checked them
        return BigCommercePromotionProvider(api.http, creds.store_hash)
    if isinstance(api, StripeProvider):
        return StripePromotionProvider(api.client)
    return WooCommerceCouponProvider(api.http)
