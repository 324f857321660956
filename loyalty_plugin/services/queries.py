"""Read-side queries for the API: plain selects, nothing written."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, defer, selectinload

from ..models import DeliveryStatus, InboundDelivery, LedgerEntry, Referral, ReferralStatus


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


def list_deliveries(session: Session, *, shop_id: int, status: DeliveryStatus | None,
                    topic: str | None, limit: int, cursor: int | None
                    ) -> tuple[list[InboundDelivery], int | None]:
    """Inbound deliveries newest first, without loading their bodies; ``cursor`` as above."""
    stmt = (select(InboundDelivery).where(InboundDelivery.shop_id == shop_id)
            .options(defer(InboundDelivery.body), defer(InboundDelivery.headers))
            .order_by(InboundDelivery.id.desc()).limit(limit + 1))
    if status is not None:
        stmt = stmt.where(InboundDelivery.status == status)
    if topic is not None:
        stmt = stmt.where(InboundDelivery.topic == topic)
    if cursor is not None:
        stmt = stmt.where(InboundDelivery.id < cursor)
    rows = list(session.execute(stmt).scalars())
    next_cursor = rows[limit - 1].id if len(rows) > limit else None
    return rows[:limit], next_cursor
