"""Running an import or a revert over a whole batch, committing one chunk at a time.

From the shop owner's point of view a batch is all or nothing: the file is
checked whole before the first chunk, and a run that stops part-way leaves the
batch ``applying`` (or ``failed``, with the error): running the same file again
resumes it after its last committed line, and ``loyalty import revert`` takes
back whatever it applied so far. Iterating a run does the work, one item per
line, so a progress bar can wrap it.
"""
from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterator
from typing import BinaryIO

from ..db import Database
from ..errors import Conflict, NotFound
from ..models import ImportBatch, ImportStatus, utcnow
from ..schemas.customer_csv import CustomerLine, read_customer_csv
from ..services.import_revert import revert_lines, start_revert
from ..services.imports import FileCheck, apply_lines, set_batch_status, start_batch
from ..services.shops import get_shop

log = logging.getLogger(__name__)

CHUNK_SIZE = 500


class CustomerImport:
    def __init__(self, db: Database, shop_id: int, open_file: Callable[[], BinaryIO], *,
                 filename: str, check: FileCheck, chunk_size: int = CHUNK_SIZE,
                 clock: Callable[[], dt.datetime] = utcnow) -> None:
        if not check.ok:
            raise ValueError("only a file that passed check_file can be imported")
        self.db, self.shop_id, self.open_file = db, shop_id, open_file
        self.filename, self.check, self.chunk_size, self.clock = filename, check, chunk_size, clock
        self.batch_id: int | None = None
        self.resumed = False

    def __iter__(self) -> Iterator[int]:
        with self.db.transaction() as session:
            shop = get_shop(session, self.shop_id)
            if shop is None:
                raise NotFound(f"No shop with id {self.shop_id}.")
            batch, self.resumed = start_batch(session, shop, filename=self.filename,
                                              check=self.check, now=self.clock())
            self.batch_id, done_up_to = batch.id, batch.last_line
        try:
            chunk: list[CustomerLine] = []
            with self.open_file() as stream:
                for parsed in read_customer_csv(stream, self.clock().date()):
                    if not isinstance(parsed, CustomerLine):
                        raise Conflict("The file changed since it was checked; check it again.")
                    if parsed.line > done_up_to:
                        chunk.append(parsed)
                    if len(chunk) >= self.chunk_size:
                        yield from self._apply(chunk)
                        chunk = []
                    elif parsed.line <= done_up_to:
                        yield parsed.line
            yield from self._apply(chunk)
        except Exception as exc:
            self._finish(ImportStatus.FAILED, f"{type(exc).__name__}: {exc}")
            raise
        self._finish(ImportStatus.APPLIED)

    def _apply(self, chunk: list[CustomerLine]) -> Iterator[int]:
        if not chunk:
            return
        with self.db.transaction() as session:
            shop = get_shop(session, self.shop_id)
            assert shop is not None and self.batch_id is not None
            apply_lines(session, shop, self.batch_id, chunk, self.clock())
        yield from (row.line for row in chunk)

    def _finish(self, status: ImportStatus, error: str | None = None) -> None:
        assert self.batch_id is not None
        with self.db.transaction() as session:
            set_batch_status(session, self.batch_id, status, self.clock(), error=error)
        log.info("import batch %s shop=%s batch=%s", status.value, self.shop_id, self.batch_id)

    def batch(self) -> ImportBatch:
        return load_batch(self.db, self.batch_id)


class BatchRevert:
    def __init__(self, db: Database, batch_id: int, *, shop_id: int | None = None,
                 chunk_size: int = CHUNK_SIZE, clock: Callable[[], dt.datetime] = utcnow) -> None:
        self.db, self.batch_id, self.shop_id = db, batch_id, shop_id
        self.chunk_size, self.clock = chunk_size, clock
        with db.transaction() as session:
            self.rows = start_revert(session, batch_id, shop_id).rows_applied

    def __iter__(self) -> Iterator[int]:
        while True:
            with self.db.transaction() as session:
                batch = session.get(ImportBatch, self.batch_id)
                assert batch is not None
                done = revert_lines(session, batch, self.clock(), self.chunk_size)
            yield from range(done)
            if done == 0:
                break
        with self.db.transaction() as session:
            set_batch_status(session, self.batch_id, ImportStatus.REVERTED, self.clock())
        log.info("import batch reverted batch=%s", self.batch_id)

    def batch(self) -> ImportBatch:
        return load_batch(self.db, self.batch_id)


def load_batch(db: Database, batch_id: int | None) -> ImportBatch:
    with db.transaction() as session:
        batch = session.get(ImportBatch, batch_id) if batch_id is not None else None
        if batch is None:
            raise NotFound(f"No import batch {batch_id}.")
        return batch
