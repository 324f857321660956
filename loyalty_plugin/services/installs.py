"""A Shopify shop installing the public app: single-use OAuth states, the shop and its token."""
from __future__ import annotations

import datetime as dt
import logging
import re
import zoneinfo
from dataclasses import dataclass

from sqlalchemy import delete
from sqlalchemy.orm import Session

from ..encryption import SecretBox
from ..models import Platform, Shop, ShopStatus, UsedOAuthState
from ..providers.shopify_oauth import TokenGrant
from .shopify_tokens import store_grant
from .shops import create_shop, find_shop, reactivate_shop
from .sql import insert_or_none

log = logging.getLogger(__name__)

_CURRENCY = re.compile(r"^[A-Z]{3}$")


@dataclass(frozen=True)
class InstalledShop:
    shop: Shop
    created: bool
    reactivated: bool
    # The first admin API key of a new shop, shown once; None when the shop existed.
    api_key: str | None


def spend_state(session: Session, digest: str, shop_domain: str, now: dt.datetime,
                lifetime: dt.timedelta) -> bool:
    """True the first time a state is presented, False on any later try."""
    # Older rows belong to states whose signature has expired anyway.
    session.execute(delete(UsedOAuthState).where(UsedOAuthState.used_at < now - lifetime)
                    .execution_options(synchronize_session=False))
    row = insert_or_none(session, UsedOAuthState,
                         {"state_hash": digest, "shop_domain": shop_domain, "used_at": now},
                         conflict=["state_hash"])
    return row is not None


def install_shopify_shop(session: Session, *, domain: str, webhook_secret: str, grant: TokenGrant,
                         box: SecretBox, currency: str | None, timezone: str | None,
                         now: dt.datetime) -> InstalledShop:
    """Create the shop, or make an existing one active again, and store its token encrypted.

    Shopify signs an app's webhooks with the app's secret, which therefore becomes
    the shop's webhook secret (the one before stays accepted until dropped).
    """
    shop = find_shop(session, Platform.SHOPIFY, domain)
    api_key = None
    reactivated = False
    if shop is None:
        new = create_shop(session, platform=Platform.SHOPIFY, domain=domain,
                          currency=currency if currency and _CURRENCY.match(currency) else "USD",
                          timezone=timezone if _known_zone(timezone) else "UTC",
                          webhook_secret=webhook_secret, now=now)
        shop, api_key = new.shop, new.api_key
    else:
        reactivated = shop.status is ShopStatus.UNINSTALLED
        reactivate_shop(session, shop, webhook_secret=webhook_secret)
    store_grant(session, shop.id, box, grant, now)
    log.info("shopify app installed shop=%s created=%s reactivated=%s expiring=%s", shop.id,
             api_key is not None, reactivated, grant.expires_in is not None)
    return InstalledShop(shop=shop, created=api_key is not None, reactivated=reactivated,
                         api_key=api_key)


def _known_zone(name: str | None) -> bool:
    if not name or len(name) > 64:
        return False
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return False
    return True
