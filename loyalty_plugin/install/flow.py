"""The Shopify install, step by step, each refusal before anything is stored.

The callback is checked (HMAC, shop, timestamp, state) before the state is
spent; the code is exchanged before any shop row is written; and the shop, its
encrypted token and its webhook subscriptions are done in one transaction, so
a failure at any step leaves nothing behind but the spent state. Subscriptions a
failed run already made are found, not made again, by the next install.
"""
from __future__ import annotations

import datetime as dt
import hmac
from collections.abc import Mapping
from dataclasses import dataclass

import requests

from ..db import Database
from ..encryption import SecretBox
from ..errors import BadRequest, ErrorCode, ProviderRejected, Unauthorized
from ..providers.http import HttpClient
from ..providers.shopify import ShopifyProvider
from ..providers.shopify_oauth import ACCESS_TOKEN_HEADER, ShopifyApp, ShopifyOAuth
from ..providers.shopify_webhooks import ensure_webhook_subscriptions, shop_settings
from ..providers.subscriptions import WebhookSync
from ..services.installs import install_shopify_shop, spend_state
from . import oauth

CALLBACK_PARAMS = ("code", "hmac", "shop", "state", "timestamp")


@dataclass(frozen=True)
class Installed:
    shop_id: int
    domain: str
    created: bool
    reactivated: bool
    api_key: str | None
    webhook_url: str
    webhooks: WebhookSync


def begin_install(app: ShopifyApp, params: Mapping[str, str], *, secret_key: str,
                  redirect_uri: str, now: dt.datetime) -> tuple[str, str]:
    """The authorize URL to send the merchant to, and the state to remember in their browser."""
    shop = checked_shop(params)
    # Opened from the Shopify admin, the request is signed: then the signature must hold.
    if "hmac" in params:
        check_signed(app, params, now)
    state = oauth.new_state(secret_key, shop)
    return oauth.authorize_url(shop, app.api_key, app.scopes, redirect_uri, state), state


def finish_install(db: Database, app: ShopifyApp, box: SecretBox, params: Mapping[str, str], *,
                   browser_state: str | None, secret_key: str, public_url: str,
                   http: requests.Session | None, now: dt.datetime) -> Installed:
    missing = [name for name in CALLBACK_PARAMS if not params.get(name)]
    if missing:
        raise BadRequest(f"The install callback lacks {', '.join(missing)}.", details={"missing": missing})
    shop = check_signed(app, params, now)
    state = params["state"]
    if not browser_state or not hmac.compare_digest(browser_state.encode(), state.encode()):
        raise BadRequest("This install was not started in this browser (the state does not match); "
                         "start it again from the install link.", details={"field": "state"})
    if not oauth.state_valid(secret_key, state, shop):
        raise BadRequest("The install state is invalid or has expired; start the install again.",
                         details={"field": "state"})
    with db.transaction() as session:
        first_use = spend_state(session, oauth.state_digest(state), shop, now, oauth.STATE_LIFETIME)
    if not first_use:
        raise BadRequest("This install link was used already; start the install again.",
                         details={"field": "state"})

    session_http = http or requests.Session()
    grant = ShopifyOAuth(app, session=session_http).exchange_code(shop, params["code"][:512])
    missing_scopes = app.missing_scopes(grant.scopes)
    if missing_scopes:
        raise ProviderRejected(f"Shopify granted the app too little access: {', '.join(missing_scopes)} "
                               "missing.", details={"missing_scopes": missing_scopes})
    provider = ShopifyProvider(HttpClient("Shopify", f"https://{shop}", session=session_http,
                                          headers={ACCESS_TOKEN_HEADER: grant.access_token}))
    currency, timezone = shop_settings(provider)
    with db.transaction() as session:
        result = install_shopify_shop(session, domain=shop, webhook_secret=app.api_secret,
                                      grant=grant, box=box, currency=currency, timezone=timezone,
                                      now=now)
        webhook_url = f"{public_url.rstrip('/')}/webhooks/shopify/{result.shop.id}"
        webhooks = ensure_webhook_subscriptions(provider, webhook_url)
    return Installed(shop_id=result.shop.id, domain=shop, created=result.created,
                     reactivated=result.reactivated, api_key=result.api_key,
                     webhook_url=webhook_url, webhooks=webhooks)


def checked_shop(params: Mapping[str, str]) -> str:
    shop = oauth.shop_domain(params.get("shop"))
    if shop is None:
        raise BadRequest("shop must be the shop's <name>.myshopify.com domain.",
                         details={"field": "shop"})
    return shop


def check_signed(app: ShopifyApp, params: Mapping[str, str], now: dt.datetime) -> str:
    if not oauth.hmac_valid(params, app.api_secret):
        raise Unauthorized("The request's hmac does not match: it was not sent by Shopify for this app.",
                           code=ErrorCode.INVALID_SIGNATURE)
    shop = checked_shop(params)
    if not oauth.timestamp_fresh(params.get("timestamp"), now):
        raise BadRequest("The request's timestamp is missing or not recent; start the install again.",
                         details={"field": "timestamp"})
    return shop
