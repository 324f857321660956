"""Statements that differ by dialect."""
from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import ColumnElement
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

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
    """
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = (insert(model).values(**values)
            .on_conflict_do_nothing(index_elements=conflict, index_where=where).returning(model))
    return session.scalars(stmt).one_or_none()
