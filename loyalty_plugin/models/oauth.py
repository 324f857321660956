"""OAuth ``state`` values already spent on an install callback."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base


class UsedOAuthState(Base):
    """The state itself is signed and short-lived; this row makes it single use.

    Only its SHA-256 is kept. Rows older than the state's lifetime are useless (the
    signature has expired too) and are dropped as new ones arrive.
    """

    __tablename__ = "used_oauth_states"

    state_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    shop_domain: Mapped[str] = mapped_column(String(255))
    used_at: Mapped[dt.datetime] = mapped_column(index=True)
