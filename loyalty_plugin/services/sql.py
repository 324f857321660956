"""Statement helpers: statements that differ by dialect, and pieces of statements built once."""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, bindparam, inspect, literal_column
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine.default import DefaultDialect
from sqlalchemy.orm import Session, configure_mappers, make_transient, make_transient_to_detached
from sqlalchemy.orm.attributes import get_history, instance_dict, set_committed_value
from sqlalchemy.orm.util import identity_key

from .driver_sql import DriverStatement

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
    stmt, returned, absent = _plan(session, model, values, conflict, where)
    row = stmt.first(session, values)
    if row is None:
        return None
    # The object is built from what was sent plus what only the database knows (the key
    # and defaults): RETURNING every column costs a column description per column, and
    # the ORM's query-loading machinery more than the INSERT itself.
    obj = _as_loaded(model, {**values, **absent, **dict(zip(returned, row))})
    session.add(obj)
    return obj


def insert_id_or_none(session: Session, model: type, values: dict[str, Any], *,
                      conflict: list[str], where: ColumnElement[bool] | None = None) -> int | None:
    """``insert_or_none`` for callers that need only the new row's id: no object is built."""
    stmt, returned, _ = _plan(session, model, values, conflict, where)
    row = stmt.first(session, values)
    return None if row is None else row[returned.index("id")]


def _plan(session: Session, model: type, values: dict[str, Any], conflict: list[str],
          where: ColumnElement[bool] | None) -> tuple[DriverStatement, tuple[str, ...], dict[str, None]]:
    """The INSERT of this shape of ``values``, built once and reused; see _returning_insert."""
    dialect = session.get_bind().dialect.name
    shape = (dialect, model, tuple(conflict), str(where) if where is not None else None,
             tuple(sorted(values)))
    plan = _RETURNING_INSERTS.get(shape)
    if plan is None:
        plan = _RETURNING_INSERTS[shape] = _returning_insert(dialect, model, values, conflict, where)
    return plan


def _returning_insert(dialect: str, model: type, values: dict[str, Any], conflict: list[str],
                      where: ColumnElement[bool] | None) -> tuple[DriverStatement, tuple[str, ...], dict[str, None]]:
    """The INSERT for one shape, the attributes it returns, and those known to be NULL."""
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    table = model.__table__  # type: ignore[attr-defined]
    unsent = [column for column in table.c if column.key not in values]
    # The key always, even when sent: RETURNING something is what says a row was inserted.
    returned = [column for column in table.c if column.primary_key or column in unsent and (
        column.default is not None or column.server_default is not None)]
    stmt = (insert(table).values({name: bindparam(name) for name in values})
            .on_conflict_do_nothing(index_elements=conflict, index_where=where)
            .returning(*returned))
    absent = {column.key: None for column in unsent if column not in returned}
    return DriverStatement(stmt), tuple(column.key for column in returned), absent


_RETURNING_INSERTS: dict[tuple, Any] = {}


def load_rows(session: Session, model: type[M], stmt: DriverStatement, params: dict[str, Any], *,
              refresh: bool = False) -> list[M]:
    """The objects of the rows a SELECT of ``model``'s whole table returns.

    As an ORM query would: an object this session holds already is reused (with the
    row's values when ``refresh``, like ``populate_existing``), any other is built
    straight from its row, which costs a fraction of the ORM's loading machinery.
    """
    objects = []
    keys = stmt.keys
    for row in stmt.rows(session, params):
        values = dict(zip(keys, row))
        key = identity_key(model, tuple(values[c.key] for c in model.__table__.primary_key))  # type: ignore[attr-defined]
        obj = session.identity_map.get(key)
        if obj is None:
            obj = _as_loaded(model, values)
            session.add(obj)
        elif refresh:
            for name, value in values.items():
                set_committed_value(obj, name, value)
        objects.append(obj)
    return objects


def _as_loaded(model: type[M], values: dict[str, Any]) -> M:
    """A detached object holding ``values`` as if loaded from its row.

    Built as the ORM builds the objects of the rows it loads: the values go straight
    into the instance's dictionary, past the constructor's event per attribute (which
    cost six times the rest), then become the committed state with the identity key.
    """
    mapper = model.__mapper__  # type: ignore[attr-defined]
    if not mapper.configured:
        configure_mappers()  # what a constructor's first call would do
    obj = mapper.class_manager.new_instance()
    instance_dict(obj).update(values)
    make_transient_to_detached(obj)
    return obj


def write_changes(session: Session, obj: Any) -> None:
    """Write the columns of ``obj`` changed since it was loaded, with one Core UPDATE by key.

    For an object the caller holds locked and owns: the unit of work costs several
    times the statement it writes. The object then reads as freshly loaded, its
    history reset through public APIs (made transient, detached with its key, added
    back), so the flush at commit has nothing left to write for it.
    """
    state = inspect(obj)
    if not state.persistent:
        return  # a new object's INSERT is the flush's to write, with every value
    columns = state.mapper.column_attrs.keys()
    assigned = set(columns) - state.unmodified_intersection(columns)
    if not assigned:
        return
    # An equal value is not a change; the history of what was assigned says which are.
    changes = {}
    for name in assigned:
        added = get_history(obj, name).added
        if added:
            changes[name] = added[0]
    table = state.mapper.local_table
    # What the ORM's flush would add (``updated_at``), given explicitly so the object holds it too.
    stamped = {column.key: column.onupdate.arg(None) for column in table.columns
               if changes and column.onupdate is not None and column.onupdate.is_callable
               and column.key not in changes}
    key = {column.key: getattr(obj, column.key) for column in table.primary_key}
    make_transient(obj)
    make_transient_to_detached(obj)
    session.add(obj)
    for name, value in stamped.items():
        set_committed_value(obj, name, value)
    if not changes:
        return
    params = {**changes, **stamped, **{f"key_{name}": value for name, value in key.items()}}
    shape = (table, frozenset(changes) | frozenset(stamped))
    stmt = _UPDATES.get(shape)
    if stmt is None:
        stmt = _UPDATES[shape] = DriverStatement(table.update().where(
            *(column == bindparam(f"key_{column.key}") for column in table.primary_key)),
            column_keys=sorted(shape[1]))
    stmt.execute(session, params)


_UPDATES: dict[tuple, DriverStatement] = {}


def fixed_values(column: Any, values: Iterable[Any]) -> list[ColumnElement[Any]]:
    """A constant list for ``column.in_()``, written into the statement's text.

    Given plain values, ``in_()`` makes one "expanding" parameter that SQLAlchemy
    rewrites on every execution; bound one by one, each value is still converted
    and sent on every execution (18 of the storefront summary's 22 parameters, a
    sixth of the driver's time on it). The values are the code's own constants
    (enum members), rendered by the column type as standard SQL literals, which
    every dialect here reads alike.
    """
    render = column.type.literal_processor(_STANDARD_SQL)
    return [literal_column(render(value), column.type) for value in sorted(values)]


_STANDARD_SQL = DefaultDialect()
