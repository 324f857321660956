"""Driver statements read and write exactly what the ORM does, and behave like session statements."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import bindparam, event, exc, insert, select

from loyalty_plugin.db import Database
from loyalty_plugin.models import (CustomerAccount, DeliveryStatus, InboundDelivery, Order, OrderStatus,
                                   utcnow)
from loyalty_plugin.services.driver_sql import DriverStatement, _Compiled
from loyalty_plugin.services.sql import fixed_values
from tests.factories import make_shop, unique

NOW = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.timezone.utc)
_DELIVERIES = InboundDelivery.__table__
_ORDERS = Order.__table__

INSERT_DELIVERY = DriverStatement(insert(_DELIVERIES).values(
    shop_id=bindparam("shop_id"), delivery_id=bindparam("delivery_id"), topic=bindparam("topic"),
    status=bindparam("status"), body=bindparam("body")).returning(
    _DELIVERIES.c.id, _DELIVERIES.c.status, _DELIVERIES.c.received_at, _DELIVERIES.c.attempts,
    _DELIVERIES.c.headers))
DELIVERY_BY_ID = DriverStatement(select(_DELIVERIES).where(_DELIVERIES.c.id == bindparam("id")))


def _insert_delivery(session, shop_id: int, **values) -> tuple:
    return INSERT_DELIVERY.first(session, {"delivery_id": unique("d"), "topic": "orders/paid",
                                           "status": DeliveryStatus.PROCESSED, "body": b"{\"a\": 1}",
                                           **values, "shop_id": shop_id})


def test_insert_returns_processed_values_and_fills_python_defaults(session):
    shop, _ = make_shop(session)
    before = utcnow()
    row_id, status, received_at, attempts, headers = _insert_delivery(session, shop.id)
    # Enum, aware UTC time and JSON come back as the ORM gives them; the defaults were sent.
    assert status is DeliveryStatus.PROCESSED
    assert received_at.tzinfo is not None and received_at >= before - dt.timedelta(seconds=1)
    assert (attempts, headers) == (1, {})
    stored = session.get(InboundDelivery, row_id)
    assert (stored.status, stored.body, stored.attempts, stored.headers) == (
        DeliveryStatus.PROCESSED, b"{\"a\": 1}", 1, {})


def test_select_rows_match_the_orm(session):
    shop, _ = make_shop(session)
    row_id = _insert_delivery(session, shop.id)[0]
    [row] = DELIVERY_BY_ID.rows(session, {"id": row_id})
    values = dict(zip(DELIVERY_BY_ID.keys, row))
    stored = session.get(InboundDelivery, row_id)
    assert values == {key: getattr(stored, key) for key in values}
    assert DELIVERY_BY_ID.rows(session, {"id": row_id + 1000}) == []
    assert DELIVERY_BY_ID.first(session, {"id": row_id + 1000}) is None


def test_update_with_column_keys_stamps_updated_at_and_counts_rows(session):
    shop, _ = make_shop(session)
    order = Order(shop_id=shop.id, platform_order_id=unique("o"), status=OrderStatus.OPEN,
                  items_amount=Decimal("10.00"), created_at=NOW, updated_at=NOW)
    session.add(order)
    session.flush()
    update = DriverStatement(_ORDERS.update().where(_ORDERS.c.id == bindparam("key_id")),
                             column_keys=["items_amount", "status"])
    changed = update.execute(session, {"key_id": order.id, "items_amount": Decimal("12.34"),
                                       "status": OrderStatus.AWARDED})
    assert changed == 1
    assert update.execute(session, {"key_id": order.id + 1000, "items_amount": Decimal("1"),
                                    "status": OrderStatus.OPEN}) == 0
    session.expire_all()
    stored = session.get(Order, order.id)
    assert (stored.items_amount, stored.status) == (Decimal("12.34"), OrderStatus.AWARDED)
    assert stored.updated_at > NOW


def test_pending_orm_changes_are_flushed_first_unless_autoflush_is_off(session):
    shop, _ = make_shop(session)
    count = DriverStatement(select(CustomerAccount.__table__.c.id).where(
        CustomerAccount.__table__.c.shop_id == bindparam("shop_id")))
    with session.no_autoflush:
        session.add(CustomerAccount(shop_id=shop.id, platform_customer_id=unique("c"),
                                    created_at=NOW, updated_at=NOW))
        assert count.rows(session, {"shop_id": shop.id}) == []
    assert len(count.rows(session, {"shop_id": shop.id})) == 1


def test_engine_listeners_see_each_statement(session, engine):
    shop, _ = make_shop(session)
    seen: list[tuple[str, str]] = []

    def before(_conn, _cursor, statement, *_args):
        seen.append(("before", statement))

    def after(_conn, _cursor, statement, *_args):
        seen.append(("after", statement))

    event.listen(engine, "before_cursor_execute", before)
    event.listen(engine, "after_cursor_execute", after)
    try:
        _insert_delivery(session, shop.id)
    finally:
        event.remove(engine, "before_cursor_execute", before)
        event.remove(engine, "after_cursor_execute", after)
    assert [when for when, _ in seen] == ["before", "after"]
    assert all(sql.startswith("INSERT INTO inbound_deliveries") for _, sql in seen)


def test_driver_errors_surface_as_sqlalchemy_errors(session):
    shop, _ = make_shop(session)
    delivery_id = unique("d")
    params = dict(shop_id=shop.id, delivery_id=delivery_id, topic="orders/paid",
                  status=DeliveryStatus.PROCESSED, body=b"{}")
    INSERT_DELIVERY.first(session, params)
    with pytest.raises(exc.IntegrityError):
        INSERT_DELIVERY.first(session, params)


def test_statements_that_expand_at_execution_are_refused(session):
    make_shop(session)
    expanding = DriverStatement(select(_DELIVERIES.c.id).where(_DELIVERIES.c.id.in_([1, 2, 3])))
    with pytest.raises(ValueError, match="expand"):
        expanding.rows(session, {})


def test_parameters_are_bound_as_sqlalchemy_binds_them(session):
    table = _DELIVERIES
    stamp = dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.timezone.utc)
    statement = DriverStatement(
        select(table.c.id).where(table.c.shop_id == bindparam("shop_id"), table.c.topic == "orders/paid",
                                 table.c.status == bindparam("status", DeliveryStatus.FAILED),
                                 table.c.received_at < bindparam("before", callable_=lambda: stamp)))
    dialect = session.get_bind().dialect
    compiled = _Compiled(statement.stmt, dialect, None)

    def as_sqlalchemy_binds(params: dict) -> dict:
        values = compiled.compiled.construct_params(params)
        for bind, name in compiled.compiled.bind_names.items():
            processor = bind.type.dialect_impl(dialect).bind_processor(dialect)
            values[name] = processor(values[name]) if processor else values[name]
        return values if compiled.positions is None else tuple(values[name] for name in compiled.positions)

    # Left out, the binds' own values and the callable's; given, the values given.
    for params in ({"shop_id": 7}, {"shop_id": 7, "status": DeliveryStatus.PROCESSED, "before": NOW}):
        assert compiled.parameters(params) == as_sqlalchemy_binds(params)
    assert compiled.parameters({"shop_id": 7}) != compiled.parameters(
        {"shop_id": 7, "status": DeliveryStatus.PROCESSED, "before": NOW})
    with pytest.raises(exc.InvalidRequestError, match="shop_id"):
        compiled.parameters({})


def test_a_statement_runs_on_a_connection_as_given(session):
    shop, _ = make_shop(session)
    row_id = _insert_delivery(session, shop.id)[0]
    connection = session.connection()  # the session's own: the row it has not committed is there
    assert DELIVERY_BY_ID.first(connection, {"id": row_id})[0] == row_id


def test_each_transaction_runs_on_its_own_connection(engine):
    # Bound to the engine, as in the service: every transaction borrows a connection of
    # its own, and one kept from an ended transaction would be closed.
    session = Database(engine).new_session()
    try:
        shop, _ = make_shop(session)
        session.commit()
        dropped = _insert_delivery(session, shop.id)[0]
        session.rollback()
        assert DELIVERY_BY_ID.first(session, {"id": dropped}) is None
        kept = _insert_delivery(session, shop.id)[0]
        session.commit()
        assert DELIVERY_BY_ID.first(session, {"id": kept})[0] == kept
        session.close()
        assert DELIVERY_BY_ID.first(session, {"id": kept})[0] == kept
    finally:
        session.close()


def test_a_savepoint_begun_between_statements_holds_the_next_ones(session):
    shop, _ = make_shop(session)
    params = dict(shop_id=shop.id, delivery_id=unique("d"), topic="orders/paid",
                  status=DeliveryStatus.PROCESSED, body=b"{}")
    kept = INSERT_DELIVERY.first(session, params)[0]
    with pytest.raises(RuntimeError):
        with session.begin_nested():
            dropped = _insert_delivery(session, shop.id)[0]
            raise RuntimeError("undo the savepoint")
    assert DELIVERY_BY_ID.first(session, {"id": dropped}) is None
    with pytest.raises(exc.IntegrityError):
        with session.begin_nested():
            INSERT_DELIVERY.first(session, params)
    # Without its savepoint, the failed INSERT would have aborted PostgreSQL's whole transaction.
    assert DELIVERY_BY_ID.first(session, {"id": kept})[0] == kept


def test_each_statement_keeps_a_cursor_of_its_own_on_a_connection(session, engine):
    shop, _ = make_shop(session)
    cursors: list[tuple[str, int]] = []

    def record(_conn, cursor, statement, *_args):
        cursors.append((statement.split()[0].upper(), id(cursor)))

    event.listen(engine, "before_cursor_execute", record)
    try:
        first = _insert_delivery(session, shop.id)[0]
        DELIVERY_BY_ID.first(session, {"id": first})
        second = _insert_delivery(session, shop.id)[0]
        DELIVERY_BY_ID.first(session, {"id": second})
    finally:
        event.remove(engine, "before_cursor_execute", record)

    # psycopg keeps a cursor's adapters while it runs the same query: each statement
    # goes back to its own cursor, not one the other statement just used.
    (insert_kind, insert_cursor), (select_kind, select_cursor) = cursors[:2]
    assert (insert_kind, select_kind) == ("INSERT", "SELECT") and insert_cursor != select_cursor
    assert cursors[2:] == cursors[:2]


def test_fixed_values_are_written_into_the_statement_and_select_as_bound_values_do(session):
    shop, _ = make_shop(session)
    kept = {status: _insert_delivery(session, shop.id, status=status)[0]
            for status in (DeliveryStatus.PROCESSED, DeliveryStatus.FAILED, DeliveryStatus.IGNORED)}
    wanted = (DeliveryStatus.FAILED, DeliveryStatus.PROCESSED)
    of_shop = _DELIVERIES.c.shop_id == bindparam("shop_id")
    fixed = DriverStatement(select(_DELIVERIES.c.id).where(
        of_shop, _DELIVERIES.c.status.in_(fixed_values(_DELIVERIES.c.status, wanted))))
    bound = select(_DELIVERIES.c.id).where(of_shop, _DELIVERIES.c.status.in_(wanted))

    sql = str(fixed.stmt.compile(dialect=session.get_bind().dialect))
    # Stored as the enum's values, the constants travel in the text: only the shop is bound.
    assert "'failed'" in sql and "'processed'" in sql
    assert [key for _, key, _, _ in _Compiled(fixed.stmt, session.get_bind().dialect, None).binds] \
        == ["shop_id"]
    rows = sorted(row[0] for row in fixed.rows(session, {"shop_id": shop.id}))
    assert rows == sorted(session.execute(bound, {"shop_id": shop.id}).scalars()) \
        == sorted(kept[status] for status in wanted)
