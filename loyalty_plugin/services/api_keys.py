"""Admin API keys: random, shown once, kept only as a SHA-256 digest.

A shop always keeps one live read-write key: revoking its last one is refused, since
nothing else could then create keys or change the program through the API.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..errors import Conflict, ErrorCode, NotFound
from ..models import ApiKey, ApiKeyScope

KEY_PREFIX = "lk_"


def hash_key(key: str) -> str:
    # The keys carry 256 random bits, so a fast hash is enough; no salt or stretching needed.
    return hashlib.sha256(key.encode()).hexdigest()


def create_api_key(session: Session, shop_id: int, *, name: str, now: dt.datetime,
                   scope: ApiKeyScope = ApiKeyScope.READ_WRITE) -> str:
    return issue_api_key(session, shop_id, name=name, now=now, scope=scope)[1]


def issue_api_key(session: Session, shop_id: int, *, name: str, now: dt.datetime,
                  scope: ApiKeyScope) -> tuple[ApiKey, str]:
    """A new key's row and the key itself, which is not kept anywhere."""
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    row = ApiKey(shop_id=shop_id, name=name, prefix=key[:10], key_hash=hash_key(key), scope=scope,
                 created_at=now)
    session.add(row)
    session.flush()
    return row, key


def authenticate(session: Session, key: str) -> ApiKey | None:
    if not key.startswith(KEY_PREFIX) or len(key) > 200:
        return None
    return session.execute(select(ApiKey).where(
        ApiKey.key_hash == hash_key(key), ApiKey.revoked_at.is_(None))).scalar_one_or_none()


def list_api_keys(session: Session, shop_id: int) -> list[ApiKey]:
    """Every key of the shop, revoked ones too, newest first."""
    return list(session.execute(select(ApiKey).where(ApiKey.shop_id == shop_id)
                                .order_by(ApiKey.id.desc())).scalars())


def get_api_key(session: Session, shop_id: int, key_id: int) -> ApiKey:
    key = session.get(ApiKey, key_id)
    if key is None or key.shop_id != shop_id:
        raise NotFound(f"No API key with id {key_id} in this shop.", code=ErrorCode.API_KEY_NOT_FOUND)
    return key


def revoke_api_key(session: Session, shop_id: int, key_id: int, now: dt.datetime) -> ApiKey:
    """Revoke a key at once; revoking a revoked key changes nothing."""
    key = session.execute(select(ApiKey).where(ApiKey.id == key_id, ApiKey.shop_id == shop_id)
                          .with_for_update()).scalar_one_or_none()
    if key is None:
        raise NotFound(f"No API key with id {key_id} in this shop.", code=ErrorCode.API_KEY_NOT_FOUND)
    if key.revoked_at is not None:
        return key
    if key.scope is ApiKeyScope.READ_WRITE and _live_write_keys(session, shop_id) <= 1:
        raise Conflict("This is the shop's last read-write key; create another before revoking it.",
                       code=ErrorCode.LAST_WRITE_KEY)
    key.revoked_at = now
    session.flush()
    return key


def _live_write_keys(session: Session, shop_id: int) -> int:
    # Locks the shop's live write keys so two revocations cannot each see the other's key alive.
    ids = session.execute(select(ApiKey.id).where(
        ApiKey.shop_id == shop_id, ApiKey.scope == ApiKeyScope.READ_WRITE,
        ApiKey.revoked_at.is_(None)).with_for_update()).scalars().all()
    return len(ids)
