"""A shop's storefront widget settings: read with defaults, changed by the admin API."""
from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import LauncherPosition, Shop, WidgetSettings
from ..models.widget import DEFAULT_PRIMARY_COLOR


def default_settings(shop_id: int) -> WidgetSettings:
    return WidgetSettings(shop_id=shop_id, primary_color=DEFAULT_PRIMARY_COLOR,
                          launcher_position=LauncherPosition.BOTTOM_RIGHT, launcher_text=None,
                          locale=None, storefront_origins=[], sign_in_url=None, sign_up_url=None)


def get_widget_settings(session: Session, shop_id: int) -> WidgetSettings:
    """The shop's settings; an unsaved object with the defaults when it never changed any."""
    return session.get(WidgetSettings, shop_id) or default_settings(shop_id)


def shop_with_widget_settings(session: Session, shop_id: int) -> tuple[Shop, WidgetSettings] | None:
    """The shop, its program settings and its widget settings in one query: every widget
    request starts here."""
    row = session.execute(select(Shop, WidgetSettings).outerjoin(
        WidgetSettings, WidgetSettings.shop_id == Shop.id).where(Shop.id == shop_id)).unique().first()
    if row is None:
        return None
    shop, settings = row
    return shop, settings or default_settings(shop_id)


def update_widget_settings(session: Session, shop: Shop, changes: dict[str, Any],
                           now: dt.datetime) -> WidgetSettings:
    settings = session.get(WidgetSettings, shop.id)
    if settings is None:
        settings = default_settings(shop.id)
        session.add(settings)
    for name, value in changes.items():
        setattr(settings, name, value)
    # Normalised origins may repeat ("https://a.com/" and "https://a.com"); keep each once.
    settings.storefront_origins = list(dict.fromkeys(settings.storefront_origins))
    settings.updated_at = now
    session.flush()
    return settings
