"""A shop, its program settings and its admin API keys."""
from __future__ import annotations

import datetime as dt
import enum
from decimal import Decimal

from sqlalchemy import BigInteger, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..rules.earning import Rounding
from ..rules.expiry import ExpiryPolicy
from .base import Base, BigId, Rate, str_enum, utcnow
from .tier import DowngradePolicy, TierBasis, TierWindow


class Platform(str, enum.Enum):
    SHOPIFY = "shopify"
    WOOCOMMERCE = "woocommerce"
    BIGCOMMERCE = "bigcommerce"
    STRIPE = "stripe"
    CUSTOM = "custom"


class ShopStatus(str, enum.Enum):
    ACTIVE = "active"
    UNINSTALLED = "uninstalled"


class AwardOn(str, enum.Enum):
    PAID = "paid"
    FULFILLED = "fulfilled"


class NegativeBalancePolicy(str, enum.Enum):
    ALLOW = "allow"
    CLAMP = "clamp"


class ReferrerReward(str, enum.Enum):
    POINTS = "points"  # referral_points into the ledger
    REWARD = "reward"  # a code for the catalog reward referrer_reward_id


class ApiKeyScope(str, enum.Enum):
    READ_WRITE = "read_write"
    READ_ONLY = "read_only"


class Shop(Base):
    __tablename__ = "shops"
    __table_args__ = (UniqueConstraint("platform", "domain"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    platform: Mapped[Platform] = mapped_column(str_enum(Platform))
    domain: Mapped[str] = mapped_column(String(255))
    currency: Mapped[str] = mapped_column(String(3))
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    status: Mapped[ShopStatus] = mapped_column(str_enum(ShopStatus), default=ShopStatus.ACTIVE)
    webhook_secret: Mapped[str] = mapped_column(String(255))
    # Accepted beside the current secret while a rotation propagates.
    previous_webhook_secret: Mapped[str | None] = mapped_column(String(255))
    widget_secret: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    uninstalled_at: Mapped[dt.datetime | None]

    settings: Mapped[ProgramSettings] = relationship(back_populates="shop", lazy="joined",
                                                     cascade="all, delete-orphan")

    def webhook_secrets(self) -> list[str]:
        return [s for s in (self.webhook_secret, self.previous_webhook_secret) if s]


class ProgramSettings(Base):
    """Earning rules a shop runs; ``rule_version`` goes up on every change."""

    __tablename__ = "program_settings"

    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"), primary_key=True)
    points_per_unit: Mapped[Decimal] = mapped_column(Rate, default=Decimal("1"))
    rounding: Mapped[Rounding] = mapped_column(str_enum(Rounding), default=Rounding.FLOOR)
    include_shipping: Mapped[bool] = mapped_column(default=False)
    include_taxes: Mapped[bool] = mapped_column(default=False)
    min_order_amount: Mapped[Decimal] = mapped_column(default=Decimal("0"))
    award_on: Mapped[AwardOn] = mapped_column(str_enum(AwardOn), default=AwardOn.PAID)
    pending_days: Mapped[int] = mapped_column(default=0)
    skip_test_orders: Mapped[bool] = mapped_column(default=True)
    signup_bonus_points: Mapped[int] = mapped_column(default=0)
    negative_balance: Mapped[NegativeBalancePolicy] = mapped_column(
        str_enum(NegativeBalancePolicy), default=NegativeBalancePolicy.ALLOW)
    rule_version: Mapped[int] = mapped_column(default=1)
    tier_basis: Mapped[TierBasis] = mapped_column(str_enum(TierBasis), default=TierBasis.POINTS_EARNED)
    tier_window: Mapped[TierWindow] = mapped_column(str_enum(TierWindow), default=TierWindow.LIFETIME)
    tier_downgrade: Mapped[DowngradePolicy] = mapped_column(
        str_enum(DowngradePolicy), default=DowngradePolicy.REQUALIFY)
    tier_grace_days: Mapped[int] = mapped_column(default=0)
    # How many days before a status runs out a customer about to drop is warned; 0 warns nobody.
    tier_downgrade_notice_days: Mapped[int] = mapped_column(default=14)
    # Goes up whenever tiers change, so a batch re-evaluates every account behind it.
    tiers_version: Mapped[int] = mapped_column(default=1)
    code_prefix: Mapped[str | None] = mapped_column(String(12))
    expiry_policy: Mapped[ExpiryPolicy] = mapped_column(str_enum(ExpiryPolicy), default=ExpiryPolicy.NONE)
    expiry_days: Mapped[int] = mapped_column(default=365)
    # When the current policy was switched on: no lot's clock starts earlier.
    expiry_enabled_at: Mapped[dt.datetime | None]
    # Goes up on every policy change, so a batch re-stamps every account's open lots.
    expiry_version: Mapped[int] = mapped_column(default=1)
    # How many days before points expire the customer is reminded; 0 sends no reminder.
    expiry_warning_days: Mapped[int] = mapped_column(default=14)
    # Points on each birthday; 0 turns birthdays off.
    birthday_points: Mapped[int] = mapped_column(default=0)
    referrals_enabled: Mapped[bool] = mapped_column(default=False)
    # Points the referrer earns when a referral completes.
    referral_points: Mapped[int] = mapped_column(default=0)
    # At most ``referral_limit`` referrals per referrer in any ``referral_limit_days`` days.
    referral_limit: Mapped[int] = mapped_column(default=10)
    referral_limit_days: Mapped[int] = mapped_column(default=30)
    # Catalog rewards (not foreign keys, like Tier.entry_reward_id): rewards are archived, never
    # deleted, and are checked when these are set. The friend's welcome code; None gives none.
    welcome_reward_id: Mapped[int | None] = mapped_column(BigInteger)
    referrer_reward: Mapped[ReferrerReward] = mapped_column(
        str_enum(ReferrerReward), default=ReferrerReward.POINTS)
    referrer_reward_id: Mapped[int | None] = mapped_column(BigInteger)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    shop: Mapped[Shop] = relationship(back_populates="settings")


class ApiKey(Base):
    """An admin API key; only its SHA-256 is kept, the key is shown once."""

    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100), default="default")
    prefix: Mapped[str] = mapped_column(String(16))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    scope: Mapped[ApiKeyScope] = mapped_column(str_enum(ApiKeyScope), default=ApiKeyScope.READ_WRITE)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[dt.datetime | None]
