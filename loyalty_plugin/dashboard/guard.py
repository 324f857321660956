"""What every dashboard request passes: text the database can store, a CSRF token on
every POST, a valid sign-in on every page but the sign-in pages; and the headers
every answer carries."""
from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Response, g, redirect, request, session, url_for
from flask_wtf.csrf import CSRFError, validate_csrf
from wtforms.validators import ValidationError

from ..db import get_session
from ..errors import BadRequest, Forbidden
from ..models import DashboardUser, Shop
from ..services.dashboard_users import get_user, session_valid
from ..services.shops import get_shop

# Endpoints a visitor who is not signed in may reach.
PUBLIC_ENDPOINTS = frozenset({"dashboard.auth.sign_in", "dashboard.auth.link", "dashboard.static"})

CONTENT_SECURITY_POLICY = "; ".join((
    "default-src 'none'", "script-src 'self'", "style-src 'self'", "img-src 'self' data:",
    "connect-src 'self'", "frame-src 'self'", "form-action 'self'", "base-uri 'none'",
    "frame-ancestors 'self'",
))


def check_request() -> None:
    values = [*(request.view_args or {}).values(), *request.args.values(), *request.args.keys()]
    if request.method == "POST":
        values += [*request.form.values(), *request.form.keys()]
    if any(isinstance(value, str) and "\x00" in value for value in values):
        raise BadRequest("The request contains a NUL character.")
    if request.method == "POST":
        try:
            validate_csrf(request.form.get("csrf_token"))
        except (ValidationError, CSRFError) as exc:
            raise Forbidden(f"The form's security token is missing or stale ({exc}); reload the "
                            "page and try again.") from None


def require_sign_in() -> Response | None:
    if request.endpoint in PUBLIC_ENDPOINTS:
        return None
    user = signed_in_user()
    if user is None:
        session.pop("user_id", None)
        return redirect(url_for("dashboard.auth.sign_in", next=request.full_path
                                if request.method == "GET" else None))
    shop = get_shop(get_session(), user.shop_id)
    if shop is None:
        return redirect(url_for("dashboard.auth.sign_in"))
    g.dashboard_user, g.shop = user, shop
    return None


def signed_in_user() -> DashboardUser | None:
    user_id, shop_id, signed_in_at = (session.get(k) for k in ("user_id", "shop_id", "signed_in_at"))
    if not isinstance(user_id, int) or not isinstance(signed_in_at, (int, float)):
        return None
    user = get_user(get_session(), user_id)
    when = dt.datetime.fromtimestamp(signed_in_at, dt.timezone.utc)
    if user is None or user.shop_id != shop_id or not session_valid(user, when):
        return None
    return user


def start_session(user: DashboardUser, now: dt.datetime) -> None:
    """A fresh session (a new CSRF token too), so nothing from before the sign-in carries over."""
    session.clear()
    session.permanent = True
    session.update(user_id=user.id, shop_id=user.shop_id, signed_in_at=now.timestamp())


def current_shop() -> Shop:
    return g.shop


def current_user() -> DashboardUser:
    return g.dashboard_user


def secure_headers(response: Response) -> Response:
    response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers.setdefault("X-Frame-Options", "SAMEORIGIN")
    if request.endpoint != "dashboard.static":
        response.headers["Cache-Control"] = "no-store"
    return response


def template_globals() -> dict[str, Any]:
    return {"user": g.get("dashboard_user"), "shop": g.get("shop")}
