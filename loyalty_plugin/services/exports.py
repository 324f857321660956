"""CSV exports of a shop's customers and of its ledger, streamed in constant memory.

Rows come through a server-side cursor (``yield_per``) and leave as CSV text a
few hundred rows at a time, so millions of rows never sit in memory. Text that
came from shoppers or platforms and that a spreadsheet would run as a formula
(starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return) is
prefixed with an apostrophe; numbers and times are the service's own and are
written as they are.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..models import CustomerAccount, LedgerEntry, Order, Tier

CUSTOMER_COLUMNS = ("account_id", "external_id", "email", "first_name", "last_name", "available",
                    "pending", "lifetime", "tier", "created_at")
LEDGER_COLUMNS = ("entry_id", "created_at", "account_id", "external_id", "kind", "status", "points",
                  "source", "source_ref", "order_id", "reason", "actor", "expires_at")
FETCH_SIZE = 1000
ROWS_PER_CHUNK = 500
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def customer_rows(session: Session, shop_id: int) -> Iterator[Sequence[Any]]:
    """Every account of the shop, oldest first; guest accounts merged into another are left out."""
    stmt = (select(CustomerAccount.id, CustomerAccount.platform_customer_id, CustomerAccount.email,
                   CustomerAccount.first_name, CustomerAccount.last_name, CustomerAccount.available,
                   CustomerAccount.pending, CustomerAccount.lifetime, Tier.name,
                   CustomerAccount.created_at)
            .outerjoin(Tier, Tier.id == CustomerAccount.tier_id)
            .where(CustomerAccount.shop_id == shop_id, CustomerAccount.merged_into_id.is_(None))
            .order_by(CustomerAccount.id))
    yield from session.execute(stmt.execution_options(yield_per=FETCH_SIZE))


def ledger_rows(session: Session, shop_id: int) -> Iterator[Sequence[Any]]:
    """Every ledger entry of the shop, in the order it was written."""
    stmt = (select(LedgerEntry.id, LedgerEntry.created_at, LedgerEntry.account_id,
                   CustomerAccount.platform_customer_id, LedgerEntry.kind, LedgerEntry.status,
                   LedgerEntry.points, LedgerEntry.source, LedgerEntry.source_ref,
                   Order.platform_order_id, LedgerEntry.reason, LedgerEntry.actor,
                   LedgerEntry.expires_at)
            .join(CustomerAccount, CustomerAccount.id == LedgerEntry.account_id)
            .outerjoin(Order, Order.id == LedgerEntry.order_id)
            .where(LedgerEntry.shop_id == shop_id)
            .order_by(LedgerEntry.id))
    yield from session.execute(stmt.execution_options(yield_per=FETCH_SIZE))


def customer_count(session: Session, shop_id: int) -> int:
    """How many rows ``customer_rows`` gives, for a progress bar."""
    return session.execute(select(func.count()).select_from(CustomerAccount).where(
        CustomerAccount.shop_id == shop_id, CustomerAccount.merged_into_id.is_(None))).scalar_one()


def ledger_count(session: Session, shop_id: int) -> int:
    """How many rows ``ledger_rows`` gives, for a progress bar."""
    return session.execute(select(func.count()).select_from(LedgerEntry).where(
        LedgerEntry.shop_id == shop_id)).scalar_one()


def csv_chunks(header: Sequence[str], rows: Iterable[Sequence[Any]],
               rows_per_chunk: int = ROWS_PER_CHUNK) -> Iterator[str]:
    """The header, then the rows, as CSV text (CRLF line ends) in chunks of ``rows_per_chunk``."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    count = 0
    for row in rows:
        writer.writerow([cell(value) for value in row])
        count += 1
        if count % rows_per_chunk == 0:
            yield _drain(buffer)
    if count == 0 or count % rows_per_chunk:
        yield _drain(buffer)


def cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.timezone.utc).isoformat()
    return neutralise(str(getattr(value, "value", value)))


def neutralise(text: str) -> str:
    """Text a spreadsheet would run as a formula, made plain text with a leading apostrophe."""
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def _drain(buffer: io.StringIO) -> str:
    text = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    return text
