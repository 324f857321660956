"""Alembic, driven from the application: upgrade, and refuse to run on an old schema."""
from __future__ import annotations

import functools
import os
from collections.abc import Callable
from typing import Any

import click
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine

UPGRADE_HINT = "run `loyalty db upgrade`"


class SchemaOutOfDate(RuntimeError):
    pass


def script_location() -> str:
    from . import migrations  # the top-level migrations/ folder, shipped inside this package

    return os.path.dirname(os.path.abspath(migrations.__file__))


def alembic_config(engine: Engine | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", script_location())
    config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    command.upgrade(alembic_config(engine), revision)


def downgrade(engine: Engine, revision: str) -> None:
    command.downgrade(alembic_config(engine), revision)


def current_revision(bind: Engine | Connection) -> str | None:
    if isinstance(bind, Connection):
        return MigrationContext.configure(bind).get_current_revision()
    with bind.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def check_schema(bind: Engine | Connection) -> None:
    current, head = current_revision(bind), head_revision()
    if current != head:
        state = "is empty" if current is None else f"is at revision {current}"
        raise SchemaOutOfDate(f"The database {state}, the code needs {head}: {UPGRADE_HINT}.")


def requires_schema(func: Callable[..., Any]) -> Callable[..., Any]:
    """For CLI commands: stop with the upgrade hint instead of failing on a missing table."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from .db import get_db

        with get_db().transaction() as session:
            try:
                check_schema(session.connection())
            except SchemaOutOfDate as exc:
                raise click.ClickException(str(exc)) from None
        return func(*args, **kwargs)

    return wrapper
