"""The shop owner's dashboard under ``/admin``: server-rendered pages, no build step.

Every page is scoped by the signed-in user's shop; no shop id is ever read from
the URL or a form. Every POST carries the session's CSRF token.
"""
from __future__ import annotations

import datetime as dt

from flask import Flask, Request
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface


def register(app: Flask) -> None:
    from .blueprint import build_blueprint

    configure_session(app)
    app.register_blueprint(build_blueprint())


def configure_session(app: Flask) -> None:
    hours = int(app.config["LOYALTY_DASHBOARD_SESSION_HOURS"])
    app.config.update(
        SESSION_COOKIE_NAME="loyalty_dashboard",
        SESSION_COOKIE_PATH="/admin",
        SESSION_COOKIE_SECURE=bool(app.config["LOYALTY_COOKIE_SECURE"]),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        PERMANENT_SESSION_LIFETIME=dt.timedelta(hours=hours),
        # A form's token lives as long as the sign-in it belongs to.
        WTF_CSRF_TIME_LIMIT=hours * 3600,
    )
    app.session_interface = DashboardCookieSessions()


class DashboardCookieSessions(SecureCookieSessionInterface):
    """Flask's signed cookie sessions, opened for free on requests that bring no cookie.

    Only the dashboard's pages send one; every webhook, widget and API request would
    otherwise build the cookie's signer just to find nothing to read.
    """

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        # Most requests send no Cookie header at all: say so before werkzeug parses one.
        if app.secret_key and ("HTTP_COOKIE" not in request.environ
                               or not request.cookies.get(self.get_cookie_name(app))):
            return self.session_class()
        return super().open_session(app, request)
