"""Importing customers with opening balances as one batch, and reverting a batch as a whole.

A file is checked whole before anything is applied (``check_file``). Applying then
goes by chunks, each in the caller's transaction: every line is recorded once per
(batch, line) with the ledger entry it made, whose idempotency key is
``import:<batch>:<line>``, so a chunk that runs twice applies nothing twice.

Opening balances are ledger entries of kind ``import``: a positive one is a lot
(expiring as the shop's policy says), a negative one a debit that goes into debt
when the shop allows a negative balance, else takes only what there is.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import BinaryIO

from sqlalchemy import case, select, update
from sqlalchemy.orm import Session

from ..errors import Conflict
from ..events import CustomerRef
from ..models import (CustomerAccount, EntryKind, EntrySource, ImportBatch, ImportRow, ImportStatus,
                      LedgerEntry, NegativeBalancePolicy, Shop)
from ..schemas.customer_csv import CustomerLine, RowProblem, parse_birthday, read_customer_csv
from . import birthdays, ledger
from .accounts import resolve_account
from .sql import insert_or_none

log = logging.getLogger(__name__)

MAX_PROBLEMS_KEPT = 1000


@dataclass
class FileCheck:
    """What a whole file would do, or everything wrong with it."""

    sha256: str = ""
    rows: int = 0
    points_credited: int = 0
    points_debited: int = 0
    birthdays: int = 0
    problem_count: int = 0
    problems: list[RowProblem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.problem_count == 0

    def add_problems(self, problems: Sequence[RowProblem]) -> None:
        self.problem_count += len(problems)
        room = MAX_PROBLEMS_KEPT - len(self.problems)
        self.problems.extend(problems[:max(room, 0)])


def check_file(open_file: Callable[[], BinaryIO], today: dt.date) -> FileCheck:
    """Read the whole file once: every bad row, duplicates across rows, totals and its digest."""
    check = FileCheck(sha256=file_sha256(open_file))
    seen_ids: dict[bytes, int] = {}
    seen_emails: dict[bytes, int] = {}
    with open_file() as stream:
        for parsed in read_customer_csv(stream, today):
            if isinstance(parsed, list):
                check.add_problems(parsed)
                continue
            duplicate = _duplicate(parsed, seen_ids, seen_emails)
            if duplicate:
                check.add_problems([duplicate])
                continue
            check.rows += 1
            check.points_credited += max(parsed.points, 0)
            check.points_debited += max(-parsed.points, 0)
            check.birthdays += parsed.birthday is not None
    if check.ok and check.rows == 0:
        check.add_problems([RowProblem(1, None, "the file has a header but no rows")])
    return check


def _duplicate(row: CustomerLine, ids: dict[bytes, int], emails: dict[bytes, int]) -> RowProblem | None:
    # Digests, not the values, so a file of millions of rows stays small in memory.
    if row.external_id is not None:
        key, seen, column = _digest(row.external_id), ids, "external_id"
    else:
        assert row.email is not None
        key, seen, column = _digest(row.email), emails, "email"
    first = seen.setdefault(key, row.line)
    if first != row.line:
        return RowProblem(row.line, column, f"the same customer as line {first}")
    return None


def _digest(value: str) -> bytes:
    return hashlib.blake2b(value.encode(), digest_size=12).digest()


def file_sha256(open_file: Callable[[], BinaryIO]) -> str:
    digest = hashlib.sha256()
    with open_file() as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def start_batch(session: Session, shop: Shop, *, filename: str, check: FileCheck,
                now: dt.datetime) -> tuple[ImportBatch, bool]:
    """A new batch for the file, or the unfinished one to resume; refused if already applied."""
    # One start at a time per shop, so the same file cannot become two batches at once
    # (NO KEY UPDATE: webhooks inserting rows that point at the shop do not wait).
    session.execute(select(Shop.id).where(Shop.id == shop.id).with_for_update(key_share=True))
    previous = session.execute(select(ImportBatch).where(
        ImportBatch.shop_id == shop.id, ImportBatch.file_sha256 == check.sha256,
        ImportBatch.status != ImportStatus.REVERTED).order_by(ImportBatch.id.desc()).limit(1)
    ).scalar_one_or_none()
    if previous is not None and previous.status in (ImportStatus.APPLIED, ImportStatus.REVERTING):
        raise Conflict(f"This file was imported already as batch {previous.id} "
                       f"({previous.status.value}); nothing was applied again.",
                       details={"batch_id": previous.id})
    if previous is not None:
        previous.status, previous.error = ImportStatus.APPLYING, None
        session.flush()
        return previous, True
    batch = ImportBatch(shop_id=shop.id, status=ImportStatus.APPLYING, filename=filename[:255],
                        file_sha256=check.sha256, rows_total=check.rows, created_at=now)
    session.add(batch)
    session.flush()
    log.info("import batch started shop=%s batch=%s rows=%s", shop.id, batch.id, check.rows)
    return batch, False


def apply_lines(session: Session, shop: Shop, batch_id: int, lines: Sequence[CustomerLine],
                now: dt.datetime) -> int:
    """Apply a chunk of lines; lines this batch applied before are skipped. Returns how many
    were applied now."""
    shortfall = (ledger.Shortfall.DEBT if shop.settings.negative_balance is NegativeBalancePolicy.ALLOW
                 else ledger.Shortfall.CLAMP)
    done = set(session.execute(select(ImportRow.line).where(
        ImportRow.batch_id == batch_id, ImportRow.line.in_([row.line for row in lines]))).scalars())
    applied = created = credited = debited = 0
    for row in lines:
        if row.line in done:
            continue
        ref = CustomerRef(platform_id=row.external_id, email=row.email, first_name=row.first_name,
                          last_name=row.last_name)
        account = resolve_account(session, shop, ref, now)
        assert account is not None  # every line has an external id or an email
        entry = _opening_balance(session, account.id, batch_id, row, shortfall, now)
        moved = entry.points if entry is not None else 0
        recorded = insert_or_none(session, ImportRow, dict(
            shop_id=shop.id, batch_id=batch_id, line=row.line, account_id=account.id,
            account_created=account.created_at == now, points=row.points, points_applied=moved,
            entry_id=entry.id if entry is not None else None,
            birthday_set_at=_set_birthday(session, shop, account, row, now)),
            conflict=["batch_id", "line"])
        if recorded is None:
            continue  # another run of this batch got here first; the ledger key kept it single
        applied += 1
        created += recorded.account_created
        credited += max(moved, 0)
        debited += max(-moved, 0)
    last = max(row.line for row in lines) if lines else 0
    session.execute(update(ImportBatch).where(ImportBatch.id == batch_id).values(
        rows_applied=ImportBatch.rows_applied + applied,
        accounts_created=ImportBatch.accounts_created + created,
        points_credited=ImportBatch.points_credited + credited,
        points_debited=ImportBatch.points_debited + debited,
        last_line=case((ImportBatch.last_line < last, last), else_=ImportBatch.last_line)))
    return applied


def _set_birthday(session: Session, shop: Shop, account: CustomerAccount, row: CustomerLine,
                  now: dt.datetime) -> dt.datetime | None:
    """The line's birthday for an account that has none; one the customer gave is kept.

    Like any new birthday it waits out the notice period before it first pays.
    """
    if row.birthday is None or account.birth_month is not None:
        return None
    year, month, day = parse_birthday(row.birthday)
    birthdays.set_birthday(session, shop, account, month=month, day=day, year=year, now=now)
    return now


def _opening_balance(session: Session, account_id: int, batch_id: int, row: CustomerLine,
                     shortfall: ledger.Shortfall, now: dt.datetime) -> LedgerEntry | None:
    if row.points == 0:
        return None
    common = dict(kind=EntryKind.IMPORT, source=EntrySource.IMPORT,
                  source_ref=f"{batch_id}:{row.line}", key=f"import:{batch_id}:{row.line}",
                  now=now, reason=f"Opening balance imported (batch {batch_id}, line {row.line})")
    if row.points > 0:
        return ledger.credit(session, account_id, points=row.points, **common)
    return ledger.debit(session, account_id, points=-row.points, shortfall=shortfall, **common)


def set_batch_status(session: Session, batch_id: int, status: ImportStatus, now: dt.datetime, *,
                     error: str | None = None) -> None:
    values: dict = {"status": status, "error": error[:2000] if error else None}
    if status is ImportStatus.APPLIED:
        values["applied_at"] = now
    if status is ImportStatus.REVERTED:
        values["reverted_at"] = now
    session.execute(update(ImportBatch).where(ImportBatch.id == batch_id).values(**values))


def list_batches(session: Session, shop_id: int, limit: int | None = None) -> list[ImportBatch]:
    """The shop's import batches, newest first."""
    stmt = select(ImportBatch).where(ImportBatch.shop_id == shop_id).order_by(ImportBatch.id.desc())
    return list(session.execute(stmt.limit(limit) if limit else stmt).scalars())
