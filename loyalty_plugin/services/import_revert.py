"""Reverting an import batch: one compensating entry per applied line, never overspending.

A line that credited points is taken back with a debit of kind ``import_revert``,
from the imported lot first, then from the customer's other points. Points of the
lot that expired in the meantime are not taken again. Imported points the
customer has already spent cannot come back from the lot; what the account then
lacks follows the shop's negative-balance policy:

- ``allow``: the account goes into debt, which points earned later settle first;
- ``clamp``: only what the account holds is taken, the rest is forgiven.

Both are counted on the batch (``revert_debt``, ``revert_shortfall``). A line that
debited points gets them back with a credit. A birthday the import set is cleared unless
it was changed since. Accounts the import created stay.
"""
from __future__ import annotations

import datetime as dt
import logging

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from ..errors import Conflict, NotFound
from ..models import (EntryKind, EntrySource, ImportBatch, ImportRow, ImportStatus, LedgerEntry,
                      LotAllocation, NegativeBalancePolicy, Shop)
from . import birthdays, ledger

log = logging.getLogger(__name__)


def start_revert(session: Session, batch_id: int, shop_id: int | None) -> ImportBatch:
    stmt = select(ImportBatch).where(ImportBatch.id == batch_id).with_for_update()
    if shop_id is not None:
        stmt = stmt.where(ImportBatch.shop_id == shop_id)
    batch = session.execute(stmt).scalar_one_or_none()
    if batch is None:
        raise NotFound(f"No import batch {batch_id}" + (f" in shop {shop_id}." if shop_id else "."))
    if batch.status is ImportStatus.REVERTED:
        raise Conflict(f"Import batch {batch_id} was reverted already; nothing changed.")
    batch.status = ImportStatus.REVERTING
    session.flush()
    return batch


def revert_lines(session: Session, batch: ImportBatch, now: dt.datetime, limit: int = 500) -> int:
    """Revert up to ``limit`` lines not reverted yet, in file order; returns how many."""
    shop = session.get(Shop, batch.shop_id)
    assert shop is not None
    allow_debt = shop.settings.negative_balance is NegativeBalancePolicy.ALLOW
    rows = session.execute(select(ImportRow).where(
        ImportRow.batch_id == batch.id, ImportRow.reverted_at.is_(None))
        .order_by(ImportRow.line).limit(limit).with_for_update()).scalars().all()
    debt = shortfall = 0
    for row in rows:
        entry = session.get(LedgerEntry, row.entry_id) if row.entry_id is not None else None
        if entry is not None:
            revert, owed, forgiven = _compensate(session, batch.id, row, entry, allow_debt, now)
            row.revert_entry_id = revert.id if revert is not None else None
            debt += owed
            shortfall += forgiven
        if row.birthday_set_at is not None:
            _clear_imported_birthday(session, shop, row, now)
        row.reverted_at = now
    session.execute(update(ImportBatch).where(ImportBatch.id == batch.id).values(
        rows_reverted=ImportBatch.rows_reverted + len(rows),
        revert_debt=ImportBatch.revert_debt + debt,
        revert_shortfall=ImportBatch.revert_shortfall + shortfall))
    session.flush()
    return len(rows)


def _clear_imported_birthday(session: Session, shop: Shop, row: ImportRow, now: dt.datetime) -> None:
    account = ledger.lock_account(session, row.account_id)
    if account.birthday_set_at == row.birthday_set_at:
        birthdays.clear_birthday(session, shop, account, now)


def _compensate(session: Session, batch_id: int, row: ImportRow, entry: LedgerEntry,
                allow_debt: bool, now: dt.datetime) -> tuple[LedgerEntry | None, int, int]:
    """The compensating entry, the points it put into debt, and the points not taken back."""
    common = dict(kind=EntryKind.IMPORT_REVERT, source=EntrySource.IMPORT,
                  source_ref=f"{batch_id}:{row.line}", key=f"import-revert:{batch_id}:{row.line}",
                  now=now, reason=f"Import batch {batch_id} reverted (line {row.line})")
    if entry.points < 0:
        return ledger.credit(session, entry.account_id, points=-entry.points, **common), 0, 0
    ledger.expire_lots(session, entry.account_id, now)
    expired = _expired_part(session, entry.id)
    wanted = entry.points - expired
    if wanted <= 0:
        return None, 0, expired
    shortfall = ledger.Shortfall.DEBT if allow_debt else ledger.Shortfall.CLAMP
    revert = ledger.debit(session, entry.account_id, points=wanted, shortfall=shortfall,
                          preferred_lots=[entry.id], **common)
    taken = -revert.points if revert is not None else 0
    # Right after the insert, a debit's ``remaining`` is exactly the part taken as debt.
    owed = revert.remaining if revert is not None else 0
    return revert, owed, expired + (wanted - taken)


def _expired_part(session: Session, lot_id: int) -> int:
    return session.execute(
        select(func.coalesce(func.sum(LotAllocation.points), 0))
        .join(LedgerEntry, LedgerEntry.id == LotAllocation.debit_entry_id)
        .where(LotAllocation.lot_entry_id == lot_id, LedgerEntry.kind == EntryKind.EXPIRE)
    ).scalar_one()
