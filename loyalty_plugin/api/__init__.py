"""The admin JSON API under ``/api/v1``: load schema, call a service, dump schema."""
from __future__ import annotations

from flask import Blueprint, Flask

from .codes import bp as codes_bp
from .customers import bp as customers_bp
from .tiers import bp as tiers_bp
from .widget_settings import bp as widget_settings_bp
from .redemptions import bp as redemptions_bp
from .rewards import bp as rewards_bp


def register(app: Flask) -> None:
    api = Blueprint("api", __name__, url_prefix="/api/v1")
    api.register_blueprint(customers_bp)
    api.register_blueprint(tiers_bp)
    api.register_blueprint(widget_settings_bp)
    api.register_blueprint(rewards_bp)
    api.register_blueprint(redemptions_bp)
    api.register_blueprint(codes_bp)
    app.register_blueprint(api)
