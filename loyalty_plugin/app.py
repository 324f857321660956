"""The application factory: the composition root of the service."""
from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from typing import Any

from flask import Flask, jsonify
from sqlalchemy import text
from werkzeug.routing import IntegerConverter

from . import db
from .config import load_config
from .errors import register_error_handlers
from .json_responses import OrjsonProvider
from .migrate import check_schema


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    app = Flask("loyalty_plugin", instance_relative_config=True)
    register_config(app, config)
    register_logging(app)
    database = db.init_app(app, app.config.get("LOYALTY_DATABASE"))
    register_error_handlers(app)
    register_jobs(app)
    register_providers(app)
    register_blueprints(app)
    register_cli(app)
    if app.config["LOYALTY_SCHEMA_CHECK"]:
        check_schema(database.engine)
    return app


def register_config(app: Flask, config: Mapping[str, Any] | None) -> None:
    app.config.update(load_config(app.instance_path, config))
    app.config["SECRET_KEY"] = app.config["LOYALTY_SECRET_KEY"]
    app.config["MAX_CONTENT_LENGTH"] = app.config["LOYALTY_MAX_BODY_BYTES"]
    app.json = OrjsonProvider(app)
    app.json.sort_keys = False
    if app.config["LOYALTY_DATABASE_URL"].startswith("sqlite:///" + app.instance_path):
        os.makedirs(app.instance_path, exist_ok=True)


def register_logging(app: Flask) -> None:
    level = str(app.config["LOYALTY_LOG_LEVEL"]).upper()
    logging.getLogger("loyalty_plugin").setLevel(level)
    logging.getLogger("webhooks").setLevel(level)
    if not logging.getLogger().handlers:
        logging.basicConfig(format="%(asctime)s %(levelname)s %(name)s %(message)s")


class RowId(IntegerConverter):
    """``<int:...>`` in every route: an id no BIGINT column can hold becomes 0, which no row
    has, so the view answers its own 404 instead of the database raising an overflow."""

    def to_python(self, value: str) -> int:
        number = super().to_python(value)
        return number if number <= 2 ** 63 - 1 else 0


def register_providers(app: Flask) -> None:
    from .providers import discounts

    # LOYALTY_DISCOUNT_PROVIDERS: a callable shop -> provider, for tests and custom set-ups.
    discounts.init_app(app, app.config.get("LOYALTY_DISCOUNT_PROVIDERS"))


def register_blueprints(app: Flask) -> None:
    app.url_map.converters["int"] = RowId
    # The only place the core reaches into the edge packages.
    import webhooks
    import widgets

    from . import api, dashboard, install

    api.register(app)
    install.register(app)
    dashboard.register(app)
    webhooks.register(app)
    widgets.register(app)

    @app.get("/healthz")
    def healthz():
        db.get_session().execute(text("SELECT 1"))
        return jsonify(status="ok")


def register_jobs(app: Flask) -> None:
    from .jobs.registry import register_core_jobs

    register_core_jobs(app)


def register_cli(app: Flask) -> None:
    from .cli import register_commands

    register_commands(app)
