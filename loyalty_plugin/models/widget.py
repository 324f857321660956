"""How a shop's storefront widget looks and where it may be embedded."""
from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, str_enum, utcnow

DEFAULT_PRIMARY_COLOR = "#3b5bdb"
# Languages the storefront widget is translated into.
WIDGET_LOCALES = ("en", "fr", "de", "es")


class LauncherPosition(str, enum.Enum):
    BOTTOM_RIGHT = "bottom_right"
    BOTTOM_LEFT = "bottom_left"


class WidgetSettings(Base):
    """One row per shop; a shop without one gets the defaults.

    ``locale`` None means "follow the storefront page's language".
    ``storefront_origins`` are extra origins (beyond ``https://<shop domain>``)
    whose pages may call the widget API: a custom domain, a staging theme.
    """

    __tablename__ = "widget_settings"

    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"), primary_key=True)
    primary_color: Mapped[str] = mapped_column(String(7), default=DEFAULT_PRIMARY_COLOR)
    launcher_position: Mapped[LauncherPosition] = mapped_column(
        str_enum(LauncherPosition), default=LauncherPosition.BOTTOM_RIGHT)
    launcher_text: Mapped[str | None] = mapped_column(String(40))
    locale: Mapped[str | None] = mapped_column(String(8))
    storefront_origins: Mapped[list] = mapped_column(JSON, default=list)
    sign_in_url: Mapped[str | None] = mapped_column(String(500))
    sign_up_url: Mapped[str | None] = mapped_column(String(500))
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class RateCounter(Base):
    """Requests one subject made in one fixed window; rows of past windows are pruned."""

    __tablename__ = "rate_counters"

    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"), primary_key=True)
    subject: Mapped[str] = mapped_column(String(160), primary_key=True)
    window_start: Mapped[dt.datetime] = mapped_column(primary_key=True)
    hits: Mapped[int] = mapped_column(default=0)
