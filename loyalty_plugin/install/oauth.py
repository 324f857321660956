"""The checks of Shopify's OAuth code grant, as pure functions: no Flask, no database.

- ``hmac``: HMAC-SHA256 (hex) with the app secret over every other query
  parameter as ``key=value``, sorted, joined with ``&``; ``%`` and ``&`` in values
  and also ``=`` in keys are percent-escaped first, so no parameter can pose as two.
- ``shop``: ``<name>.myshopify.com`` only, so a token is never sent anywhere else.
- ``state``: signed with the service's secret key and bound to the shop; it
  expires after STATE_LIFETIME and the caller makes it single use.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
import secrets
from collections.abc import Mapping
from urllib.parse import urlencode

from itsdangerous import BadData, URLSafeTimedSerializer

SHOP_DOMAIN = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9\-]*\.myshopify\.com$")
STATE_LIFETIME = dt.timedelta(minutes=10)
# Shopify's timestamp is when it sent the merchant here: seconds ago, not minutes.
TIMESTAMP_TOLERANCE = dt.timedelta(minutes=5)
CLOCK_SKEW = dt.timedelta(minutes=1)
_STATE_SALT = "loyalty-shopify-oauth-state"


def shop_domain(value: str | None) -> str | None:
    """The shop's ``*.myshopify.com`` domain, lower-cased; None when it is anything else."""
    if not value or len(value) > 255 or not SHOP_DOMAIN.fullmatch(value):
        return None
    return value.lower()


def _escape(text: str, *, key: bool) -> str:
    text = text.replace("%", "%25").replace("&", "%26")
    return text.replace("=", "%3D") if key else text


def signed_message(params: Mapping[str, str]) -> str:
    pairs = (f"{_escape(k, key=True)}={_escape(v, key=False)}"
             for k, v in params.items() if k not in ("hmac", "signature"))
    return "&".join(sorted(pairs))


def query_hmac(params: Mapping[str, str], secret: str) -> str:
    return hmac.new(secret.encode(), signed_message(params).encode(), hashlib.sha256).hexdigest()


def hmac_valid(params: Mapping[str, str], secret: str) -> bool:
    given = params.get("hmac") or ""
    return hmac.compare_digest(query_hmac(params, secret).encode(), given.strip().lower().encode())


def timestamp_fresh(value: str | None, now: dt.datetime) -> bool:
    if not value or not value.isascii() or not value.isdigit() or len(value) > 11:
        return False
    sent = dt.datetime.fromtimestamp(int(value), dt.timezone.utc)
    return now - TIMESTAMP_TOLERANCE <= sent <= now + CLOCK_SKEW


def new_state(secret_key: str, shop: str) -> str:
    serializer = URLSafeTimedSerializer(secret_key, salt=_STATE_SALT)
    return serializer.dumps({"shop": shop, "nonce": secrets.token_urlsafe(16)})


def state_valid(secret_key: str, state: str, shop: str) -> bool:
    serializer = URLSafeTimedSerializer(secret_key, salt=_STATE_SALT)
    try:
        payload = serializer.loads(state, max_age=int(STATE_LIFETIME.total_seconds()))
    except BadData:  # a bad signature, an expired one, or a payload that is not ours
        return False
    return isinstance(payload, dict) and payload.get("shop") == shop


def state_digest(state: str) -> str:
    return hashlib.sha256(state.encode()).hexdigest()


def authorize_url(shop: str, api_key: str, scopes: tuple[str, ...], redirect_uri: str,
                  state: str) -> str:
    """Where the merchant approves the app; without ``grant_options[]`` the token is offline."""
    query = urlencode({"client_id": api_key, "scope": ",".join(scopes),
                       "redirect_uri": redirect_uri, "state": state})
    return f"https://{shop}/admin/oauth/authorize?{query}"
