"""BigCommerce: authenticated thin callbacks; the order itself comes from the API.

Two ways to authenticate, because BigCommerce's documentation does not settle which
headers it really sends, and both are accepted; every one a request presents must
verify:

- ``X-Loyalty-Webhook-Token``: a custom header set at hook creation
  (``"headers": {"X-Loyalty-Webhook-Token": "<the shop's webhook secret>"}``),
  compared in constant time with the shop's webhook secret(s);
- Standard Webhooks: ``webhook-signature`` holds ``v1,<base64 HMAC-SHA256>`` over
  ``"{webhook-id}.{webhook-timestamp}.{body}"``, keyed with the app's client
  secret (stored with the shop's credentials), within 5 minutes either way.

Dedupe is on the callback ``hash`` (the same for every retry of one event),
prefixed with the scope; ``webhook-id`` stands in when there is no hash.
"""
from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import hmac
import time
from collections.abc import Callable
from typing import Any

from flask import current_app
from sqlalchemy.orm import Session, object_session

from loyalty_plugin.db import get_session
from loyalty_plugin.encryption import box_from_config
from loyalty_plugin.errors import BadRequest, ErrorCode, Unauthorized
from loyalty_plugin.events import Event, OrderChanged, Unhandled
from loyalty_plugin.models import Platform, Shop
from loyalty_plugin.providers import BigCommerceProvider, RetryPolicy, provider_for
from loyalty_plugin.services.credentials import PlatformCredentials, get_credentials
from loyalty_plugin.services.shop_rows import ShopRow

from .base import Envelope, PayloadError, load_json_object, require_id, require_json_content
from .bigcommerce_orders import parse_order
from .deferred import Deferred

TOKEN_HEADER = "X-Loyalty-Webhook-Token"
ID_HEADER, TIMESTAMP_HEADER, SIGNATURE_HEADER = "webhook-id", "webhook-timestamp", "webhook-signature"
TOLERANCE_SECONDS = 300
ORDER_SCOPES = frozenset({"store/order/created", "store/order/statusUpdated",
                          "store/order/refund/created"})
# BigCommerce retries for 48 h: fail fast and let it, rather than hold the request open.
WEBHOOK_RETRY = RetryPolicy(attempts=2, backoff=0.25, max_retry_after=2.0)
WEBHOOK_TIMEOUT = (3.05, 10.0)

CredentialsLoader = Callable[[Shop], "PlatformCredentials | None"]
ProviderFactory = Callable[[Session, Shop], BigCommerceProvider]


def sign(body: bytes, secret: str, webhook_id: str, timestamp: int | str) -> str:
    """The Standard Webhooks ``v1`` signature of a body."""
    signed = f"{webhook_id}.{timestamp}.".encode() + body
    return base64.b64encode(hmac.new(_signing_key(secret), signed, hashlib.sha256).digest()).decode()


def _signing_key(secret: str) -> bytes:
    # Standard Webhooks secrets look like "whsec_<base64>"; BigCommerce's client
    # secret is used as is (its docs base64 it only for the library to undo).
    if secret.startswith("whsec_"):
        try:
            return base64.b64decode(secret[len("whsec_"):], validate=True)
        except (binascii.Error, ValueError):
            pass
    return secret.encode()


def _stored_credentials(shop: Shop | ShopRow) -> PlatformCredentials | None:
    # The pipeline hands adapters the shop's plain row, read in the request's session.
    session = get_session() if isinstance(shop, ShopRow) else object_session(shop)
    if session is None:
        return None
    return get_credentials(session, shop.id, box_from_config(current_app.config))


