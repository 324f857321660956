"""The admin JSON API under ``/api/v1``: load schema, call a service, dump schema."""
from __future__ import annotations

from flask import Blueprint, Flask

from .analytics import bp as analytics_bp
from .api_keys import bp as api_keys_bp
from .birthdays import bp as birthdays_bp
from .codes import bp as codes_bp
from .customers import bp as customers_bp
from .deliveries import bp as deliveries_bp
from .docs import bp as docs_bp
from .email import bp as email_bp
from .expiry import bp as expiry_bp
from .exports import bp as exports_bp
from .helpers import reject_nul_characters
from .program_settings import bp as program_settings_bp
from .redemptions import bp as redemptions_bp
from .referrals import bp as referrals_bp
from .rewards import bp as rewards_bp
from .tiers import bp as tiers_bp
from .webhooks import bp as webhooks_bp
from .widget_settings import bp as widget_settings_bp


def register(app: Flask) -> None:
    api = Blueprint("api", __name__, url_prefix="/api/v1")
    api.before_request(reject_nul_characters)
    api.register_blueprint(customers_bp)
    api.register_blueprint(program_settings_bp)
    api.register_blueprint(tiers_bp)
    api.register_blueprint(expiry_bp)
    api.register_blueprint(webhooks_bp)
    api.register_blueprint(email_bp)
    api.register_blueprint(exports_bp)
    api.register_blueprint(birthdays_bp)
    api.register_blueprint(referrals_bp)
    api.register_blueprint(widget_settings_bp)
    api.register_blueprint(rewards_bp)
    api.register_blueprint(redemptions_bp)
    api.register_blueprint(codes_bp)
    api.register_blueprint(api_keys_bp)
    api.register_blueprint(deliveries_bp)
    api.register_blueprint(analytics_bp)
    api.register_blueprint(docs_bp)
    app.register_blueprint(api)
