"""The ``/admin`` blueprint: its pages, and the checks every request passes first."""
from __future__ import annotations

from flask import Blueprint
from flask_wtf.csrf import generate_csrf

from . import (api_keys, auth, customers, deliveries, earning, emails, imports, overview, program,
               rewards, settings, tiers, webhook_endpoints)
from .guard import check_request, require_sign_in, secure_headers, template_globals
from .pages import register_error_pages


def build_blueprint() -> Blueprint:
    bp = Blueprint("dashboard", __name__, url_prefix="/admin", template_folder="templates",
                   static_folder="static", static_url_path="/static")
    bp.before_request(check_request)
    bp.before_request(require_sign_in)
    bp.after_request(secure_headers)
    bp.context_processor(template_globals)
    # Macros imported by templates see globals, not the request's context.
    bp.add_app_template_global(generate_csrf, "csrf_token")
    for child in (auth.bp, overview.bp, customers.bp, program.bp, earning.bp, tiers.bp, rewards.bp,
                  deliveries.bp, imports.bp, settings.bp, emails.bp, api_keys.bp, webhook_endpoints.bp):
        bp.register_blueprint(child)
    register_error_pages(bp)
    return bp

