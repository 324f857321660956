"""The rewards catalog, and the discount codes customers turn points into."""
from __future__ import annotations

import datetime as dt
import enum
from decimal import Decimal

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, BigId, str_enum, utcnow


class RewardKind(str, enum.Enum):
    FIXED_AMOUNT = "fixed_amount"    # value is money off the order
    PERCENTAGE = "percentage"        # value is a percentage off the order
    FREE_SHIPPING = "free_shipping"
    FREE_PRODUCT = "free_product"    # product_variant_id is free
    VARIABLE = "variable"            # points_cost points buy value off, in steps


class CodeStatus(str, enum.Enum):
    PENDING = "pending"      # points taken, the platform has not confirmed the code yet
    ISSUED = "issued"
    USED = "used"
    EXPIRED = "expired"
    CANCELLED = "cancelled"  # revoked by the shop; points returned
    FAILED = "failed"        # the platform refused or timed out; points returned


class CodeOrigin(str, enum.Enum):
    REDEMPTION = "redemption"  # bought with points
    TIER_ENTRY = "tier_entry"  # given on reaching a tier
    REFERRAL = "referral"      # a referred friend's welcome code
    ADMIN = "admin"            # granted by the shop


class Reward(Base):
    """What a customer can redeem. Archived rather than deleted: codes refer to it."""

    __tablename__ = "rewards"
    __table_args__ = (
        CheckConstraint("points_cost > 0", name="points_cost_positive"),
        CheckConstraint("value >= 0", name="value_nonnegative"),
        CheckConstraint("validity_days > 0", name="validity_days_positive"),
        Index("ix_rewards_shop_active", "shop_id", "active"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(100))
    description: Mapped[str | None] = mapped_column(Text)
    kind: Mapped[RewardKind] = mapped_column(str_enum(RewardKind))
    # For a variable reward: the points of one step, which buys ``value``.
    points_cost: Mapped[int] = mapped_column(BigInteger)
    value: Mapped[Decimal] = mapped_column(default=Decimal("0"))
    # Bounds of a variable reward, in points (multiples of points_cost).
    min_points: Mapped[int | None] = mapped_column(BigInteger)
    max_points: Mapped[int | None] = mapped_column(BigInteger)
    product_variant_id: Mapped[str | None] = mapped_column(String(64))
    min_order_subtotal: Mapped[Decimal] = mapped_column(default=Decimal("0"))
    validity_days: Mapped[int] = mapped_column(default=30)
    required_tier_id: Mapped[int | None] = mapped_column(ForeignKey("tiers.id"))
    per_customer_limit: Mapped[int | None]
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    archived_at: Mapped[dt.datetime | None]


class RewardCode(Base):
    """A single-use discount code a customer bought with points."""

    __tablename__ = "reward_codes"
    __table_args__ = (
        UniqueConstraint("shop_id", "code"),
        CheckConstraint("points_spent >= 0", name="points_spent_nonnegative"),
        Index("ix_reward_codes_account_id_desc", "account_id", "id"),
        Index("ix_reward_codes_shop_status", "shop_id", "status", "expires_at"),
        # Reports: redemptions by when they were made, code revenue by when it was used.
        Index("ix_reward_codes_shop_created", "shop_id", "created_at"),
        Index("ix_reward_codes_shop_used", "shop_id", "used_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    account_id: Mapped[int] = mapped_column(ForeignKey("customer_accounts.id", ondelete="CASCADE"))
    reward_id: Mapped[int] = mapped_column(ForeignKey("rewards.id"), index=True)
    code: Mapped[str] = mapped_column(String(64))
    status: Mapped[CodeStatus] = mapped_column(str_enum(CodeStatus), default=CodeStatus.PENDING)
    origin: Mapped[CodeOrigin] = mapped_column(str_enum(CodeOrigin), default=CodeOrigin.REDEMPTION)
    # Copied from the reward when redeemed: later catalog edits do not change a code.
    kind: Mapped[RewardKind] = mapped_column(str_enum(RewardKind))
    value: Mapped[Decimal] = mapped_column(default=Decimal("0"))
    min_order_subtotal: Mapped[Decimal] = mapped_column(default=Decimal("0"))
    product_variant_id: Mapped[str | None] = mapped_column(String(64))
    points_spent: Mapped[int] = mapped_column(BigInteger)
    # The redemption's debit; None for a code given without spending points.
    debit_entry_id: Mapped[int | None] = mapped_column(BigInteger)
    refund_entry_id: Mapped[int | None] = mapped_column(BigInteger)
    provider: Mapped[str] = mapped_column(String(32))
    platform_ref: Mapped[str | None] = mapped_column(String(255))
    failure: Mapped[str | None] = mapped_column(Text)
    expires_at: Mapped[dt.datetime]
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    issued_at: Mapped[dt.datetime | None]
    used_at: Mapped[dt.datetime | None]
    cancelled_at: Mapped[dt.datetime | None]
    used_order_id: Mapped[str | None] = mapped_column(String(64))
    order_revenue: Mapped[Decimal | None]
