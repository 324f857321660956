"""Autocommit reader connections: kept between requests while usable, handed back to the pool otherwise."""
from __future__ import annotations

import gc
import warnings

import pytest
from sqlalchemy import event, text

from loyalty_plugin.autocommit_readers import RECYCLE_SECONDS, AutocommitReaders
from tests.factories import Clock

pytestmark = pytest.mark.postgres


@pytest.fixture
def checkins(engine):
    """The driver connections the pool takes back, with their autocommit flag at that moment."""
    seen: list[tuple[object, bool]] = []

    def record(dbapi_connection, _record) -> None:
        if dbapi_connection is not None:
            seen.append((dbapi_connection, dbapi_connection.autocommit))

    event.listen(engine.pool, "checkin", record)
    yield seen
    event.remove(engine.pool, "checkin", record)


def _driver(connection):
    return connection.connection.driver_connection


def test_a_reader_reads_in_autocommit_and_is_kept_for_the_next_request(engine, checkins):
    readers = AutocommitReaders(engine)
    try:
        first = readers.borrow()
        driver = _driver(first)
        assert driver.autocommit is True
        assert driver.execute("SELECT 1").fetchone() == (1,)
        readers.give_back(first)
        assert len(readers) == 1 and checkins == []
        again = readers.borrow()
        assert again is first and len(readers) == 0
        readers.give_back(again)
    finally:
        readers.close()
    # Back in the pool as the pool lent it: with transactions.
    assert checkins == [(driver, False)] and len(readers) == 0


def test_two_readers_at_once_get_two_connections(engine):
    readers = AutocommitReaders(engine)
    try:
        one, two = readers.borrow(), readers.borrow()
        assert _driver(one) is not _driver(two)
        readers.give_back(one)
        readers.give_back(two)
        assert len(readers) == 2
    finally:
        readers.close()


def test_a_connection_left_in_a_transaction_leaves_the_pool(engine, checkins):
    readers = AutocommitReaders(engine)
    connection = readers.borrow()
    driver = _driver(connection)
    driver.execute("BEGIN")  # what a failure half-way through could leave behind
    readers.give_back(connection)
    assert len(readers) == 0
    assert driver.closed  # it could not be switched back, so the pool closed it
    with engine.connect() as other:
        assert _driver(other) is not driver


def test_a_connection_with_a_transaction_begun_through_sqlalchemy_is_not_kept(engine, checkins):
    readers = AutocommitReaders(engine)
    connection = readers.borrow()
    driver = _driver(connection)
    connection.exec_driver_sql("SELECT 1")  # Connection.execute autobegins
    readers.give_back(connection)
    assert len(readers) == 0 and checkins == [(driver, False)]


def test_a_broken_connection_is_not_kept(engine):
    readers = AutocommitReaders(engine)
    connection = readers.borrow()
    _driver(connection).close()  # the server went away
    readers.give_back(connection)
    assert len(readers) == 0 and connection.closed


def test_a_connection_older_than_the_recycle_time_goes_back_to_the_pool(engine, checkins):
    clock = Clock()
    readers = AutocommitReaders(engine, clock=clock)
    connection = readers.borrow()
    driver = _driver(connection)
    clock.now += RECYCLE_SECONDS - 1
    readers.give_back(connection)
    assert readers.borrow() is connection  # still young: kept
    clock.now += 2
    readers.give_back(connection)
    assert len(readers) == 0 and checkins == [(driver, False)]
    fresh = readers.borrow()  # borrowed afresh, with a new deadline
    clock.now += RECYCLE_SECONDS - 1
    readers.give_back(fresh)
    assert len(readers) == 1
    readers.close()


def test_readers_dropped_without_closing_hand_their_connections_back(engine, checkins):
    readers = AutocommitReaders(engine)
    connection = readers.borrow()
    driver = _driver(connection)
    readers.give_back(connection)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # SQLAlchemy warns when it has to collect a lent connection
        del readers, connection
        gc.collect()
    assert checkins == [(driver, False)]


def test_a_kept_reader_sees_what_others_commit(engine):
    readers = AutocommitReaders(engine)
    with engine.begin() as writer:
        writer.execute(text("CREATE TABLE reader_probe (n int)"))
    try:
        reader = readers.borrow()
        assert _driver(reader).execute("SELECT count(*) FROM reader_probe").fetchone() == (0,)
        readers.give_back(reader)
        with engine.begin() as writer:
            writer.execute(text("INSERT INTO reader_probe VALUES (1)"))
        reader = readers.borrow()
        # No transaction spans the two requests: the second read sees the commit in between.
        assert _driver(reader).execute("SELECT count(*) FROM reader_probe").fetchone() == (1,)
        readers.give_back(reader)
    finally:
        readers.close()
        with engine.begin() as writer:
            writer.execute(text("DROP TABLE reader_probe"))
