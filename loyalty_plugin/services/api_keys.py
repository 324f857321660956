"""Admin API keys: random, shown once, kept only as a SHA-256 digest."""
from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import ApiKey, ApiKeyScope

KEY_PREFIX = "lk_"


def hash_key(key: str) -> str:
    # The keys carry 256 random bits, so a fast hash is enough; no salt or stretching needed.
    return hashlib.sha256(key.encode()).hexdigest()


def create_api_key(session: Session, shop_id: int, *, name: str, now: dt.datetime,
                   scope: ApiKeyScope = ApiKeyScope.READ_WRITE) -> str:
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    session.add(ApiKey(shop_id=shop_id, name=name, prefix=key[:10], key_hash=hash_key(key),
                       scope=scope, created_at=now))
    session.flush()
    return key


def authenticate(session: Session, key: str) -> ApiKey | None:
    if not key.startswith(KEY_PREFIX) or len(key) > 200:
        return None
    return session.execute(select(ApiKey).where(
        ApiKey.key_hash == hash_key(key), ApiKey.revoked_at.is_(None))).scalar_one_or_none()
