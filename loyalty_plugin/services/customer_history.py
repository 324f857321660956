"""A customer's ledger as the dashboard explains it: each entry with the order it came
from and the balance right after it. Read-only."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..models import CustomerAccount, LedgerEntry, Order, Tier
from .queries import list_activity


@dataclass(frozen=True)
class HistoryLine:
    entry: LedgerEntry
    order: Order | None
    balance_after: int  # available plus pending, once this entry was made


def history_page(session: Session, account: CustomerAccount, *, limit: int,
                 cursor: int | None) -> tuple[list[HistoryLine], int | None]:
    """Entries newest first (``cursor`` as in ``list_activity``), each explained."""
    entries, next_cursor = list_activity(session, shop_id=account.shop_id, account_id=account.id,
                                         limit=limit, cursor=cursor)
    order_ids = {e.order_id for e in entries if e.order_id is not None}
    orders = {o.id: o for o in session.execute(select(Order).where(
        Order.shop_id == account.shop_id, Order.id.in_(order_ids))).scalars()} if order_ids else {}
    balance = account.available + account.pending
    if cursor is not None:
        balance -= session.execute(select(func.coalesce(func.sum(LedgerEntry.points), 0)).where(
            LedgerEntry.account_id == account.id, LedgerEntry.id >= cursor)).scalar_one()
    lines = []
    for entry in entries:
        lines.append(HistoryLine(entry, orders.get(entry.order_id) if entry.order_id else None, balance))
        balance -= entry.points
    return lines, next_cursor


def tier_of(session: Session, account: CustomerAccount) -> Tier | None:
    return session.get(Tier, account.tier_id) if account.tier_id is not None else None
