"""Signing in to the dashboard from a test client, and the CSRF token of a page."""
from __future__ import annotations

import re

from loyalty_plugin.models import utcnow
from loyalty_plugin.services.dashboard_users import create_user
from tests.factories import make_shop

PASSWORD = "correct horse battery"
_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')
_FORM_TOKEN = re.compile(r'name="form_token" value="([0-9a-f]{32})"')
HOST = "loyalty.example.test"


def dashboard_client(app):
    """A test client that speaks https, as the Secure session cookie needs."""
    client = app.test_client()
    client.environ_base.update({"wsgi.url_scheme": "https", "HTTP_HOST": HOST})
    return client


def make_user(session, shop, email: str = "owner@example.com", password: str | None = PASSWORD):
    user = create_user(session, shop, email, password, utcnow())
    session.commit()
    return user


def csrf_of(client, path: str = "/admin/sign-in") -> str:
    page = client.get(path).get_data(as_text=True)
    match = _TOKEN.search(page)
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def form_token_of(client, path: str) -> str:
    """The one-time token of the (first) form on ``path`` that carries one."""
    match = _FORM_TOKEN.search(client.get(path).get_data(as_text=True))
    assert match, f"no form token on {path}"
    return match.group(1)


def sign_in(client, shop, email: str = "owner@example.com", password: str = PASSWORD):
    response = client.post("/admin/sign-in", data={
        "shop": str(shop.id), "email": email, "password": password, "csrf_token": csrf_of(client)})
    assert response.status_code == 303, response.get_data(as_text=True)
    return response


def post(client, path: str, data: dict | None = None, *, page: str = "/admin/", **kwargs):
    """A form POST carrying the session's CSRF token, read from ``page``."""
    return client.post(path, data={**(data or {}), "csrf_token": csrf_of(client, page)}, **kwargs)


def shop_with_owner(session):
    """A shop whose owner can sign in with ``PASSWORD``."""
    shop, _ = make_shop(session)
    make_user(session, shop)
    return shop


def signed_in_client(app, shop):
    client = dashboard_client(app)
    sign_in(client, shop)
    return client
