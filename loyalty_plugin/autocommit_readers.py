"""PostgreSQL connections in autocommit for reads that stand alone, kept between requests.

Lending a connection from the engine's pool, switching it to autocommit, then back,
and resetting it on return cost a signed-in storefront summary about a tenth of its
CPU. A connection given back here stays in autocommit, ready for the next request's
reads.

While kept here a connection still counts as lent by the pool, so this holds at most
as many as were ever reading at once: one per sync worker. One that broke, that was
left in any state but idle (a transaction open on the server or in SQLAlchemy), or
that was kept longer than ``RECYCLE_SECONDS`` goes back to the pool, which closes or
resets it, and the next read borrows afresh.
"""
from __future__ import annotations

import time
import weakref
from collections.abc import Callable

from sqlalchemy import Engine
from sqlalchemy.engine import Connection

# Well under the pool's recycle time: a kept connection is not checked out again,
# so the pool never gets to judge its age.
RECYCLE_SECONDS = 600.0
_KEEP_UNTIL = "loyalty_reader_keep_until"
_IDLE = 0  # libpq's PQTRANSACTION_IDLE, as psycopg and psycopg2 both report it


class AutocommitReaders:
    """The autocommit connections of one engine, lent one request at a time."""

    def __init__(self, engine: Engine, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.engine = engine
        self.clock = clock
        # list.append and list.pop are atomic: threads never share a connection.
        self._idle: list[Connection] = []
        # A Database dropped without close(), and the process's exit, still hand them back.
        self._finalizer = weakref.finalize(self, _give_back_all, self._idle)

    def borrow(self) -> Connection:
        try:
            return self._idle.pop()
        except IndexError:
            pass
        connection = _borrow(self.engine)
        connection.info[_KEEP_UNTIL] = self.clock() + RECYCLE_SECONDS
        return connection

    def give_back(self, connection: Connection) -> None:
        """Keep ``connection`` for the next read while it is idle, usable and young; else back to the pool."""
        if _reusable(connection) and connection.info.get(_KEEP_UNTIL, 0.0) > self.clock():
            self._idle.append(connection)
        else:
            _give_back(connection)

    def close(self) -> None:
        """Hand every kept connection back to the pool."""
        _give_back_all(self._idle)

    def __len__(self) -> int:
        return len(self._idle)


def _borrow(engine: Engine) -> Connection:
    connection = engine.connect()
    try:
        connection.connection.driver_connection.autocommit = True
    except BaseException:
        connection.invalidate()
        connection.close()
        raise
    return connection


def _reusable(connection: Connection) -> bool:
    # A transaction begun through SQLAlchemy (Connection.execute autobegins one) would
    # make the next request's statements look transactional: savepoints among them.
    if connection.closed or connection.invalidated or connection.in_transaction():
        return False
    driver = connection.connection.driver_connection
    return not driver.closed and driver.info.transaction_status == _IDLE


def _give_back(connection: Connection) -> None:
    # The pool lends connections with transactions: one that cannot be switched back
    # (broken, or left in a transaction by a failure) leaves the pool.
    if connection.closed:
        return
    try:
        connection.connection.driver_connection.autocommit = False
    except Exception:
        connection.invalidate()
    connection.close()


def _give_back_all(idle: list[Connection]) -> None:
    while idle:
        try:
            connection = idle.pop()
        except IndexError:
            return
        try:
            _give_back(connection)
        except Exception:  # at exit, a pool already gone must not stop the rest
            pass
