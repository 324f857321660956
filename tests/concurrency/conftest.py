"""Fixtures for tests that commit for real on PostgreSQL, from concurrent connections."""
from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import delete

from loyalty_plugin.db import Database
from loyalty_plugin.models import Shop
from tests.conftest import make_test_app
from tests.factories import make_shop


@pytest.fixture
def live_db(engine) -> Iterator[Database]:
    """Sessions on the real engine: commits are real and visible to other connections."""
    database = Database(engine)
    yield database
    if database.readers is not None:
        database.readers.close()


@pytest.fixture
def live_app(live_db):
    return make_test_app(live_db)


@pytest.fixture
def live_shop(live_db):
    """A committed Shopify shop and its API key; deleted (with everything it owns) afterwards."""
    with live_db.transaction() as session:
        shop, api_key = make_shop(session)
    yield shop, api_key
    with live_db.transaction() as session:
        session.execute(delete(Shop).where(Shop.id == shop.id))
