"""A shop's platform API credentials: validated, encrypted on the way in, decrypted on demand.

Secrets are never logged and never part of an error message; logs name only
which fields changed.
"""
from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..encryption import DecryptionFailed, EncryptionUnavailable, SecretBox
from ..errors import ProviderNotConfigured, Unprocessable
from ..models import ShopCredentials

log = logging.getLogger(__name__)

PUBLIC_FIELDS = ("api_url", "store_hash", "api_version")
SECRET_FIELDS = ("access_token", "consumer_key", "consumer_secret", "secret_key", "client_secret",
                 "refresh_token")
FIELDS = PUBLIC_FIELDS + SECRET_FIELDS

_STORE_HASH = re.compile(r"^[a-z0-9]{1,64}$")
_API_VERSION = re.compile(r"^(\d{4}-\d{2}|unstable)$")
_LOOPBACK = {"localhost", "127.0.0.1", "::1"}
MAX_SECRET_LENGTH = 2048


@dataclass(frozen=True)
class PlatformCredentials:
    """Decrypted credentials; the secret fields stay out of ``repr`` so a stray log shows none."""

    api_url: str | None = None
    store_hash: str | None = None
    api_version: str | None = None
    access_token: str | None = field(default=None, repr=False)
    consumer_key: str | None = field(default=None, repr=False)
    consumer_secret: str | None = field(default=None, repr=False)
    secret_key: str | None = field(default=None, repr=False)
    client_secret: str | None = field(default=None, repr=False)
    refresh_token: str | None = field(default=None, repr=False)
    access_token_expires_at: dt.datetime | None = None
    refresh_token_expires_at: dt.datetime | None = None
    scopes: str | None = None


class CredentialsUnreadable(ProviderNotConfigured):
    pass


def set_credentials(session: Session, shop_id: int, box: SecretBox, *,
                    values: Mapping[str, str | None], clear: Iterable[str] = (),
                    now: dt.datetime) -> list[str]:
    """Merge ``values`` into the shop's credentials and drop the ``clear`` fields.

    Returns the names of the fields that are set afterwards.
    """
    unknown = sorted((set(values) | set(clear)) - set(FIELDS))
    if unknown:
        raise Unprocessable(f"Unknown credential field(s): {', '.join(unknown)}.",
                            details={"fields": unknown})
    row = session.get(ShopCredentials, shop_id, with_for_update=True)
    if row is None:
        row = ShopCredentials(shop_id=shop_id, created_at=now, updated_at=now)
        session.add(row)
    for name, value in values.items():
        if value is None:
            continue
        if name in PUBLIC_FIELDS:
            setattr(row, name, _validate_public(name, value))
        else:
            setattr(row, f"{name}_encrypted", _encrypt(box, name, value))
    for name in clear:
        setattr(row, name if name in PUBLIC_FIELDS else f"{name}_encrypted", None)
    if values.get("access_token") is not None and values.get("refresh_token") is None:
        # A token set by hand is not the one the stored refresh token and expiry belong to.
        row.refresh_token_encrypted = None
        row.access_token_expires_at = row.refresh_token_expires_at = None
    row.updated_at = now
    session.flush()
    changed = sorted({n for n, v in values.items() if v is not None} | set(clear))
    log.info("credentials changed shop=%s fields=%s", shop_id, ",".join(changed))
    return fields_set(row)


def get_credentials(session: Session, shop_id: int, box: SecretBox) -> PlatformCredentials | None:
    row = session.get(ShopCredentials, shop_id)
    if row is None:
        return None
    try:
        secrets = {name: _decrypt(box, getattr(row, f"{name}_encrypted")) for name in SECRET_FIELDS}
    except DecryptionFailed as exc:
        raise CredentialsUnreadable(
            f"The API credentials of shop {shop_id} cannot be read: {exc}. Restore the key they "
            "were stored with (LOYALTY_PREVIOUS_SECRET_KEYS) or set them again.") from None
    return PlatformCredentials(api_url=row.api_url, store_hash=row.store_hash,
                               api_version=row.api_version,
                               access_token_expires_at=row.access_token_expires_at,
                               refresh_token_expires_at=row.refresh_token_expires_at,
                               scopes=row.scopes, **secrets)