class BigCommerceAdapter:
    platform = Platform.BIGCOMMERCE

    def __init__(self, credentials: CredentialsLoader = _stored_credentials,
                 provider_factory: ProviderFactory | None = None,
                 clock: Callable[[], float] = time.time) -> None:
        self.credentials = credentials
        self.provider_factory = provider_factory or self._provider
        self.clock = clock
        self.retry = WEBHOOK_RETRY

    def authenticate(self, shop: Shop, headers: Any, body: bytes) -> Envelope:
        token = (headers.get(TOKEN_HEADER) or "").strip()
        signature = (headers.get(SIGNATURE_HEADER) or "").strip()
        if not token and not signature:
            raise Unauthorized(f"Missing {TOKEN_HEADER} or {SIGNATURE_HEADER} header.",
                               code=ErrorCode.INVALID_SIGNATURE)
        if token and not any(hmac.compare_digest(token.encode(), secret.encode())
                             for secret in shop.webhook_secrets()):
            raise Unauthorized(f"{TOKEN_HEADER} does not match this shop.",
                               code=ErrorCode.INVALID_SIGNATURE)
        if signature:
            self._verify_signature(shop, headers, body, signature, token_verified=bool(token))
        require_json_content(headers, "BigCommerce")
        try:
            payload = load_json_object(body)
        except PayloadError as exc:
            raise BadRequest(f"Malformed BigCommerce callback: {exc}") from None
        scope = payload.get("scope")
        if not isinstance(scope, str) or not scope.strip() or len(scope) > 64:
            raise BadRequest("The callback's scope is missing or longer than 64 characters.")
        digest = payload.get("hash")
        webhook_id = (headers.get(ID_HEADER) or "").strip()
        if isinstance(digest, str) and 0 < len(digest.strip()) <= 60:
            delivery_id = f"{scope.strip()}:{digest.strip()}"
        elif 0 < len(webhook_id) <= 100:
            delivery_id = f"webhook-id:{webhook_id}"
        else:
            raise BadRequest("The callback has neither a hash nor a webhook-id to deduplicate on.")
        kept = {name: headers[name][:200] for name in (ID_HEADER, TIMESTAMP_HEADER) if headers.get(name)}
        return Envelope(delivery_id=delivery_id, topic=scope.strip(), headers=kept)

    def _verify_signature(self, shop: Shop, headers: Any, body: bytes, signature: str, *,
                          token_verified: bool) -> None:
        creds = self.credentials(shop)
        secret = creds.client_secret if creds else None
        if not secret:
            if token_verified:
                return  # the token authenticated it; nothing to check this signature with
            raise Unauthorized(f"{SIGNATURE_HEADER} cannot be verified: no client secret is stored "
                               "for this shop.", code=ErrorCode.INVALID_SIGNATURE)
        webhook_id = (headers.get(ID_HEADER) or "").strip()
        timestamp = (headers.get(TIMESTAMP_HEADER) or "").strip()
        if not webhook_id or not (timestamp.isascii() and timestamp.isdigit()) or len(timestamp) > 12:
            raise Unauthorized(f"{SIGNATURE_HEADER} needs {ID_HEADER} and a numeric {TIMESTAMP_HEADER}.",
                               code=ErrorCode.INVALID_SIGNATURE)
        if abs(self.clock() - int(timestamp)) > TOLERANCE_SECONDS:
            raise Unauthorized(f"{TIMESTAMP_HEADER} is more than 5 minutes away from now.",
                               code=ErrorCode.INVALID_SIGNATURE)
        expected = sign(body, secret, webhook_id, timestamp).encode()
        candidates = [part.partition(",") for part in signature.split()]
        if not any(version == "v1" and hmac.compare_digest(value.encode(), expected)
                   for version, _, value in candidates):
            raise Unauthorized("The webhook signature does not match.", code=ErrorCode.INVALID_SIGNATURE)

    def parse(self, envelope: Envelope, body: bytes) -> Event | Deferred:
        payload = load_json_object(body)
        if envelope.topic not in ORDER_SCOPES:
            return Unhandled(envelope.topic)
        data = payload.get("data")
        if not isinstance(data, dict) or data.get("type") != "order":
            raise PayloadError("data must be an object of type order")
        order_id = require_id(data, "id", "data.id")
        return Deferred(f"BigCommerce order {order_id}", functools.partial(self._fetch, order_id))

    def _fetch(self, order_id: str, session: Session, shop: Shop) -> Event:
        fetched = self.provider_factory(session, shop).fetch_order(order_id)
        return OrderChanged(parse_order(fetched.order, fetched.products, fetched.refunds))

    def _provider(self, session: Session, shop: Shop) -> BigCommerceProvider:
        creds = get_credentials(session, shop.id, box_from_config(current_app.config))
        provider = provider_for(shop, creds, retry=self.retry, timeout=WEBHOOK_TIMEOUT)
        assert isinstance(provider, BigCommerceProvider)
        return provider
