"""Read-side queries for the API: plain selects, nothing written."""
from __future__ import annotations

from typing import Any

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session, defer, selectinload

from ..models import (CustomerAccount, DeliveryStatus, InboundDelivery, LedgerEntry, Referral,
                      ReferralStatus)

def newest_first(session: Session, stmt: Select, id_column: Any, *, limit: int,
                 cursor: int | None) -> tuple[list[Any], int | None]:
    """One page of ``stmt``'s rows, newest id first, and the cursor of the next page (the
    last id of this one; None on the last page). ``cursor`` is the last id of the previous
    page."""
    stmt = stmt.order_by(id_column.desc()).limit(limit + 1)
    if cursor is not None:
        stmt = stmt.where(id_column < cursor)
    rows = list(session.execute(stmt).scalars())
    return rows[:limit], rows[limit - 1].id if len(rows) > limit else None


def list_activity(session: Session, *, shop_id: int, account_id: int, limit: int,
                  cursor: int | None) -> tuple[list[LedgerEntry], int | None]:
    """Entries newest first; ``cursor`` is the last id of the previous page."""
    stmt = select(LedgerEntry).where(LedgerEntry.shop_id == shop_id,
                                     LedgerEntry.account_id == account_id)
    return newest_first(session, stmt, LedgerEntry.id, limit=limit, cursor=cursor)


def list_referrals(session: Session, *, shop_id: int, status: ReferralStatus | None, limit: int,
                   cursor: int | None) -> tuple[list[Referral], int | None]:
    """Referrals newest first, optionally of one status; ``cursor`` as in ``list_activity``."""
    stmt = (select(Referral).where(Referral.shop_id == shop_id)
            .options(selectinload(Referral.referrer), selectinload(Referral.order)))
    if status is not None:
        stmt = stmt.where(Referral.status == status)
    return newest_first(session, stmt, Referral.id, limit=limit, cursor=cursor)


def list_deliveries(session: Session, *, shop_id: int, status: DeliveryStatus | None,
                    topic: str | None, limit: int, cursor: int | None
                    ) -> tuple[list[InboundDelivery], int | None]:
    """Inbound deliveries newest first, without loading their bodies; ``cursor`` as above."""
    stmt = (select(InboundDelivery).where(InboundDelivery.shop_id == shop_id)
            .options(defer(InboundDelivery.body), defer(InboundDelivery.headers)))
    if status is not None:
        stmt = stmt.where(InboundDelivery.status == status)
    if topic is not None:
        stmt = stmt.where(InboundDelivery.topic == topic)
    return newest_first(session, stmt, InboundDelivery.id, limit=limit, cursor=cursor)


def search_customers(session: Session, *, shop_id: int, q: str | None, limit: int,
                     cursor: int | None) -> tuple[list[CustomerAccount], int | None]:
    """Customers newest first; ``q`` is an exact external id, the start of an email, or part
    of a name, case-insensitively. Guests merged into a registered account are left out.
    ``cursor`` as in ``list_activity``."""
    stmt = select(CustomerAccount).where(CustomerAccount.shop_id == shop_id,
                                         CustomerAccount.merged_into_id.is_(None))
    if q:
        words = _like(q.strip().lower())
        full_name = func.lower(func.coalesce(CustomerAccount.first_name, "") + " "
                               + func.coalesce(CustomerAccount.last_name, ""))
        stmt = stmt.where(or_(CustomerAccount.platform_customer_id == q.strip(),
                              CustomerAccount.email.like(f"{words}%", escape="\\"),
                              full_name.like(f"%{words}%", escape="\\")))
    return newest_first(session, stmt, CustomerAccount.id, limit=limit, cursor=cursor)


def _like(text: str) -> str:
    """``text`` matched literally inside a LIKE pattern."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
