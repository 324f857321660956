"""The Alembic migrations, run from an empty database, against the models.

Each test gets a database of its own: a temp-file SQLite database, and on
PostgreSQL a fresh ``loyalty_migr_<pid>`` schema that is dropped afterwards.
"""
from __future__ import annotations

import os

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import MetaData, String, inspect, text

from loyalty_plugin.db import make_engine
from loyalty_plugin.migrate import (SchemaOutOfDate, check_schema, current_revision, downgrade,
                                    head_revision, upgrade)
from loyalty_plugin.models import Base
from tests.conftest import schema_engine

# Per run, like conftest's schema: two runs on one server must not drop each other's schema.
SCHEMA = f"loyalty_migr_{os.getpid()}"


@pytest.fixture(params=[pytest.param("sqlite"),
                        pytest.param("postgresql", marks=pytest.mark.postgres)])
def empty_engine(request, tmp_path):
    if request.param == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path / 'migrations.db'}")
        yield engine
        engine.dispose()
        return
    engine = schema_engine(SCHEMA)
    try:
        yield engine
    finally:
        with engine.begin() as connection:
            connection.exec_driver_sql(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE")
        engine.dispose()


def schema_diff(engine, metadata: MetaData = Base.metadata) -> list:
    """What autogenerate would write for ``metadata`` against the database: [] when in step."""
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return compare_metadata(context, metadata)


def user_tables(engine) -> list[str]:
    return sorted(inspect(engine).get_table_names())


def test_upgrade_from_empty_to_head_builds_exactly_the_models_schema(empty_engine):
    assert user_tables(empty_engine) == []
    with pytest.raises(SchemaOutOfDate, match="loyalty db upgrade") as excinfo:
        check_schema(empty_engine)
    assert "is empty" in str(excinfo.value)

    upgrade(empty_engine)

    assert current_revision(empty_engine) == head_revision() is not None
    check_schema(empty_engine)
    assert user_tables(empty_engine) == sorted([*Base.metadata.tables, "alembic_version"])
    # Column types (UTCDateTime, BigInteger ids, Numeric money, enums as VARCHAR(32)),
    # nullability, indexes (partial ones too), unique and foreign keys all match.
    assert schema_diff(empty_engine) == []


def test_schema_comparison_notices_a_column_type_that_differs(empty_engine):
    """Guards the test above: an empty diff must not come from comparing nothing."""
    upgrade(empty_engine)
    changed = MetaData(naming_convention=Base.metadata.naming_convention)
    for table in Base.metadata.sorted_tables:
        table.to_metadata(changed)
    changed.tables["shops"].c.created_at.type = String(32)  # a UTCDateTime in the models

    diffs = schema_diff(empty_engine, changed)

    assert len(diffs) == 1, diffs
    ((op, _schema, table, column, _info, old_type, new_type),) = diffs[0]
    assert (op, table, column) == ("modify_type", "shops", "created_at")
    assert isinstance(new_type, String) and new_type.length == 32


def test_downgrade_to_base_leaves_only_alembic_version_and_upgrade_works_again(empty_engine):
    upgrade(empty_engine)
    with empty_engine.begin() as connection:  # a row, so the downgrade must really drop tables
        connection.execute(text(
            "INSERT INTO shops (platform, domain, currency, timezone, status, webhook_secret,"
            " widget_secret, created_at) VALUES ('shopify', 'migr.myshopify.com', 'USD', 'UTC',"
            " 'active', 's', 'w', CURRENT_TIMESTAMP)"))

    downgrade(empty_engine, "base")

    assert user_tables(empty_engine) == ["alembic_version"]
    assert current_revision(empty_engine) is None
    if empty_engine.dialect.name == "postgresql":
        assert inspect(empty_engine).get_sequence_names() == []
    with pytest.raises(SchemaOutOfDate, match="loyalty db upgrade"):
        check_schema(empty_engine)

    upgrade(empty_engine)

    assert current_revision(empty_engine) == head_revision()
    check_schema(empty_engine)
    assert schema_diff(empty_engine) == []
    with empty_engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM shops")).scalar_one() == 0


def test_upgrade_at_head_is_a_no_op(empty_engine):
    upgrade(empty_engine)
    upgrade(empty_engine)
    assert current_revision(empty_engine) == head_revision()
    with empty_engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM alembic_version")).scalar_one() == 1
