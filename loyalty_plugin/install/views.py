"""``GET /install/shopify`` and its OAuth callback: thin views over ``flow``.

Answers are HTML pages for a browser and JSON for a client that asks for it;
every refusal is a 4xx (or 502 when Shopify fails us), never a 500.
"""
from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, current_app, jsonify, redirect, render_template, request

from ..db import get_db
from ..encryption import box_from_config
from ..errors import BadRequest, ErrorCode, LoyaltyError, ProviderError, error_body
from ..models import utcnow
from ..providers.shopify_oauth import ShopifyApp
from . import oauth
from .flow import Installed, begin_install, finish_install

bp = Blueprint("install", __name__, url_prefix="/install", template_folder="templates")

STATE_COOKIE = "loyalty_shopify_state"
COOKIE_PATH = "/install/shopify"
MAX_PARAM_LENGTH = 2048


class AppNotConfigured(LoyaltyError):
    status = 503
    code = ErrorCode.PROVIDER_NOT_CONFIGURED


@bp.get("/shopify")
def shopify_install():
    url, state = begin_install(configured_app(), query_params(), secret_key=current_app.secret_key,
                               redirect_uri=callback_url(), now=utcnow())
    response = redirect(url, 302)
    response.set_cookie(STATE_COOKIE, state, max_age=int(oauth.STATE_LIFETIME.total_seconds()),
                        path=COOKIE_PATH, httponly=True, samesite="Lax",
                        secure=current_app.config["LOYALTY_PUBLIC_URL"].startswith("https://"))
    return response


@bp.get("/shopify/callback")
def shopify_callback():
    installed = finish_install(
        get_db(), configured_app(), box_from_config(current_app.config), query_params(),
        browser_state=request.cookies.get(STATE_COOKIE), secret_key=current_app.secret_key,
        public_url=current_app.config["LOYALTY_PUBLIC_URL"], http=None, now=utcnow())
    response = _answer(200, _connected_json(installed), "install/connected.html", installed=installed)
    response.delete_cookie(STATE_COOKIE, path=COOKIE_PATH)
    return response


@bp.errorhandler(LoyaltyError)
def install_refused(exc: LoyaltyError):
    # A platform failing us is a bad gateway here, whatever the retry advice elsewhere.
    status = 502 if isinstance(exc, ProviderError) else exc.status
    return _answer(status, error_body(exc.code, exc.message, exc.details), "install/refused.html",
                   message=exc.message, code=status)


def configured_app() -> ShopifyApp:
    app = ShopifyApp.from_config(current_app.config)
    if app is None:
        raise AppNotConfigured("The Shopify app is not configured on this service: set "
                               "LOYALTY_SHOPIFY_API_KEY and LOYALTY_SHOPIFY_API_SECRET.")
    if current_app.config.get("LOYALTY_SECRET_KEY_GENERATED"):
        raise AppNotConfigured("Set LOYALTY_SECRET_KEY first: installs sign their state and store "
                               "the shop's token encrypted with it.")
    return app


def callback_url() -> str:
    return current_app.config["LOYALTY_PUBLIC_URL"].rstrip("/") + COOKIE_PATH + "/callback"


def query_params() -> dict[str, str]:
    """The query as single values; a repeated or oversized parameter is refused, not guessed at."""
    params: dict[str, str] = {}
    for name, values in request.args.lists():
        if len(values) != 1 or len(values[0]) > MAX_PARAM_LENGTH or len(name) > 64:
            raise BadRequest(f"The query parameter {name[:64]!r} is repeated or too long.",
                             details={"field": name[:64]})
        params[name] = values[0]
    return params


def _connected_json(installed: Installed) -> dict[str, Any]:
    return {"status": "connected", "shop": {"id": installed.shop_id, "domain": installed.domain},
            "created": installed.created, "reactivated": installed.reactivated,
            "api_key": installed.api_key, "webhook_url": installed.webhook_url,
            "webhooks": installed.webhooks.as_dict()}


def _answer(status: int, body: dict, template: str, **context: Any) -> Response:
    if request.accept_mimetypes.best_match(["text/html", "application/json"]) == "application/json":
        response = jsonify(body)
    else:
        response = Response(render_template(template, **context), mimetype="text/html")
    response.status_code = status
    # The page may show an API key once; no cache may keep it.
    response.headers["Cache-Control"] = "no-store"
    return response
