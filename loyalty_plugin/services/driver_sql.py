"""Hot statements run on the session's own driver connection, compiled once per dialect.

A statement executed through the session pays for its cache key, an execution
context and a result object on every call: on the webhook path that costs about
twice what the driver spends sending the statement. ``DriverStatement`` keeps a
Core statement compiled per dialect, with the bind and result processors of its
column types (SQLAlchemy's public type API, so enums, UTC times and JSON read and
write exactly as through the ORM), and runs it with a driver cursor of its own,
kept per connection, in the session's transaction, or on a connection given
instead of the session (as is: in its transaction, or on its own when it is in
autocommit).

What the session would do around a statement is kept: pending ORM changes are
flushed first (autoflush), the engine's ``before_cursor_execute`` and
``after_cursor_execute`` listeners see the statement, and driver errors surface
as SQLAlchemy's exceptions (``IntegrityError``, ``OperationalError``, ...).
"""
from __future__ import annotations

from collections import namedtuple
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import exc
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from ..db import Executor

_CURSORS = "loyalty_driver_cursors"
_CONNECTION = "loyalty_driver_connection"
_REQUIRED = object()


class _Compiled:
    """One statement for one dialect: its SQL, how to bind its parameters, how to read its rows."""

    def __init__(self, stmt: Any, dialect: Any, column_keys: Sequence[str] | None) -> None:
        compiled = stmt.compile(dialect=dialect, column_keys=list(column_keys) if column_keys else None)
        if compiled.post_compile_params or compiled.literal_execute_params:
            raise ValueError("a driver statement cannot expand parameters at execution time")
        if compiled.escaped_bind_names:
            raise ValueError("a driver statement needs plain parameter names: "
                             + ", ".join(sorted(compiled.escaped_bind_names)))
        self.compiled = compiled
        # Python-side column defaults, which an execution context would otherwise compute.
        self.defaults = [(column.key, column.default) for column in compiled.insert_prefetch]
        self.defaults += [(column.key, column.onupdate) for column in compiled.update_prefetch]
        self.sql: str = compiled.string
        self.positions: tuple[str, ...] | None = (
            tuple(compiled.positiontup or ()) if compiled.positional else None)
        # What construct_params() works out per bind on every call, worked out once:
        # the keys a value may come under, the bind's own value, its type's processor.
        self.binds: list[tuple[str, str, Any, Callable[[Any], Any] | None]] = []
        for bind, name in compiled.bind_names.items():
            processor = bind.type.dialect_impl(dialect).bind_processor(dialect)
            self.binds.append((name, bind.key, _REQUIRED if bind.required else bind, processor))
        self.result_types = [column.type for column in _returned_columns(stmt)]
        self.returns_rows = bool(self.result_types)
        # (position, processor) of the returned columns whose type converts what the driver
        # gives; worked out on the first result, from the driver's type codes.
        self.result_processors: list[tuple[int, Callable[[Any], Any]]] | None = None
        # psycopg 3 prepares on the server when asked; other drivers take no such argument.
        self.prepare = dialect.driver == "psycopg"

    def parameters(self, params: dict[str, Any]) -> Any:
        if self.defaults:
            params = dict(params)
            for name, default in self.defaults:
                if name not in params:
                    params[name] = default.arg(None) if default.is_callable else default.arg
        values = {}
        for name, key, own, processor in self.binds:
            if key in params:
                value = params[key]
            elif name in params:
                value = params[name]
            elif own is _REQUIRED:
                raise exc.InvalidRequestError(f"A value is required for bind parameter {key!r}", code="cd3x")
            else:
                value = own.effective_value if own.callable else own.value
            values[name] = value if processor is None else processor(value)
        if self.positions is None:
            return values
        return tuple(values[name] for name in self.positions)

    def rows(self, cursor: Any, dialect: Any) -> list[tuple]:
        # Known from the statement: asking the cursor for its description builds an object per column.
        if not self.returns_rows:
            return []
        fetched = cursor.fetchall()
        if self.result_processors is None:
            # The driver's type codes pick the processor, as they do for SQLAlchemy's own results.
            processors = (type_.dialect_impl(dialect).result_processor(dialect, column[1])
                          for type_, column in zip(self.result_types, cursor.description))
            self.result_processors = [(position, processor) for position, processor in enumerate(processors)
                                      if processor is not None]
        processors = self.result_processors
        if not processors:
            return fetched
        # Only the columns that convert are visited: most columns of a row need nothing.
        rows = []
        for row in fetched:
            values = list(row)
            for position, processor in processors:
                value = values[position]
                if value is not None:
                    values[position] = processor(value)
            rows.append(tuple(values))
        return rows


def _returned_columns(stmt: Any) -> list[Any]:
    if getattr(stmt, "is_select", False):
        return list(stmt.selected_columns)
    if getattr(stmt, "is_dml", False):
        return list(stmt.exported_columns)  # its RETURNING columns, if any
    return []


