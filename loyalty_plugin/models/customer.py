"""A customer's loyalty account in one shop, with its cached balances."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, ForeignKey, Index, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, BigId, utcnow


class CustomerAccount(Base):
    """Known by the platform's customer id, or (for guest orders) by normalised email.

    ``available``, ``pending`` and ``lifetime`` are caches of the ledger, changed
    only by the ledger service in the same transaction as the entries.
    """

    __tablename__ = "customer_accounts"
    __table_args__ = (
        UniqueConstraint("shop_id", "platform_customer_id"),
        # One guest account per email; registered accounts may share an email.
        Index("uq_customer_accounts_guest_email", "shop_id", "email", unique=True,
              sqlite_where=text("platform_customer_id IS NULL"),
              postgresql_where=text("platform_customer_id IS NULL")),
        Index("ix_customer_accounts_shop_email", "shop_id", "email"),
        UniqueConstraint("shop_id", "referral_code"),
        Index("ix_customer_accounts_birthday", "shop_id", "birth_month", "birth_day"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    platform_customer_id: Mapped[str | None] = mapped_column(String(64))
    email: Mapped[str | None] = mapped_column(String(320))
    first_name: Mapped[str | None] = mapped_column(String(255))
    last_name: Mapped[str | None] = mapped_column(String(255))
    available: Mapped[int] = mapped_column(BigInteger, default=0)
    pending: Mapped[int] = mapped_column(BigInteger, default=0)
    lifetime: Mapped[int] = mapped_column(BigInteger, default=0)
    tier_id: Mapped[int | None] = mapped_column(ForeignKey("tiers.id"))
    tier_since: Mapped[dt.datetime | None]
    # When the tier's status runs out and is evaluated again; None: it never does.
    tier_expires_at: Mapped[dt.datetime | None]
    # The shop's tiers_version this account was last evaluated against.
    tiers_version: Mapped[int] = mapped_column(default=0)
    # The shop's expiry_version this account's open lots were last stamped for.
    expiry_version: Mapped[int] = mapped_column(default=1)
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("customer_accounts.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    redacted_at: Mapped[dt.datetime | None]
    # The birthday (the year is optional); when it was last set or moved, and the
    # year of the last birthday paid, so a year is never paid twice.
    birth_month: Mapped[int | None]
    birth_day: Mapped[int | None]
    birth_year: Mapped[int | None]
    birthday_set_at: Mapped[dt.datetime | None]
    birthday_paid_year: Mapped[int | None]
    # Given on first use; see services.referrals.
    referral_code: Mapped[str | None] = mapped_column(String(16))


class CustomerAddress(Base):
    """A postal address a platform reported for a customer, kept only as a digest to compare."""

    __tablename__ = "customer_addresses"
    __table_args__ = (UniqueConstraint("account_id", "digest"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    account_id: Mapped[int] = mapped_column(ForeignKey("customer_accounts.id", ondelete="CASCADE"))
    digest: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
