"""Read-side queries for the API: plain selects, nothing written."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from ..models import LedgerEntry, Referral, ReferralStatus


def list_activity(session: Session, *, shop_id: int, account_id: int, limit: int,
                  cursor: int | None) -> tuple[list[LedgerEntry], int | None]:
    """Entries newest first; ``cursor`` is the last id of the previous page."""
    stmt = (select(LedgerEntry).where(LedgerEntry.shop_id == shop_id,
                                      LedgerEntry.account_id == account_id)
            .order_by(LedgerEntry.id.desc()).limit(limit + 1))
    if cursor is not None:
        stmt = stmt.where(LedgerEntry.id < cursor)
    rows = list(session.execute(stmt).scalars())
    next_cursor = rows[limit - 1].id if len(rows) > limit else None
    return rows[:limit], next_cursor


def list_referrals(session: Session, *, shop_id: int, status: ReferralStatus | None, limit: int,
                   cursor: int | None) -> tuple[list[Referral], int | None]:
    """Referrals newest first, optionally of one status; ``cursor`` as in ``list_activity``."""
    stmt = (select(Referral).where(Referral.shop_id == shop_id)
            .options(selectinload(Referral.referrer), selectinload(Referral.order))
            .order_by(Referral.id.desc()).limit(limit + 1))
    if status is not None:
        stmt = stmt.where(Referral.status == status)
    if cursor is not None:
        stmt = stmt.where(Referral.id < cursor)
    rows = list(session.execute(stmt).scalars())
    next_cursor = rows[limit - 1].id if len(rows) > limit else None
    return rows[:limit], next_cursor
