"""A platform order as the program knows it, and the refunds seen against it."""
from __future__ import annotations

import datetime as dt
import enum
from decimal import Decimal

from sqlalchemy import BigInteger, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, BigId, str_enum, utcnow


class OrderStatus(str, enum.Enum):
    OPEN = "open"            # seen, not (yet) eligible
    AWARDED = "awarded"      # points earned
    SKIPPED = "skipped"      # will never earn: see skip_reason
    CANCELLED = "cancelled"


class Order(Base):
    __tablename__ = "orders"
    __table_args__ = (
        UniqueConstraint("shop_id", "platform_order_id"),
        # Reports over a shop's orders by date.
        Index("ix_orders_shop_created", "shop_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    platform_order_id: Mapped[str] = mapped_column(String(64))
    account_id: Mapped[int | None] = mapped_column(
        ForeignKey("customer_accounts.id", ondelete="SET NULL"), index=True)
    name: Mapped[str | None] = mapped_column(String(64))
    currency: Mapped[str | None] = mapped_column(String(3))
    items_amount: Mapped[Decimal] = mapped_column(default=Decimal("0"))
    shipping_amount: Mapped[Decimal] = mapped_column(default=Decimal("0"))
    tax_amount: Mapped[Decimal] = mapped_column(default=Decimal("0"))
    is_paid: Mapped[bool] = mapped_column(default=False)
    is_fulfilled: Mapped[bool] = mapped_column(default=False)
    is_cancelled: Mapped[bool] = mapped_column(default=False)
    is_test: Mapped[bool] = mapped_column(default=False)
    # False while only a refund has mentioned this order.
    snapshot_seen: Mapped[bool] = mapped_column(default=False)
    status: Mapped[OrderStatus] = mapped_column(str_enum(OrderStatus), default=OrderStatus.OPEN)
    skip_reason: Mapped[str | None] = mapped_column(String(255))
    # Fixed when points are awarded; refunds are measured against it.
    earn_base: Mapped[Decimal | None]
    base_includes_shipping: Mapped[bool | None]
    base_includes_taxes: Mapped[bool | None]
    # Not a foreign key: entries already point at their order, and a cycle of
    # foreign keys would make the schema order-dependent.
    earn_entry_id: Mapped[int | None] = mapped_column(BigInteger)
    points_awarded: Mapped[int] = mapped_column(BigInteger, default=0)
    points_reversed: Mapped[int] = mapped_column(BigInteger, default=0)
    refunded_base: Mapped[Decimal] = mapped_column(default=Decimal("0"))
    platform_updated_at: Mapped[dt.datetime | None]
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class OrderRefund(Base):
    __tablename__ = "order_refunds"
    __table_args__ = (UniqueConstraint("shop_id", "platform_refund_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    platform_refund_id: Mapped[str] = mapped_column(String(64))
    items_amount: Mapped[Decimal] = mapped_column(default=Decimal("0"))
    shipping_amount: Mapped[Decimal] = mapped_column(default=Decimal("0"))
    tax_amount: Mapped[Decimal] = mapped_column(default=Decimal("0"))
    # A refund whose money has not moved yet (pending transactions) waits.
    is_effective: Mapped[bool] = mapped_column(default=True)
    applied_at: Mapped[dt.datetime | None]
    base_amount: Mapped[Decimal | None]
    points_reversed: Mapped[int] = mapped_column(BigInteger, default=0)
    platform_created_at: Mapped[dt.datetime | None]
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
