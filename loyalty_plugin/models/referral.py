"""Referrals: a customer brings a friend; the referrer is rewarded once the friend has bought."""
from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import BigInteger, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, BigId, str_enum, utcnow
from .customer import CustomerAccount
from .order import Order
from .reward import RewardCode


class ReferralStatus(str, enum.Enum):
    PENDING = "pending"      # waiting for the friend's first qualifying order to settle
    COMPLETED = "completed"  # the referrer has been rewarded
    VOIDED = "voided"        # cancelled by the shop; a completed one's reward was taken back
    REJECTED = "rejected"    # refused when recorded, or the friend's order fell through


class ReferralReason(str, enum.Enum):
    """Why a referral was rejected; each is also the API's error code."""

    SELF_REFERRAL = "self_referral"
    FRIEND_NOT_NEW = "friend_not_new"
    LIMIT_REACHED = "referral_limit_reached"
    ORDER_REFUNDED = "order_refunded"
    ORDER_CANCELLED = "order_cancelled"


# Only one referral of a friend can be alive; rejected attempts do not count.
LIVE_REFERRAL = text("status <> 'rejected'")


class Referral(Base):
    __tablename__ = "referrals"
    __table_args__ = (
        Index("uq_referrals_shop_friend", "shop_id", "friend_identity", unique=True,
              sqlite_where=LIVE_REFERRAL, postgresql_where=LIVE_REFERRAL),
        Index("ix_referrals_shop_status", "shop_id", "status", "id"),
        Index("ix_referrals_referrer_created", "referrer_account_id", "created_at"),
        Index("ix_referrals_friend_account", "friend_account_id"),
        Index("ix_referrals_order", "order_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    referrer_account_id: Mapped[int] = mapped_column(
        ForeignKey("customer_accounts.id", ondelete="CASCADE"))
    # The friend's account, made for them if they had none (never for a rejected attempt).
    friend_account_id: Mapped[int | None] = mapped_column(
        ForeignKey("customer_accounts.id", ondelete="CASCADE"))
    friend_email: Mapped[str | None] = mapped_column(String(320))
    # The friend's mailbox (rules.referrals.email_identity): one live referral each.
    friend_identity: Mapped[str | None] = mapped_column(String(320))
    friend_external_id: Mapped[str | None] = mapped_column(String(64))
    friend_address_digest: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[ReferralStatus] = mapped_column(str_enum(ReferralStatus))
    reason: Mapped[ReferralReason | None] = mapped_column(str_enum(ReferralReason))
    # The shop's words when voiding.
    note: Mapped[str | None] = mapped_column(Text)
    # The friend's first awarded order, whose settling completes the referral.
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id", ondelete="SET NULL"))
    referrer_points: Mapped[int] = mapped_column(BigInteger, default=0)
    referrer_entry_id: Mapped[int | None] = mapped_column(BigInteger)
    clawback_entry_id: Mapped[int | None] = mapped_column(BigInteger)
    # The friend's welcome code, and the referrer's code when the shop rewards with one.
    welcome_code_id: Mapped[int | None] = mapped_column(BigInteger)
    referrer_code_id: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    linked_at: Mapped[dt.datetime | None]
    completed_at: Mapped[dt.datetime | None]
    closed_at: Mapped[dt.datetime | None]

    referrer: Mapped[CustomerAccount] = relationship(foreign_keys=[referrer_account_id])
    order: Mapped[Order | None] = relationship()
    welcome_code: Mapped[RewardCode | None] = relationship(
        primaryjoin="RewardCode.id == foreign(Referral.welcome_code_id)", viewonly=True)
    referrer_code: Mapped[RewardCode | None] = relationship(
        primaryjoin="RewardCode.id == foreign(Referral.referrer_code_id)", viewonly=True)
