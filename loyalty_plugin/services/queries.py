"""Read-side queries for the API: plain selects, nothing written."""
from __future__ import annotations

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, defer, selectinload

from ..models import (CustomerAccount, DeliveryStatus, InboundDelivery, LedgerEntry, Referral,
                      ReferralStatus)


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


def search_customers(session: Session, *, shop_id: int, q: str | None, limit: int,
                     cursor: int | None) -> tuple[list[CustomerAccount], int | None]:
    """Customers newest first; ``q`` is an exact external id, the start of an email, or part
    of a name, case-insensitively. Guests merged into a registered account are left out.
    ``cursor`` as in ``list_activity``."""
    stmt = (select(CustomerAccount).where(CustomerAccount.shop_id == shop_id,
                                          CustomerAccount.merged_into_id.is_(None))
            .order_by(CustomerAccount.id.desc()).limit(limit + 1))
    if q:
        words = _like(q.strip().lower())
        full_name = func.lower(func.coalesce(CustomerAccount.first_name, "") + " "
                               + func.coalesce(CustomerAccount.last_name, ""))
        stmt = stmt.where(or_(CustomerAccount.platform_customer_id == q.strip(),
                              CustomerAccount.email.like(f"{words}%", escape="\\"),
                              full_name.like(f"%{words}%", escape="\\")))
    if cursor is not None:
        stmt = stmt.where(CustomerAccount.id < cursor)
    rows = list(session.execute(stmt).scalars())
    next_cursor = rows[limit - 1].id if len(rows) > limit else None
    return rows[:limit], next_cursor


def _like(text: str) -> str:
    """``text`` matched literally inside a LIKE pattern."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
