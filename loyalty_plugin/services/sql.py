"""Statements that differ by dialect."""
from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import ColumnElement, bindparam
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, make_transient_to_detached

M = TypeVar("M")


def insert_ignore(session: Session, model: type, values: dict[str, Any], *,
                  conflict: list[str], where: ColumnElement[bool] | None = None) -> None:
    """INSERT that does nothing when a row with the same ``conflict`` columns exists.

    On PostgreSQL a concurrent insert of the same key waits for the other
    transaction and then does nothing, so callers can re-select the winner.
    """
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = insert(model).values(**values).on_conflict_do_nothing(index_elements=conflict,
                                                                 index_where=where)
    session.execute(stmt)


def insert_or_none(session: Session, model: type[M], values: dict[str, Any], *,
                   conflict: list[str], where: ColumnElement[bool] | None = None) -> M | None:
    """Like ``insert_ignore``, returning the new row as an object, or None if one existed.

    A row this transaction just inserted is already locked by it: no SELECT needed.
    The statement is built once per shape and reused, which spares rebuilding and
    re-keying it on every webhook.
    """
    dialect = session.get_bind().dialect.name
    shape = (dialect, model, tuple(conflict), str(where) if where is not None else None,
             tuple(sorted(values)))
    stmt = _RETURNING_INSERTS.get(shape)
    if stmt is None:
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        table = model.__table__  # type: ignore[attr-defined]
        stmt = _RETURNING_INSERTS[shape] = (
            insert(table).values({name: bindparam(name) for name in values})
            .on_conflict_do_nothing(index_elements=conflict, index_where=where)
            .returning(*table.c))
    row = session.execute(stmt, values).first()
    if row is None:
        return None
    # The row as the database holds it becomes a persistent object directly: the
    # ORM's query-loading machinery costs more than the INSERT on a webhook's path.
    obj = model(**row._asdict())
    make_transient_to_detached(obj)
    session.add(obj)
    return obj


_RETURNING_INSERTS: dict[tuple, Any] = {}
