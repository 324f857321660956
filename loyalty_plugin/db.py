"""Engine and sessions: built in ``init_app``, one session per request.

The request (or CLI command, or job) that opens a session owns its transaction:
services only flush, the entry point commits once or rolls back.
"""
from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any, cast

from flask import Flask, Response, current_app, g, request
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import StaticPool
from werkzeug.local import LocalProxy

from .autocommit_readers import AutocommitReaders

EXTENSION_KEY = "loyalty_db"


def make_engine(url: str, *, pool_size: int = 5, max_overflow: int = 5, **kwargs: Any) -> Engine:
    """Create an engine tuned for the dialect; SQLite gets real transactions."""
    # Statement parameters carry customer emails and webhook bodies: keep them out of logs.
    kwargs.setdefault("hide_parameters", True)
    if url.startswith("sqlite"):
        in_memory = url in {"sqlite://", "sqlite:///:memory:"} or "mode=memory" in url
        if in_memory:
            kwargs.setdefault("poolclass", StaticPool)
        kwargs.setdefault("connect_args", {"check_same_thread": False, "timeout": 30})
        engine = create_engine(url, **kwargs)
        _enable_sqlite_transactions(engine, file_backed=not in_memory)
        return engine
    # No pre-ping: it costs a round trip per request. A connection dropped by the
    # server fails that request (the platform retries it) and leaves the pool.
    return create_engine(url, pool_size=pool_size, max_overflow=max_overflow,
                         pool_recycle=1800, **kwargs)


def _enable_sqlite_transactions(engine: Engine, *, file_backed: bool) -> None:
    # pysqlite opens transactions lazily and never around SELECTs, which breaks
    # SAVEPOINTs and lets two writers read the same balance. Take over BEGIN and
    # make it IMMEDIATE: each transaction holds the write lock from its start, the
    # SQLite counterpart of the row lock PostgreSQL takes with FOR UPDATE.
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):  # pragma: no cover - driver hook
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        if file_backed:
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:  # pragma: no cover - driver hook
        conn.exec_driver_sql("BEGIN IMMEDIATE")


class Database:
    """The app's database resources, attached to ``app.extensions``."""

    def __init__(self, engine: Engine, bind: Engine | Connection | None = None, **session_kwargs: Any):
        self.engine = engine
        bind = bind or engine
        self.sessionmaker = sessionmaker(bind=bind, expire_on_commit=False, **session_kwargs)
        # Reads past the session (get_reader) on PostgreSQL; a session bound to a
        # connection (the tests') keeps every statement in that connection's transaction.
        self.readers = (AutocommitReaders(bind) if isinstance(bind, Engine) and bind.dialect.name == "postgresql"
                        else None)

    def new_session(self) -> Session:
        return self.sessionmaker()

    @contextlib.contextmanager
    def transaction(self) -> Iterator[Session]:
        """A session that commits once at the end, or rolls back on any error."""
        session = self.new_session()
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()


def init_app(app: Flask, database: Database | None = None) -> Database:
    if database is None:
        engine = make_engine(
            app.config["LOYALTY_DATABASE_URL"],
            pool_size=app.config["LOYALTY_DB_POOL_SIZE"],
            max_overflow=app.config["LOYALTY_DB_MAX_OVERFLOW"],
        )
        database = Database(engine)
    app.extensions[EXTENSION_KEY] = database
    app.after_request(_end_read_transaction)
    app.teardown_appcontext(_close_request_session)
    return database


def get_db(app: Flask | None = None) -> Database:
    return (app or current_app).extensions[EXTENSION_KEY]


def get_session() -> Session:
    """The current request's session, created on first use."""
    if "db_session" not in g:
        g.db_session = get_db().new_session()
    return g.db_session


# The request's session for code that may not touch it: the session is created when
# first used. A storefront read served from the caches never needs one, and creating
# one cost that read 3 % of its time.
lazy_session = cast(Session, LocalProxy(get_session))


_READS = frozenset({"GET", "HEAD"})
_READER = "db_reader"
# Where statements run: a session (its transaction) or a connection (its own, or autocommit).
Executor = Session | Connection


def get_reader() -> Executor:
    """Where the current request runs reads that stand alone: each statement on its own.

    On PostgreSQL, a connection in autocommit for the rest of the request, past the ORM
    session (see autocommit_readers): no BEGIN, no COMMIT, and none of the session's
    bookkeeping, which on a read of one statement cost more than the statement. It
    sees only what is committed, so it suits a request that has not written. Elsewhere
    it is the request's session: SQLite's transactions cost no round trip, and a
    session bound to a connection (the tests') must keep to that connection's
    transaction.
    """
    reader = g.get(_READER)
    if reader is None:
        readers = get_db().readers
        reader = readers.borrow() if readers is not None else get_session()
        setattr(g, _READER, reader)
    return reader


def _end_read_transaction(response: Response) -> Response:
    """A successful read ends its transaction with COMMIT, not the ROLLBACK of closing.

    psycopg forgets every prepared statement of a connection on ROLLBACK, so reads
    that rolled back would prepare their statements anew on every request. Nothing
    is left to commit on this path: a read that writes commits what it writes, and
    an ORM change left pending (a bug) still goes to the rollback.
    """
    session: Session | None = g.get("db_session")
    if (session is not None and request.method in _READS and response.status_code < 400
            and session.in_transaction() and not (session.new or session.dirty or session.deleted)):
        session.commit()
    return response


def _close_request_session(_exc: BaseException | None) -> None:
    reader = g.pop(_READER, None)
    session = g.pop("db_session", None)
    try:
        if isinstance(reader, Connection):
            get_db().readers.give_back(reader)
    finally:
        # Closing rolls back whatever the request did not commit. A session created but
        # never used holds nothing: closing it would only walk its event dispatch.
        if session is not None and (session.in_transaction() or session.identity_map):
            session.close()
