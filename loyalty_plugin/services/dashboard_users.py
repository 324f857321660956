"""Dashboard users: passwords, one-time sign-in links, sign-in and sign-out.

A password is kept only as werkzeug's salted hash; a link's token only as its
SHA-256, so neither a database dump nor a log can be replayed as a sign-in.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import logging
import secrets
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from ..errors import Conflict, Unprocessable
from ..models import DashboardUser, Shop, SignInLink
from .accounts import normalise_email

log = logging.getLogger(__name__)

LINK_LIFETIME = dt.timedelta(minutes=15)
MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 1024
# Checked when no user matches, so a wrong email costs as long as a wrong password.
_DUMMY_HASH = generate_password_hash("not a password of anyone")


@dataclass(frozen=True)
class NewLink:
    token: str
    user: DashboardUser
    expires_at: dt.datetime


def checked_email(email: str | None) -> str:
    address = normalise_email(email)
    if not address or "@" not in address or len(address) > 320:
        raise Unprocessable("Give the user's email address.", details={"field": "email"})
    return address


def checked_password(password: str) -> str:
    if not MIN_PASSWORD_LENGTH <= len(password) <= MAX_PASSWORD_LENGTH:
        raise Unprocessable(f"The password must be {MIN_PASSWORD_LENGTH} to {MAX_PASSWORD_LENGTH} "
                            "characters long.", details={"field": "password"})
    return password


def find_user(session: Session, shop_id: int, email: str) -> DashboardUser | None:
    return session.execute(select(DashboardUser).where(
        DashboardUser.shop_id == shop_id, DashboardUser.email == normalise_email(email))
    ).scalar_one_or_none()


def get_user(session: Session, user_id: int) -> DashboardUser | None:
    return session.get(DashboardUser, user_id)


def create_user(session: Session, shop: Shop, email: str, password: str | None,
                now: dt.datetime) -> DashboardUser:
    address = checked_email(email)
    if find_user(session, shop.id, address) is not None:
        raise Conflict(f"Shop {shop.id} has a dashboard user {address} already.",
                       details={"field": "email"})
    user = DashboardUser(shop_id=shop.id, email=address, created_at=now,
                         password_hash=generate_password_hash(checked_password(password))
                         if password is not None else None)
    session.add(user)
    session.flush()
    log.info("dashboard user created shop=%s user=%s", shop.id, user.id)
    return user


def set_password(user: DashboardUser, password: str) -> None:
    user.password_hash = generate_password_hash(checked_password(password))


def authenticate(session: Session, shops: list[Shop], email: str, password: str) -> DashboardUser | None:
    """The user of one of ``shops`` with this email and password, else None."""
    password = password[:MAX_PASSWORD_LENGTH]
    users = [user for shop in shops
             if (user := find_user(session, shop.id, email)) is not None and user.password_hash]
    if not users:
        check_password_hash(_DUMMY_HASH, password)
        return None
    return next((user for user in users if check_password_hash(user.password_hash or "", password)),
                None)


def owner_user(session: Session, shop: Shop, now: dt.datetime) -> DashboardUser:
    """The shop's first user; made (without a password) when the shop has none yet."""
    user = session.execute(select(DashboardUser).where(DashboardUser.shop_id == shop.id)
                           .order_by(DashboardUser.id).limit(1)).scalar_one_or_none()
    if user is None:
        host = shop.domain.split(":")[0]
        user = create_user(session, shop, f"owner@{host}", None, now)
    return user


def create_link(session: Session, shop: Shop, email: str | None, now: dt.datetime) -> NewLink:
    """A one-time link for the user with ``email`` (made if new), or for the shop's owner."""
    if email is None:
        user = owner_user(session, shop, now)
    else:
        user = find_user(session, shop.id, checked_email(email)) or create_user(
            session, shop, email, None, now)
    token = secrets.token_urlsafe(32)
    link = SignInLink(shop_id=shop.id, user_id=user.id, token_hash=token_digest(token),
                      created_at=now, expires_at=now + LINK_LIFETIME)
    session.add(link)
    session.flush()
    log.info("dashboard sign-in link created shop=%s user=%s", shop.id, user.id)
    return NewLink(token=token, user=user, expires_at=link.expires_at)


def spend_link(session: Session, token: str, now: dt.datetime) -> DashboardUser | None:
    """The link's user, once: a conditional update makes two concurrent uses count as one."""
    if not token or len(token) > 128:
        return None
    digest = token_digest(token)
    spent = session.execute(update(SignInLink).where(
        SignInLink.token_hash == digest, SignInLink.used_at.is_(None), SignInLink.expires_at > now,
    ).values(used_at=now).execution_options(synchronize_session=False)).rowcount
    if not spent:
        return None
    user_id = session.execute(select(SignInLink.user_id).where(SignInLink.token_hash == digest)
                              ).scalar_one()
    return session.get(DashboardUser, user_id)


def link_usable(session: Session, token: str, now: dt.datetime) -> bool:
    if not token or len(token) > 128:
        return False
    return session.execute(select(SignInLink.id).where(
        SignInLink.token_hash == token_digest(token), SignInLink.used_at.is_(None),
        SignInLink.expires_at > now)).first() is not None


def record_sign_in(user: DashboardUser, now: dt.datetime) -> None:
    user.last_sign_in_at = now


def end_sessions(user: DashboardUser, now: dt.datetime) -> None:
    """Every session signed in up to now is refused from here on."""
    user.sessions_valid_after = now


def session_valid(user: DashboardUser, signed_in_at: dt.datetime) -> bool:
    return user.sessions_valid_after is None or signed_in_at > user.sessions_valid_after


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
