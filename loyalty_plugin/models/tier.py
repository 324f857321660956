"""VIP tiers a shop defines, and the history of every customer's moves between them."""
from __future__ import annotations

import datetime as dt
import enum
from decimal import Decimal

from sqlalchemy import JSON, BigInteger, CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from ..rules.tiers import DowngradePolicy, TierBasis, TierWindow
from .base import Base, BigId, Rate, str_enum, utcnow

__all__ = ["DowngradePolicy", "Tier", "TierBasis", "TierChange", "TierChangeReason", "TierWindow"]


class TierChangeReason(str, enum.Enum):
    PROMOTION = "promotion"        # progress reached a higher threshold
    REVERSAL = "reversal"          # a refund or cancellation took progress below the threshold
    WINDOW_END = "window_end"      # the status ran out and was re-evaluated
    REEVALUATION = "reevaluation"  # the shop changed its tiers


class Tier(Base):
    """A tier is reached when progress meets ``threshold``; tiers rank by threshold.

    Tiers are archived rather than deleted, so history keeps pointing at them.
    """

    __tablename__ = "tiers"
    __table_args__ = (
        CheckConstraint("threshold >= 0", name="threshold_nonnegative"),
        CheckConstraint("multiplier > 0", name="multiplier_positive"),
        CheckConstraint("entry_bonus_points >= 0", name="entry_bonus_nonnegative"),
        Index("ix_tiers_shop_threshold", "shop_id", "threshold"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(100))
    threshold: Mapped[Decimal]
    multiplier: Mapped[Decimal] = mapped_column(Rate, default=Decimal("1"))
    entry_bonus_points: Mapped[int] = mapped_column(BigInteger, default=0)
    # Not a foreign key: rewards already point at tiers (required_tier_id), and a cycle
    # of foreign keys cannot be created on SQLite. Rewards are archived, never deleted.
    entry_reward_id: Mapped[int | None] = mapped_column(BigInteger)
    perks: Mapped[list] = mapped_column(JSON, default=list)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    archived_at: Mapped[dt.datetime | None]


class TierChange(Base):
    """One move of one customer; names and thresholds are copied so it reads the same later."""

    __tablename__ = "tier_changes"
    __table_args__ = (Index("ix_tier_changes_account_id_desc", "account_id", "id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    account_id: Mapped[int] = mapped_column(ForeignKey("customer_accounts.id", ondelete="CASCADE"))
    from_tier_id: Mapped[int | None] = mapped_column(ForeignKey("tiers.id"))
    to_tier_id: Mapped[int | None] = mapped_column(ForeignKey("tiers.id"))
    from_name: Mapped[str | None] = mapped_column(String(100))
    to_name: Mapped[str | None] = mapped_column(String(100))
    to_threshold: Mapped[Decimal | None]
    reason: Mapped[TierChangeReason] = mapped_column(str_enum(TierChangeReason))
    basis: Mapped[TierBasis] = mapped_column(str_enum(TierBasis))
    window: Mapped[TierWindow] = mapped_column(str_enum(TierWindow))
    progress: Mapped[Decimal]
    window_start: Mapped[dt.datetime | None]
    # The ledger entry of the entry bonus this promotion paid, if any.
    bonus_entry_id: Mapped[int | None] = mapped_column(BigInteger)
    # The code of the tier's entry reward this promotion granted, if any.
    entry_code_id: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
