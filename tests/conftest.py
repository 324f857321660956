"""Shared fixtures: one migrated schema per run, one rolled-back transaction per test.

``LOYALTY_TEST_DATABASE_URL`` picks the database (SQLite in memory by default);
tests marked ``postgres`` are skipped unless it points at PostgreSQL.
"""
from __future__ import annotations

import os
import socket

import pytest
import responses

from loyalty_plugin.app import create_app
from loyalty_plugin.db import Database, make_engine
from loyalty_plugin.migrate import upgrade

TEST_URL = os.environ.get("LOYALTY_TEST_DATABASE_URL", "sqlite://")
IS_POSTGRES = TEST_URL.startswith("postgresql")
# One schema per run, so two runs on one server never see each other's rows.
TEST_SCHEMA = f"loyalty_test_{os.getpid()}"


def pytest_collection_modifyitems(config, items):
    if IS_POSTGRES:
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL: set LOYALTY_TEST_DATABASE_URL")
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)


def schema_engine(schema: str, **kwargs):
    """A PostgreSQL engine whose tables live in their own schema, emptied first."""
    engine = make_engine(TEST_URL, connect_args={"options": f"-csearch_path={schema}"}, **kwargs)
    with engine.begin() as connection:
        connection.exec_driver_sql(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        connection.exec_driver_sql(f"CREATE SCHEMA {schema}")
    return engine


def drop_schema(schema: str) -> None:
    engine = make_engine(TEST_URL)
    with engine.begin() as connection:
        connection.exec_driver_sql(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
    engine.dispose()


@pytest.fixture(scope="session")
def engine():
    if IS_POSTGRES:
        engine = schema_engine(TEST_SCHEMA, pool_size=20, max_overflow=60)
    else:
        engine = make_engine(TEST_URL)
    upgrade(engine)
    yield engine
    engine.dispose()
    if IS_POSTGRES:
        drop_schema(TEST_SCHEMA)


@pytest.fixture
def connection(engine):
    connection = engine.connect()
    transaction = connection.begin()
    yield connection
    transaction.rollback()
    connection.close()


@pytest.fixture
def database(engine, connection):
    # Commits inside the app release a SAVEPOINT; the outer transaction is rolled back.
    return Database(engine, bind=connection, join_transaction_mode="create_savepoint")


@pytest.fixture
def session(database):
    session = database.new_session()
    yield session
    session.close()


def make_test_app(database: Database, **config):
    return create_app({"LOYALTY_DATABASE_URL": TEST_URL, "LOYALTY_DATABASE": database,
                       "LOYALTY_SCHEMA_CHECK": False, "LOYALTY_SECRET_KEY": "test",
                       "LOYALTY_PUBLIC_URL": "https://loyalty.example.test", **config})


@pytest.fixture
def app(database):
    return make_test_app(database)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture(autouse=True)
def no_network(monkeypatch):
    """Any outbound HTTP through requests fails, and so does any non-loopback socket.

    Yields the ``responses`` mock: a test with a real receiver on loopback lets its
    requests through with ``no_network.add_passthru("http://127.0.0.1")``.
    """
    real_connect = socket.socket.connect

    def guarded_connect(sock, address):
        host = address[0] if isinstance(address, tuple) else address
        if isinstance(host, str) and host not in ("127.0.0.1", "::1", "localhost") \
                and sock.family != socket.AF_UNIX:
            raise RuntimeError(f"tests must not touch the network (tried {host})")
        return real_connect(sock, address)

    monkeypatch.setattr(socket.socket, "connect", guarded_connect)
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock
