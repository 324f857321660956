"""The inbox of authentic webhook deliveries, kept for dedupe, audit and replay."""
from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import JSON, ForeignKey, Index, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, BigId, str_enum, utcnow


class DeliveryStatus(str, enum.Enum):
    PROCESSED = "processed"  # applied; see ``note`` for what it did
    IGNORED = "ignored"      # authentic, nothing to do (unknown topic, test order, ...)
    REJECTED = "rejected"    # authentic but malformed; replaying will not help until fixed
    FAILED = "failed"        # unexpected error; the platform retries, or replay it


class InboundDelivery(Base):
    __tablename__ = "inbound_deliveries"
    __table_args__ = (
        UniqueConstraint("shop_id", "delivery_id"),
        Index("ix_inbound_deliveries_shop_status", "shop_id", "status", "id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    delivery_id: Mapped[str] = mapped_column(String(128))
    topic: Mapped[str] = mapped_column(String(64))
    status: Mapped[DeliveryStatus] = mapped_column(str_enum(DeliveryStatus))
    received_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    processed_at: Mapped[dt.datetime | None]
    attempts: Mapped[int] = mapped_column(default=1)
    note: Mapped[str | None] = mapped_column(Text)
    error: Mapped[str | None] = mapped_column(Text)
    # The exact bytes, so a replay verifies nothing again but parses what was sent.
    body: Mapped[bytes | None] = mapped_column(LargeBinary)
    # Non-secret headers the adapter needs to parse the body again.
    headers: Mapped[dict] = mapped_column(JSON, default=dict)
    account_id: Mapped[int | None] = mapped_column(
        ForeignKey("customer_accounts.id", ondelete="SET NULL"), index=True)
    platform_order_id: Mapped[str | None] = mapped_column(String(64))
