"""Signing in to the dashboard: passwords, one-time links, sign-out, CSRF and the cookie."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from loyalty_plugin.models import DashboardUser, SignInLink, utcnow
from loyalty_plugin.services.dashboard_users import create_link
from tests.dashboard_support import HOST, PASSWORD, csrf_of, dashboard_client, make_user, post, sign_in
from tests.factories import make_shop


@pytest.fixture
def client(app):
    return dashboard_client(app)


@pytest.fixture
def shop(session):
    shop, _ = make_shop(session, domain="owned.myshopify.com")
    session.commit()
    return shop


def test_pages_need_a_sign_in(client):
    response = client.get("/admin/customers")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/admin/sign-in?next=/admin/customers")


def test_password_sign_in_opens_the_overview_and_sets_a_safe_cookie(client, session, shop):
    make_user(session, shop)
    response = sign_in(client, shop)
    assert response.headers["Location"] == "/admin/"
    cookie = response.headers["Set-Cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Path=/admin" in cookie
    page = client.get("/admin/")
    assert page.status_code == 200 and "owner@example.com" in page.get_data(as_text=True)
    assert page.headers["Cache-Control"] == "no-store"
    assert "default-src 'none'" in page.headers["Content-Security-Policy"]
    user = session.execute(select(DashboardUser)).scalar_one()
    session.refresh(user)
    assert user.last_sign_in_at is not None


def test_the_shop_can_be_named_by_domain(client, session, shop):
    make_user(session, shop)
    response = client.post("/admin/sign-in", data={
        "shop": "owned.myshopify.com", "email": "OWNER@example.com", "password": PASSWORD,
        "csrf_token": csrf_of(client)})
    assert response.status_code == 303


@pytest.mark.parametrize("field, value", [("password", "wrong password!"), ("email", "other@example.com"),
                                          ("shop", "999999"), ("shop", "nowhere.example")])
def test_a_wrong_shop_email_or_password_is_refused_alike(client, session, shop, field, value):
    make_user(session, shop)
    data = {"shop": str(shop.id), "email": "owner@example.com", "password": PASSWORD, field: value}
    response = client.post("/admin/sign-in", data={**data, "csrf_token": csrf_of(client)})
    assert response.status_code == 401
    assert "The shop, email or password is wrong." in response.get_data(as_text=True)
    assert client.get("/admin/").status_code == 302


def test_sign_in_attempts_are_rate_limited(app, client, session, shop):
    app.config["LOYALTY_SIGN_IN_LIMIT"] = 3
    make_user(session, shop)
    data = {"shop": str(shop.id), "email": "owner@example.com", "password": "not it at all"}
    statuses = [client.post("/admin/sign-in", data={**data, "csrf_token": csrf_of(client)}).status_code
                for _ in range(4)]
    assert statuses == [401, 401, 401, 429]
    # Even the right password waits for the window to turn.
    right = client.post("/admin/sign-in", data={**data, "password": PASSWORD,
                                                "csrf_token": csrf_of(client)})
    assert right.status_code == 429 and int(right.headers["Retry-After"]) > 0


def test_a_post_without_the_csrf_token_is_refused(client, session, shop):
    make_user(session, shop)
    response = client.post("/admin/sign-in", data={"shop": str(shop.id), "email": "owner@example.com",
                                                   "password": PASSWORD})
    assert response.status_code == 403
    sign_in(client, shop)
    assert client.post("/admin/sign-out", data={"csrf_token": "forged"}).status_code == 403
    assert client.get("/admin/").status_code == 200  # still signed in


def test_a_link_signs_in_once(client, session, shop):
    link = create_link(session, shop, None, utcnow())
    session.commit()
    assert link.user.email == "owner@owned.myshopify.com"
    path = f"/admin/link/{link.token}"
    page = client.get(path)
    assert page.status_code == 200 and "Sign in with this link" in page.get_data(as_text=True)
    response = client.post(path, data={"csrf_token": csrf_of(client, path)})
    assert response.status_code == 303 and response.headers["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200
    # The token is stored only as its digest, and spent.
    stored = session.execute(select(SignInLink)).scalar_one()
    assert link.token not in stored.token_hash and stored.used_at is not None

    other = dashboard_client(client.application)
    assert other.get(path).status_code == 400
    assert other.post(path, data={"csrf_token": csrf_of(other)}).status_code == 400
    assert other.get("/admin/").status_code == 302


def test_an_expired_link_is_refused(client, session, shop):
    link = create_link(session, shop, "late@example.com", utcnow() - dt.timedelta(minutes=16))
    session.commit()
    path = f"/admin/link/{link.token}"
    assert client.get(path).status_code == 400
    assert client.post(path, data={"csrf_token": csrf_of(client)}).status_code == 400
    assert client.get("/admin/").status_code == 302


def test_sign_out_ends_the_session_even_for_a_copied_cookie(client, session, shop):
    make_user(session, shop)
    sign_in(client, shop)
    copied = client.get_cookie("loyalty_dashboard", path="/admin").value
    response = post(client, "/admin/sign-out")
    assert response.status_code == 303
    assert client.get("/admin/").status_code == 302
    thief = dashboard_client(client.application)
    thief.set_cookie("loyalty_dashboard", copied, path="/admin", domain=HOST)
    assert thief.get("/admin/").status_code == 302


def test_next_only_leads_to_a_dashboard_page(client, session, shop):
    make_user(session, shop)
    for target, expected in (("/admin/customers", "/admin/customers"), ("https://evil.example/", "/admin/"),
                             ("//evil.example/admin", "/admin/")):
        response = client.post("/admin/sign-in", data={
            "shop": str(shop.id), "email": "owner@example.com", "password": PASSWORD, "next": target,
            "csrf_token": csrf_of(client)})
        assert response.headers["Location"] == expected


def test_cli_creates_a_user_and_prints_a_link(app, session, shop):
    runner = app.test_cli_runner()
    created = runner.invoke(args=["admin", "user", "create", "--shop", str(shop.id), "--email",
                                      "Staff@Example.com", "--password-stdin"],
                            input="a long enough password\n")
    assert created.exit_code == 0, created.output
    assert "staff@example.com" in created.output
    too_short = runner.invoke(args=["admin", "user", "create", "--shop", str(shop.id), "--email",
                                        "second@example.com", "--password-stdin"], input="short\n")
    assert too_short.exit_code == 1 and "10 to 1024" in too_short.output
    printed = runner.invoke(args=["admin", "link", "--shop", str(shop.id), "--email",
                                      "staff@example.com"])
    assert printed.exit_code == 0, printed.output
    url = printed.output.splitlines()[0]
    assert url.startswith("https://loyalty.example.test/admin/link/")
    client = dashboard_client(app)
    path = url.removeprefix("https://loyalty.example.test")
    assert client.post(path, data={"csrf_token": csrf_of(client, path)}).status_code == 303
    assert "staff@example.com" in client.get("/admin/").get_data(as_text=True)
    unknown = runner.invoke(args=["admin", "link", "--shop", "999999"])
    assert unknown.exit_code == 1 and "No shop with id 999999" in unknown.output


def test_signing_in_starts_a_new_session_and_a_new_form_token(client, session, shop):
    make_user(session, shop)
    before = csrf_of(client)
    planted = client.get_cookie("loyalty_dashboard", path="/admin").value
    sign_in(client, shop)
    after = csrf_of(client, "/admin/")
    assert after != before
    assert client.get_cookie("loyalty_dashboard", path="/admin").value != planted
    # A token (or cookie) an attacker obtained before the sign-in is worth nothing after it.
    assert client.post("/admin/sign-out", data={"csrf_token": before}).status_code == 403
    fixed = dashboard_client(client.application)
    fixed.set_cookie("loyalty_dashboard", planted, path="/admin", domain=HOST)
    assert fixed.get("/admin/").status_code == 302


@pytest.mark.parametrize("target", [
    "https://evil.example/", "//evil.example/admin", "/\\evil.example", "/admin\\@evil.example",
    "http:/admin", "/admin\r\nSet-Cookie: x=1", "/admin\n", "javascript:alert(1)", " /admin",
    "/admin/../../evil", "/admin/%2e%2e/evil", "/admin/.%2E/%2e/evil", "/administrator",
    "/admin" + "x" * 5000, "/admin/" + "x" * 5000, "/admin/é"])
def test_next_never_leaves_the_dashboard(client, session, shop, target):
    make_user(session, shop)
    response = client.post("/admin/sign-in", data={
        "shop": str(shop.id), "email": "owner@example.com", "password": PASSWORD, "next": target,
        "csrf_token": csrf_of(client)})
    assert response.status_code == 303
    location = response.headers["Location"]
    assert location.startswith("/admin/") and "\n" not in location and "\r" not in location
    assert "evil" not in location and ".." not in location
    assert len(location) < 2100


def test_a_link_cannot_be_replayed_even_by_the_browser_that_used_it(client, session, shop):
    link = create_link(session, shop, None, utcnow())
    session.commit()
    path = f"/admin/link/{link.token}"
    assert client.post(path, data={"csrf_token": csrf_of(client, path)}).status_code == 303
    assert post(client, "/admin/sign-out").status_code == 303
    again = client.post(path, data={"csrf_token": csrf_of(client)})
    assert again.status_code == 400
    assert client.get("/admin/").status_code == 302
    # A token of the right shape that was never issued is refused the same way.
    forged = f"/admin/link/{link.token[:-4]}abcd"
    assert client.post(forged, data={"csrf_token": csrf_of(client)}).status_code == 400


def test_only_the_dashboard_cookie_opens_a_stored_session(client, session, shop):
    make_user(session, shop)
    sign_in(client, shop)
    assert client.get("/admin/").status_code == 200  # the cookie's session is read
    client.delete_cookie("loyalty_dashboard", path="/admin")
    # Without the cookie: an empty session, and none is written back to a request that set nothing.
    response = client.get("/admin/")
    assert response.status_code == 302 and "Set-Cookie" not in response.headers
    assert "Set-Cookie" not in client.get("/healthz").headers
