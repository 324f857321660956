"""Connecting a WooCommerce or BigCommerce shop: its API credentials and its webhooks, together.

The credentials are stored and the webhooks registered in the caller's one
transaction, so a platform that refuses either leaves no credentials behind.
Registering lists what is there first: connecting twice creates nothing twice.
"""
from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping

import requests
from sqlalchemy.orm import Session

from ..encryption import SecretBox
from ..errors import Unprocessable
from ..models import Platform, Shop
from ..providers import BigCommerceProvider, WooCommerceProvider, provider_for
from ..providers.subscriptions import WebhookSync
from .credentials import get_credentials, set_credentials

log = logging.getLogger(__name__)

CONNECTABLE = (Platform.WOOCOMMERCE, Platform.BIGCOMMERCE)


def webhook_url(public_url: str, shop: Shop) -> str:
    return f"{public_url.rstrip('/')}/webhooks/{shop.platform.value}/{shop.id}"


def connect_shop(session: Session, shop: Shop, box: SecretBox, *, platform: Platform,
                 values: Mapping[str, str], public_url: str, http: requests.Session | None,
                 now: dt.datetime) -> WebhookSync:
    if shop.platform is not platform:
        raise Unprocessable(f"Shop {shop.id} is a {shop.platform.value} shop, not a "
                            f"{platform.value} one.", details={"field": "shop"})
    if platform not in CONNECTABLE:
        raise Unprocessable(f"{platform.value} shops are not connected this way.")
    set_credentials(session, shop.id, box, values=values, now=now)
    provider = provider_for(shop, get_credentials(session, shop.id, box), session=http)
    url = webhook_url(public_url, shop)
    if isinstance(provider, WooCommerceProvider):
        sync = provider.ensure_webhooks(url, shop.webhook_secret)
    else:
        assert isinstance(provider, BigCommerceProvider)
        sync = provider.ensure_hooks(url, shop.webhook_secret)
    log.info("shop connected shop=%s platform=%s created=%s kept=%s", shop.id, platform.value,
             len(sync.created), len(sync.kept))
    return sync
