"""A shop's customer emails: whether to send them, from whom, and its own templates."""
from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import JSON, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, BigId, str_enum, utcnow


class EmailKind(str, enum.Enum):
    POINTS_EARNED = "points_earned"
    REWARD_ISSUED = "reward_issued"
    POINTS_EXPIRING = "points_expiring"
    TIER_UP = "tier_up"
    TIER_DOWNGRADE_WARNING = "tier_downgrade_warning"


class EmailSettings(Base):
    __tablename__ = "email_settings"

    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"), primary_key=True)
    enabled: Mapped[bool] = mapped_column(default=False)
    from_address: Mapped[str | None] = mapped_column(String(320))
    from_name: Mapped[str | None] = mapped_column(String(100))
    locale: Mapped[str] = mapped_column(String(8), default="en")
    # EmailKind values the shop sends; the others are never mailed.
    kinds: Mapped[list] = mapped_column(JSON, default=list)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class EmailTemplate(Base):
    """The shop's own wording for one kind of email in one language."""

    __tablename__ = "email_templates"
    __table_args__ = (UniqueConstraint("shop_id", "kind", "locale"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    kind: Mapped[EmailKind] = mapped_column(str_enum(EmailKind))
    locale: Mapped[str] = mapped_column(String(8))
    subject: Mapped[str] = mapped_column(String(200))
    text: Mapped[str] = mapped_column(Text)
    html: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
