"""The shop owner's dashboard: its users and their one-time sign-in links."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, BigId, utcnow


class DashboardUser(Base):
    """Someone who may sign in to one shop's dashboard; email is unique within the shop.

    ``password_hash`` is werkzeug's salted hash, or None for a user who signs in only
    by one-time links. A signed session older than ``sessions_valid_after`` is refused,
    which is how signing out ends every session of the user.
    """

    __tablename__ = "dashboard_users"
    __table_args__ = (UniqueConstraint("shop_id", "email"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    email: Mapped[str] = mapped_column(String(320))
    password_hash: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    last_sign_in_at: Mapped[dt.datetime | None]
    sessions_valid_after: Mapped[dt.datetime | None]


class SignInLink(Base):
    """A one-time sign-in link; only the SHA-256 of its token is kept."""

    __tablename__ = "dashboard_sign_in_links"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("dashboard_users.id", ondelete="CASCADE"),
                                         index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[dt.datetime]
    used_at: Mapped[dt.datetime | None]
