"""Creating shops, uninstalling them and erasing their data."""
from __future__ import annotations

import datetime as dt
import logging
import re
import secrets
import zoneinfo
from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from ..errors import Conflict, Unprocessable
from ..models import Platform, ProgramSettings, Shop, ShopCredentials, ShopStatus
from .api_keys import create_api_key

log = logging.getLogger(__name__)

_CURRENCY = re.compile(r"^[A-Z]{3}$")
_DOMAIN = re.compile(r"^[a-z0-9]([a-z0-9.-]*[a-z0-9])?(:[0-9]{1,5})?$")


@dataclass(frozen=True)
class NewShop:
    shop: Shop
    api_key: str


def create_shop(session: Session, *, platform: Platform, domain: str, currency: str = "USD",
                timezone: str = "UTC", webhook_secret: str | None = None,
                now: dt.datetime) -> NewShop:
    domain = domain.strip().lower()
    domain = re.sub(r"^https?://", "", domain).rstrip("/")
    if not _DOMAIN.match(domain):
        raise Unprocessable(f"{domain!r} is not a valid shop domain.", details={"field": "domain"})
    currency = currency.strip().upper()
    if not _CURRENCY.match(currency):
        raise Unprocessable(f"{currency!r} is not a three-letter ISO 4217 currency code.",
                            details={"field": "currency"})
    try:
        zoneinfo.ZoneInfo(timezone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise Unprocessable(f"{timezone!r} is not a known IANA time zone.",
                            details={"field": "timezone"}) from None
    existing = session.execute(select(Shop).where(Shop.platform == platform, Shop.domain == domain))
    if existing.scalar_one_or_none() is not None:
        raise Conflict(f"A {platform.value} shop with domain {domain} exists already.")
    shop = Shop(platform=platform, domain=domain, currency=currency, timezone=timezone,
                status=ShopStatus.ACTIVE, webhook_secret=webhook_secret or secrets.token_hex(32),
                widget_secret=secrets.token_hex(32), created_at=now)
    shop.settings = ProgramSettings()
    session.add(shop)
    session.flush()
    api_key = create_api_key(session, shop.id, name="default", now=now)
    log.info("shop created shop=%s platform=%s", shop.id, platform.value)
    return NewShop(shop=shop, api_key=api_key)


def get_shop(session: Session, shop_id: int, platform: Platform | None = None) -> Shop | None:
    stmt = select(Shop).where(Shop.id == shop_id)
    if platform is not None:
        stmt = stmt.where(Shop.platform == platform)
    return session.execute(stmt).unique().scalar_one_or_none()


def find_shop(session: Session, platform: Platform, domain: str) -> Shop | None:
    return session.execute(select(Shop).where(Shop.platform == platform, Shop.domain == domain)
                           ).unique().scalar_one_or_none()


def rotate_webhook_secret(session: Session, shop: Shop, new_secret: str | None) -> str:
    """Make ``new_secret`` (or a generated one) current; the old one keeps working until dropped,
    so deliveries the platform signed before the switch still verify."""
    new_secret = (new_secret or "").strip() or secrets.token_hex(32)
    if len(new_secret) > 255:
        raise Unprocessable("A webhook secret is at most 255 characters.", details={"field": "secret"})
    if new_secret != shop.webhook_secret:
        shop.previous_webhook_secret = shop.webhook_secret
        shop.webhook_secret = new_secret
    session.flush()
    log.info("webhook secret rotated shop=%s", shop.id)
    return new_secret


def drop_previous_webhook_secret(session: Session, shop: Shop) -> None:
    shop.previous_webhook_secret = None
    session.flush()


def uninstall_shop(session: Session, shop: Shop, now: dt.datetime) -> None:
    """Stop the program; the platform has revoked the API token, so it is dropped too."""
    shop.status = ShopStatus.UNINSTALLED
    shop.uninstalled_at = now
    session.execute(delete(ShopCredentials).where(ShopCredentials.shop_id == shop.id)
                    .execution_options(synchronize_session=False))
    session.flush()


def reactivate_shop(session: Session, shop: Shop, *, webhook_secret: str) -> None:
    """A shop installed again: active, and signed with the secret the platform now uses."""
    shop.status = ShopStatus.ACTIVE
    shop.uninstalled_at = None
    if shop.webhook_secret != webhook_secret:
        rotate_webhook_secret(session, shop, webhook_secret)
    session.flush()
    log.info("shop reactivated shop=%s", shop.id)


def delete_shop(session: Session, shop: Shop) -> None:
    """Every row of the shop goes: the foreign keys cascade from the shop."""
    session.execute(delete(Shop).where(Shop.id == shop.id).execution_options(synchronize_session=False))
    session.expunge(shop)
    log.info("shop deleted shop=%s", shop.id)
