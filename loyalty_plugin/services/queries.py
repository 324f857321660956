"""Read-side queries for the API: plain selects, nothing written."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import LedgerEntry


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
