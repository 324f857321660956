"""A shop's platform API credentials; the secret parts are only ever stored encrypted."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, utcnow


class ShopCredentials(Base):
    """One row per shop. ``*_encrypted`` columns hold Fernet tokens, never plaintext.

    Which fields a platform needs: Shopify ``access_token`` (and ``api_version``;
    an app install adds ``refresh_token`` and the expiry times when the token
    expires); WooCommerce ``api_url``, ``consumer_key``, ``consumer_secret``;
    BigCommerce ``store_hash``, ``access_token`` and ``client_secret`` (webhook
    signatures); Stripe ``secret_key``. ``api_url`` also overrides any platform's
    API base.
    """

    __tablename__ = "shop_credentials"

    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"), primary_key=True)
    api_url: Mapped[str | None] = mapped_column(String(255))
    store_hash: Mapped[str | None] = mapped_column(String(64))
    api_version: Mapped[str | None] = mapped_column(String(32))
    access_token_encrypted: Mapped[str | None] = mapped_column(Text)
    consumer_key_encrypted: Mapped[str | None] = mapped_column(Text)
    consumer_secret_encrypted: Mapped[str | None] = mapped_column(Text)
    secret_key_encrypted: Mapped[str | None] = mapped_column(Text)
    client_secret_encrypted: Mapped[str | None] = mapped_column(Text)
    refresh_token_encrypted: Mapped[str | None] = mapped_column(Text)
    # None: the access token does not expire (or nobody told us when it does).
    access_token_expires_at: Mapped[dt.datetime | None]
    refresh_token_expires_at: Mapped[dt.datetime | None]
    # What the platform granted, comma-separated as it said.
    scopes: Mapped[str | None] = mapped_column(String(1024))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)
