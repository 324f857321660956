"""Signing in (password or one-time link) and signing out."""
from __future__ import annotations

import re
from urllib.parse import unquote, urlsplit

from flask import Blueprint, current_app, redirect, request, session, url_for
from sqlalchemy import select

from ..db import get_session
from ..errors import RateLimited
from ..models import DashboardUser, Shop, utcnow
from ..services import dashboard_users, rate_limits
from .forms import Form, form_values
from .guard import current_user, start_session
from .pages import page

bp = Blueprint("auth", __name__)

WRONG = "The shop, email or password is wrong."
# /admin or a path under it, in the printable ASCII a URL is made of.
NEXT_PATH = re.compile(r"/admin(?:/[A-Za-z0-9\-._~%!$&'()*+,;=:@/?]*)?")
MAX_NEXT = 2000


@bp.route("/sign-in", methods=["GET", "POST"])
def sign_in():
    form = Form(values=form_values(request.form if request.method == "POST" else request.args,
                                   ("shop", "email")))
    if request.method == "GET":
        return page("sign_in.html", form=form, next=safe_next(request.args.get("next")))
    session_db = get_session()
    shops = matching_shops(form.values["shop"])
    email = form.values["email"].lower()
    count_attempt(shops, email)
    session_db.commit()  # the attempt counts even when it fails
    user = dashboard_users.authenticate(session_db, shops, email, request.form.get("password", ""))
    if user is None:
        form.message = WRONG
        return page("sign_in.html", 401, form=form, next=safe_next(request.form.get("next")))
    return finish_sign_in(user, safe_next(request.form.get("next")))


@bp.route("/link/<token>", methods=["GET", "POST"])
def link(token: str):
    session_db = get_session()
    now = utcnow()
    if request.method == "GET":
        # Following the link only shows a button: a mail scanner's prefetch spends nothing.
        usable = dashboard_users.link_usable(session_db, token, now)
        return page("link.html", 200 if usable else 400, usable=usable)
    user = dashboard_users.spend_link(session_db, token, now)
    if user is None:
        return page("link.html", 400, usable=False)
    return finish_sign_in(user, None)


@bp.post("/sign-out")
def sign_out():
    dashboard_users.end_sessions(current_user(), utcnow())
    get_session().commit()
    session.clear()
    return redirect(url_for("dashboard.auth.sign_in"), 303)


def finish_sign_in(user: DashboardUser, next_url: str | None):
    now = utcnow()
    dashboard_users.record_sign_in(user, now)
    get_session().commit()
    start_session(user, now)
    return redirect(next_url or url_for("dashboard.overview.index"), 303)


def matching_shops(text: str) -> list[Shop]:
    """The shop by id or domain; a domain may name one shop per platform."""
    if not text or len(text) > 255:
        return []
    stmt = select(Shop)
    if text.isascii() and text.isdigit():
        number = int(text)
        if number > 2 ** 63 - 1:
            return []
        stmt = stmt.where(Shop.id == number)
    else:
        stmt = stmt.where(Shop.domain == text.strip().lower().removeprefix("https://").rstrip("/"))
    return list(get_session().execute(stmt.order_by(Shop.id).limit(5)).scalars())


def count_attempt(shops: list[Shop], email: str) -> None:
    """Count the attempt per shop and email and per shop and address; too many is a 429."""
    config = current_app.config
    limit, window = int(config["LOYALTY_SIGN_IN_LIMIT"]), int(config["LOYALTY_SIGN_IN_WINDOW"])
    now = utcnow()
    refused = []
    for shop in shops:
        for subject in (f"dashboard-sign-in:{email[:120]}", f"dashboard-sign-in-ip:{request.remote_addr}"):
            decision = rate_limits.hit(get_session(), shop_id=shop.id, subject=subject, limit=limit,
                                       window_seconds=window, now=now)
            if not decision.allowed:
                refused.append(decision.retry_after)
    if refused:
        get_session().commit()
        raise RateLimited("Too many sign-in attempts; wait a while and try again.",
                          retry_after=max(refused))


def safe_next(value: str | None) -> str | None:
    """Only a dashboard path on this site: never another host, never a path that climbs out
    of ``/admin`` (browsers resolve ``..`` and ``%2e%2e`` before they ask), never a control
    character (a header can't hold one)."""
    if not value or len(value) > MAX_NEXT or not NEXT_PATH.fullmatch(value):
        return None
    path = urlsplit(value).path
    if "//" in path or any(unquote(segment) in (".", "..") for segment in path.split("/")):
        return None
    return value
