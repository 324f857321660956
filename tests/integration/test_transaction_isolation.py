"""The per-test isolation the fixtures rely on: app commits inside one outer transaction.

``conftest.database`` binds sessions to a connection whose outer transaction is
rolled back after the test, with ``join_transaction_mode="create_savepoint"`` so
that a session's ``commit()`` only releases a SAVEPOINT. On SQLite that needs the
pysqlite BEGIN hooks in ``loyalty_plugin.db`` (without them pysqlite emits no
BEGIN of its own, so the SAVEPOINT would commit). These tests open that
arrangement by hand, on the test database and on a file-backed SQLite database.
"""
from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from loyalty_plugin.db import Database, make_engine
from loyalty_plugin.migrate import upgrade
from loyalty_plugin.models import InboundDelivery, LedgerEntry, Shop
from tests.conftest import IS_POSTGRES, make_test_app
from tests.factories import make_shop, post_shopify, shopify_order


@pytest.fixture(params=["test-database", "sqlite-file"])
def any_engine(request, engine, tmp_path):
    """The session's test database, and a migrated file-backed SQLite database of its own."""
    if request.param == "test-database":
        yield engine
        return
    file_engine = make_engine(f"sqlite:///{tmp_path / 'isolation.db'}")
    upgrade(file_engine)
    yield file_engine
    file_engine.dispose()


def shops_named(connection, *domains: str) -> list[str]:
    return sorted(connection.execute(select(Shop.domain).where(Shop.domain.in_(domains))).scalars())


def joined_database(engine, connection) -> Database:
    return Database(engine, bind=connection, join_transaction_mode="create_savepoint")


def test_commits_inside_the_outer_transaction_are_gone_after_its_rollback(any_engine):
    connection = any_engine.connect()
    outer = connection.begin()
    try:
        database = joined_database(any_engine, connection)
        with database.transaction() as session:  # commits, i.e. releases its SAVEPOINT
            make_shop(session, domain="isolated-committed.myshopify.com")
        session = database.new_session()
        make_shop(session, domain="isolated-second.myshopify.com")
        session.commit()
        session.close()

        assert outer.is_active
        assert connection.in_transaction()
        # The outer transaction sees what the sessions committed ...
        assert shops_named(connection, "isolated-committed.myshopify.com",
                           "isolated-second.myshopify.com") == [
            "isolated-committed.myshopify.com", "isolated-second.myshopify.com"]
        if IS_POSTGRES and any_engine.dialect.name == "postgresql":
            # ... and nobody else does: nothing was really committed.
            with any_engine.connect() as other:
                assert shops_named(other, "isolated-committed.myshopify.com") == []
    finally:
        outer.rollback()
        connection.close()

    with any_engine.connect() as fresh:
        assert shops_named(fresh, "isolated-committed.myshopify.com",
                           "isolated-second.myshopify.com") == []


def test_savepoint_rollback_inside_the_outer_transaction_undoes_only_its_part(any_engine):
    connection = any_engine.connect()
    outer = connection.begin()
    try:
        session = joined_database(any_engine, connection).new_session()
        make_shop(session, domain="isolated-kept.myshopify.com")
        nested = session.begin_nested()
        make_shop(session, domain="isolated-undone.myshopify.com")
        assert shops_named(session.connection(), "isolated-undone.myshopify.com") == [
            "isolated-undone.myshopify.com"]
        nested.rollback()

        with pytest.raises(RuntimeError):
            with session.begin_nested():
                make_shop(session, domain="isolated-raised.myshopify.com")
                raise RuntimeError("undo this block")
        session.commit()
        session.close()

        assert shops_named(connection, "isolated-kept.myshopify.com",
                           "isolated-undone.myshopify.com", "isolated-raised.myshopify.com") == [
            "isolated-kept.myshopify.com"]
    finally:
        outer.rollback()
        connection.close()

    with any_engine.connect() as fresh:
        assert shops_named(fresh, "isolated-kept.myshopify.com") == []


def test_app_requests_that_commit_are_rolled_back_with_the_outer_transaction(any_engine):
    """What the ``client`` fixture relies on: a webhook that commits leaves nothing behind."""
    connection = any_engine.connect()
    outer = connection.begin()
    try:
        database = joined_database(any_engine, connection)
        with database.transaction() as session:
            shop, _ = make_shop(session, domain="isolated-app.myshopify.com")
        client = make_test_app(database).test_client()
        response = post_shopify(client, shop, "orders/paid",
                                json.dumps(shopify_order(customer_id=9191)).encode())
        assert response.status_code == 200, response.get_json()
        assert response.get_json()["status"] == "processed"
        assert connection.execute(select(func.count()).select_from(LedgerEntry)
                                  .where(LedgerEntry.shop_id == shop.id)).scalar_one() == 1
        shop_id = shop.id
    finally:
        outer.rollback()
        connection.close()

    with any_engine.connect() as fresh:
        assert shops_named(fresh, "isolated-app.myshopify.com") == []
        for model in (LedgerEntry, InboundDelivery):
            assert fresh.execute(select(func.count()).select_from(model)
                                 .where(model.shop_id == shop_id)).scalar_one() == 0