class DriverStatement:
    """A Core statement run straight on the session's driver connection.

    ``column_keys`` compiles an INSERT or UPDATE with exactly those SET columns, as
    Core does for a statement without explicit values executed with those parameters.
    """

    def __init__(self, stmt: Any, column_keys: Sequence[str] | None = None) -> None:
        self.stmt = stmt
        self.column_keys = tuple(column_keys) if column_keys else None
        self.keys = [column.key for column in _returned_columns(stmt)]
        # Rows that answer by column name as well, like SQLAlchemy's Row.
        self.named = namedtuple("Row", self.keys, rename=True) if self.keys else None  # type: ignore[misc]
        self._by_dialect: dict[tuple[str, str], _Compiled] = {}

    def rows(self, executor: Executor, params: dict[str, Any]) -> list[tuple]:
        """Every row the statement returns (none for a statement without RETURNING)."""
        rows, _ = self._run(executor, params)
        return rows

    def first(self, executor: Executor, params: dict[str, Any]) -> tuple | None:
        rows, _ = self._run(executor, params)
        return rows[0] if rows else None

    def named_rows(self, executor: Executor, params: dict[str, Any]) -> list[Any]:
        """``rows`` whose values also read as attributes named by the statement's column keys."""
        make = self.named._make  # type: ignore[union-attr]
        return [make(row) for row in self.rows(executor, params)]

    def first_named(self, executor: Executor, params: dict[str, Any]) -> Any | None:
        row = self.first(executor, params)
        return None if row is None else self.named._make(row)  # type: ignore[union-attr]

    def execute(self, executor: Executor, params: dict[str, Any]) -> int:
        """Run a statement without RETURNING; the number of rows it changed."""
        _, rowcount = self._run(executor, params)
        return rowcount

    def _run(self, executor: Executor, params: dict[str, Any]) -> tuple[list[tuple], int]:
        connection = executor if isinstance(executor, Connection) else _session_connection(executor)
        dialect = connection.dialect
        kind = (dialect.name, dialect.driver)
        compiled = self._by_dialect.get(kind)
        if compiled is None:
            compiled = self._by_dialect[kind] = _Compiled(self.stmt, dialect, self.column_keys)
        parameters = compiled.parameters(params)
        cursor = _cursor(connection, compiled)
        sql = compiled.sql
        # SQLAlchemy's own guard: with no listener anywhere, dispatching costs more than the flag.
        listened = connection._has_events or connection.engine._has_events
        if listened:
            for listener in connection.dispatch.before_cursor_execute:
                sql, parameters = listener(connection, cursor, sql, parameters, None, False) or (sql, parameters)
        try:
            if compiled.prepare:
                cursor.execute(sql, parameters, prepare=True)
            else:
                cursor.execute(sql, parameters)
            rows = compiled.rows(cursor, dialect)
        except dialect.loaded_dbapi.Error as error:
            raise exc.DBAPIError.instance(sql, parameters, error, dialect.loaded_dbapi.Error,
                                          hide_parameters=connection.engine.hide_parameters,
                                          dialect=dialect) from error
        if listened:
            for listener in connection.dispatch.after_cursor_execute:
                listener(connection, cursor, sql, parameters, None, False)
        return rows, cursor.rowcount


def _session_connection(session: Session) -> Connection:
    """``session.connection()`` after an autoflush, as the session's own execute would.

    The connection is kept with the transaction it was asked for: asking the session
    again walks its transaction state each time, which the dozen statements of one
    webhook delivery would pay a dozen times. A savepoint begun since counts as another
    transaction: the session emits SAVEPOINT when its connection is first asked for.
    """
    if session.autoflush:
        session.flush()
    kept = session.info.get(_CONNECTION)
    if kept is not None and kept[0] == _transaction_of(session):
        return kept[1]
    connection = session.connection()  # begins the transaction when there is none yet
    session.info[_CONNECTION] = (_transaction_of(session), connection)
    return connection


def _transaction_of(session: Session) -> tuple[Any, Any]:
    return session.get_transaction(), session.get_nested_transaction()


def _cursor(connection: Connection, compiled: _Compiled) -> Any:
    """One driver cursor per statement and pooled connection, kept with it for its whole life.

    psycopg keeps a cursor's adapters, set up for the columns and parameters of its
    query, only while the cursor runs that same query again: one cursor shared by the
    statements of a webhook delivery set them all up anew for every statement.
    """
    pooled = connection.connection
    cursors = pooled.info.get(_CURSORS)
    if cursors is None:
        cursors = pooled.info[_CURSORS] = {}
    cursor = cursors.get(compiled)
    if cursor is None:
        cursor = cursors[compiled] = pooled.driver_connection.cursor()
    return cursor
