"""Statements that differ by dialect."""
from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session


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
