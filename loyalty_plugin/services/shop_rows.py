"""A shop and its program settings as one plain row, for the webhook path that only reads them.

Loading the ``Shop`` object with its eagerly joined settings costs several times the
SELECT itself; a delivery about an order reads a handful of their values and changes
none. ``ShopRow`` answers the same attribute names as ``Shop`` (``shop.settings.x``,
``shop.webhook_secrets()``), so the order services take either. Anything that changes
the shop (an uninstall, an erasure) works on the ``Shop`` object: see ``orm_shop``.
"""
from __future__ import annotations

from dataclasses import dataclass, make_dataclass
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from ..models import Platform, ProgramSettings, Shop, ShopStatus
from .driver_sql import DriverStatement

_SETTINGS = ProgramSettings.__table__
_SHOPS = Shop.__table__

# Every column of program_settings, by the model's attribute names; built from the table
# so a new setting reaches the webhook path without being listed twice.
SettingsRow: Any = make_dataclass(
    "SettingsRow", [column.key for column in _SETTINGS.c], frozen=True, slots=True)


@dataclass(frozen=True, slots=True)
class ShopRow:
    id: int
    platform: Platform
    domain: str
    currency: str
    timezone: str
    status: ShopStatus
    webhook_secret: str
    previous_webhook_secret: str | None
    widget_secret: str
    settings: Any  # a SettingsRow

    def webhook_secrets(self) -> list[str]:
        return [s for s in (self.webhook_secret, self.previous_webhook_secret) if s]


_SHOP_COLUMNS = [_SHOPS.c[name] for name in ("id", "platform", "domain", "currency", "timezone",
                                                "status", "webhook_secret", "previous_webhook_secret",
                                                "widget_secret")]
_SELECT = (select(*_SHOP_COLUMNS, *_SETTINGS.c)
           .join_from(_SHOPS, _SETTINGS, _SETTINGS.c.shop_id == _SHOPS.c.id)
           .where(_SHOPS.c.id == bindparam("shop_id")))
_BY_ID = DriverStatement(_SELECT)
_BY_ID_AND_PLATFORM = DriverStatement(_SELECT.where(_SHOPS.c.platform == bindparam("platform")))

_CACHE = "loyalty_shop_rows"


def load_shop_row(session: Session, shop_id: int, platform: Platform | None = None) -> ShopRow | None:
    """The shop and its settings in one SELECT; kept for the rest of the transaction.

    Only this transaction's writes could change them, and the webhook path makes none
    before it is done with them.
    """
    if platform is None:
        row = _BY_ID.first(session, {"shop_id": shop_id})
    else:
        row = _BY_ID_AND_PLATFORM.first(session, {"shop_id": shop_id, "platform": platform})
    if row is None:
        return None
    count = len(_SHOP_COLUMNS)
    shop = ShopRow(*row[:count], settings=SettingsRow(*row[count:]))
    session.info[_CACHE] = (session.get_transaction(), shop)
    return shop


def cached_shop_row(session: Session, shop_id: int) -> ShopRow | None:
    """The row ``load_shop_row`` read in this transaction, if it read this shop's."""
    transaction, shop = session.info.get(_CACHE, (None, None))
    if transaction is not session.get_transaction() or shop is None or shop.id != shop_id:
        return None
    return shop


def forget_shop_row(session: Session) -> None:
    """For a write to the shop or its settings: later reads in the transaction load them again."""
    session.info.pop(_CACHE, None)


def orm_shop(session: Session, shop: Shop | ShopRow) -> Shop:
    """The ``Shop`` object for code that changes the shop or follows its relationships."""
    if isinstance(shop, Shop):
        return shop
    forget_shop_row(session)
    found = session.get(Shop, shop.id)
    assert found is not None
    return found

