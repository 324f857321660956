"""Expiring Shopify offline tokens: stored with their lifetimes, refreshed shortly before expiry.

Shopify rotates the refresh token on every use, so a refresh runs under the
credentials row's lock and its answer is stored in that same transaction: two
processes never spend one refresh token, and a new one is never lost.
"""
from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..db import Database
from ..encryption import SecretBox
from ..errors import NotFound, ProviderNotConfigured
from ..models import Shop, ShopCredentials, utcnow
from ..providers.shopify_oauth import ShopifyOAuth, TokenGrant
from .credentials import PlatformCredentials, get_credentials, set_credentials, set_token_lifetimes
from .shops import get_shop

log = logging.getLogger(__name__)

# Refresh this long before expiry, so a token never runs out in the middle of a request.
REFRESH_MARGIN = dt.timedelta(minutes=5)


def store_grant(session: Session, shop_id: int, box: SecretBox, grant: TokenGrant,
                now: dt.datetime) -> None:
    set_credentials(session, shop_id, box, now=now, values={
        "access_token": grant.access_token, "refresh_token": grant.refresh_token})
    set_token_lifetimes(session, shop_id, access_expires_at=grant.access_expires_at(now),
                        refresh_expires_at=grant.refresh_expires_at(now),
                        scopes=",".join(grant.scopes) or None)


def refresh_due(creds: PlatformCredentials, now: dt.datetime) -> bool:
    expires = creds.access_token_expires_at
    return bool(creds.refresh_token) and expires is not None and expires - now <= REFRESH_MARGIN


def refresh_if_due(session: Session, shop: Shop, box: SecretBox, oauth: ShopifyOAuth,
                   now: dt.datetime) -> PlatformCredentials:
    """The shop's credentials, with a fresh access token if the stored one is about to expire."""
    session.execute(select(ShopCredentials).where(ShopCredentials.shop_id == shop.id)
                    .with_for_update().execution_options(populate_existing=True))
    creds = get_credentials(session, shop.id, box)
    if creds is None or not creds.access_token:
        raise ProviderNotConfigured(f"Shop {shop.id} has no Shopify access token; install the app "
                                    "again to connect it.")
    if not refresh_due(creds, now):
        return creds
    assert creds.refresh_token is not None
    if creds.refresh_token_expires_at is not None and creds.refresh_token_expires_at <= now:
        raise ProviderNotConfigured(f"The Shopify tokens of shop {shop.id} have expired; open the "
                                    "app's install link again to reconnect it.")
    store_grant(session, shop.id, box, oauth.refresh(shop.domain, creds.refresh_token), now)
    log.info("shopify access token refreshed shop=%s", shop.id)
    refreshed = get_credentials(session, shop.id, box)
    assert refreshed is not None
    return refreshed


class ShopifyTokenSource:
    """A shop's access token for each request; refreshed, in a transaction of its own, when due."""

    def __init__(self, db: Database, shop_id: int, box: SecretBox, oauth: ShopifyOAuth,
                 clock: Callable[[], dt.datetime] = utcnow) -> None:
        self.db, self.shop_id, self.box, self.oauth, self.clock = db, shop_id, box, oauth, clock
        self._creds: PlatformCredentials | None = None

    def __repr__(self) -> str:
        return f"ShopifyTokenSource(shop={self.shop_id})"

    def __call__(self) -> str:
        now = self.clock()
        if self._creds is None or refresh_due(self._creds, now):
            with self.db.transaction() as session:
                shop = get_shop(session, self.shop_id)
                if shop is None:
                    raise NotFound(f"Shop {self.shop_id} is gone.")
                self._creds = refresh_if_due(session, shop, self.box, self.oauth, now)
        assert self._creds.access_token is not None
        return self._creds.access_token


def token_source_for(db: Database, shop_id: int, creds: PlatformCredentials | None,
                     box: SecretBox, oauth: ShopifyOAuth | None) -> ShopifyTokenSource | None:
    """A refreshing source when the stored token expires and the app can refresh it; else None."""
    if oauth is None or creds is None or not creds.refresh_token:
        return None
    return ShopifyTokenSource(db, shop_id, box, oauth)