def set_token_lifetimes(session: Session, shop_id: int, *, access_expires_at: dt.datetime | None,
                        refresh_expires_at: dt.datetime | None, scopes: str | None) -> None:
    """Record when the stored access and refresh tokens run out, and what they may do."""
    row = session.get(ShopCredentials, shop_id)
    if row is None:
        raise ProviderNotConfigured(f"Shop {shop_id} has no stored credentials.")
    row.access_token_expires_at = access_expires_at
    row.refresh_token_expires_at = refresh_expires_at
    row.scopes = scopes[:1024] if scopes else None
    session.flush()


def credential_fields(session: Session, shop_id: int) -> list[str]:
    """Which fields are set, without decrypting anything."""
    row = session.get(ShopCredentials, shop_id)
    return [] if row is None else fields_set(row)


def fields_set(row: ShopCredentials) -> list[str]:
    return [name for name in FIELDS
            if getattr(row, name if name in PUBLIC_FIELDS else f"{name}_encrypted")]


def reencrypt_all(session: Session, box: SecretBox, now: dt.datetime) -> int:
    """Re-encrypt every stored secret under the current key (after a key rotation)."""
    rows = session.execute(select(ShopCredentials).order_by(ShopCredentials.shop_id)
                           .with_for_update()).scalars().all()
    for row in rows:
        for name in SECRET_FIELDS:
            token = getattr(row, f"{name}_encrypted")
            if token:
                try:
                    setattr(row, f"{name}_encrypted", box.rotate(token))
                except EncryptionUnavailable as exc:
                    raise Unprocessable(str(exc)) from None
                except DecryptionFailed:
                    raise CredentialsUnreadable(
                        f"The {name} of shop {row.shop_id} opens with none of the configured keys; "
                        "nothing was re-encrypted.") from None
        row.updated_at = now
    session.flush()
    log.info("credentials re-encrypted shops=%s", len(rows))
    return len(rows)


def _encrypt(box: SecretBox, name: str, value: str) -> str:
    value = value.strip()
    if not value or len(value) > MAX_SECRET_LENGTH or any(c.isspace() for c in value):
        raise Unprocessable(f"{name} must be 1 to {MAX_SECRET_LENGTH} characters without spaces.",
                            details={"field": name})
    try:
        return box.encrypt(value)
    except EncryptionUnavailable as exc:
        raise Unprocessable(str(exc), details={"field": name}) from None


def _decrypt(box: SecretBox, token: str | None) -> str | None:
    return None if token is None else box.decrypt(token)


def _validate_public(name: str, value: str) -> str:
    value = value.strip()
    if name == "api_url":
        return _validate_url(value)
    if name == "store_hash" and _STORE_HASH.match(value):
        return value
    if name == "api_version" and _API_VERSION.match(value):
        return value
    expected = {"store_hash": "lowercase letters and digits", "api_version": "YYYY-MM or unstable"}
    raise Unprocessable(f"{name} must be {expected[name]}.", details={"field": name})


def _validate_url(value: str) -> str:
    parts = urlsplit(value)
    # Credentials travel with every request: only over TLS, except to this machine.
    secure = parts.scheme == "https" or (parts.scheme == "http" and parts.hostname in _LOOPBACK)
    if not secure or not parts.hostname or parts.query or parts.fragment or parts.username:
        raise Unprocessable("api_url must be an https:// URL without query, fragment or user info.",
                            details={"field": "api_url"})
    if len(value) > 255:
        raise Unprocessable("api_url is longer than 255 characters.", details={"field": "api_url"})
    return value.rstrip("/")
