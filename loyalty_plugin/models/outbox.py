"""The outbox: events written with the change they announce, and their deliveries.

An event row is inserted in the same transaction as the ledger entry or tier
change it describes, so a rolled-back change announces nothing and a committed
one is never lost. A job later fans each event out to one delivery per channel
and target, and sends those after commit.
"""
from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import JSON, ForeignKey, Index, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, BigId, str_enum, utcnow


class EventType(str, enum.Enum):
    POINTS_EARNED = "points.earned"
    POINTS_REVERSED = "points.reversed"
    POINTS_EXPIRED = "points.expired"
    POINTS_EXPIRING = "points.expiring"
    TIER_CHANGED = "tier.changed"
    TIER_DOWNGRADE_WARNING = "tier.downgrade_warning"
    REWARD_ISSUED = "reward.issued"
    REFERRAL_COMPLETED = "referral.completed"


class DeliveryChannel(str, enum.Enum):
    WEBHOOK = "webhook"
    EMAIL = "email"


class OutboundStatus(str, enum.Enum):
    PENDING = "pending"      # waiting for its next attempt (or a worker holds its lease)
    DELIVERED = "delivered"
    DEAD = "dead"            # out of attempts: listed as a dead letter until replayed


class OutboundEvent(Base):
    __tablename__ = "outbound_events"
    __table_args__ = (
        # One event per announced fact: a repeated emit for the same entry does nothing.
        UniqueConstraint("shop_id", "key"),
        Index("ix_outbound_events_unfanned", "id",
              sqlite_where=text("fanned_out_at IS NULL"), postgresql_where=text("fanned_out_at IS NULL")),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    type: Mapped[EventType] = mapped_column(str_enum(EventType))
    account_id: Mapped[int | None] = mapped_column(
        ForeignKey("customer_accounts.id", ondelete="SET NULL"), index=True)
    key: Mapped[str] = mapped_column(String(255))
    payload: Mapped[dict] = mapped_column(JSON)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    fanned_out_at: Mapped[dt.datetime | None]


class OutboundDelivery(Base):
    """One event to one target: a webhook endpoint, or the customer's inbox."""

    __tablename__ = "outbound_deliveries"
    __table_args__ = (
        UniqueConstraint("event_id", "endpoint_id"),
        Index("uq_outbound_deliveries_email", "event_id", unique=True,
              sqlite_where=text("channel = 'email'"), postgresql_where=text("channel = 'email'")),
        Index("ix_outbound_deliveries_due", "next_attempt_at",
              sqlite_where=text("status = 'pending'"), postgresql_where=text("status = 'pending'")),
        Index("ix_outbound_deliveries_shop_status", "shop_id", "status", "id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    event_id: Mapped[int] = mapped_column(ForeignKey("outbound_events.id", ondelete="CASCADE"))
    channel: Mapped[DeliveryChannel] = mapped_column(str_enum(DeliveryChannel))
    endpoint_id: Mapped[int | None] = mapped_column(
        ForeignKey("webhook_endpoints.id", ondelete="CASCADE"), index=True)
    recipient: Mapped[str | None] = mapped_column(String(320))
    status: Mapped[OutboundStatus] = mapped_column(str_enum(OutboundStatus), default=OutboundStatus.PENDING)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[dt.datetime]
    # A worker that claims the delivery holds it until leased_until; only the
    # holder of lease_token may record the outcome.
    lease_token: Mapped[str | None] = mapped_column(String(32))
    leased_until: Mapped[dt.datetime | None]
    last_status_code: Mapped[int | None]
    last_error: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    delivered_at: Mapped[dt.datetime | None]

    event: Mapped[OutboundEvent] = relationship()


class ExpiryReminder(Base):
    """A customer was told that points expire at ``expires_at``: once per date."""

    __tablename__ = "expiry_reminders"
    __table_args__ = (UniqueConstraint("account_id", "expires_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"), index=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("customer_accounts.id", ondelete="CASCADE"))
    expires_at: Mapped[dt.datetime]
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
