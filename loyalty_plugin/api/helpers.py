"""Request plumbing shared by the admin API views."""
from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from typing import Any

from flask import request

from ..db import get_session
from ..errors import BadRequest, ErrorCode, NotFound, Unauthorized, UnsupportedMediaType
from ..models import ApiKey, ApiKeyScope, Shop, utcnow
from ..services import idempotency
from ..services.api_keys import authenticate
from ..services.shops import get_shop


def api_key(*, write: bool = False) -> ApiKey:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("Send the shop's API key as 'Authorization: Bearer <key>'.")
    key = authenticate(get_session(), token.strip())
    if key is None:
        raise Unauthorized("The API key is not valid or has been revoked.")
    if write and key.scope is not ApiKeyScope.READ_WRITE:
        raise Unauthorized("This API key is read-only.", status=403)
    return key


def current_shop(shop_id: int) -> Shop:
    shop = get_shop(get_session(), shop_id)
    if shop is None:  # the key outlived its shop
        raise NotFound("This shop no longer exists.", code=ErrorCode.SHOP_NOT_FOUND)
    return shop


def json_body() -> dict[str, Any]:
    if not request.is_json:
        raise UnsupportedMediaType("Send the request body as application/json.")
    try:
        payload = json.loads(request.get_data(cache=True) or b"")
    except (ValueError, RecursionError) as exc:  # bad UTF-8, bad JSON, absurd nesting or numbers
        raise BadRequest(f"The body is not valid JSON: {exc}", code=ErrorCode.INVALID_JSON) from None
    if not isinstance(payload, dict):
        raise BadRequest("The body must be a JSON object.", code=ErrorCode.INVALID_JSON)
    if _holds_unstorable_text(payload):
        raise BadRequest("Text in the body must be valid Unicode without NUL characters.",
                         code=ErrorCode.INVALID_JSON)
    return payload


def reject_nul_characters() -> None:
    """PostgreSQL text cannot hold NUL: refuse it at the door instead of failing in the database."""
    parts = [*(request.view_args or {}).values(), *request.args.values(),
             *request.args.keys(), *request.headers.values()]
    if any(isinstance(part, str) and "\x00" in part for part in parts):
        raise BadRequest("The URL, query or headers contain a NUL character.")


def _holds_unstorable_text(payload: Any) -> bool:
    """NUL, or a lone surrogate (JSON's "\\ud800"), which has no UTF-8 form."""
    # A stack, not recursion: the body may nest as deep as the JSON parser allowed.
    stack = [payload]
    while stack:
        value = stack.pop()
        if isinstance(value, str):
            if "\x00" in value or not _encodable(value):
                return True
        elif isinstance(value, dict):
            stack.extend(value.keys())
            stack.extend(value.values())
        elif isinstance(value, list):
            stack.extend(value)
    return False


def idempotency_key() -> str | None:
    key = request.headers.get("Idempotency-Key")
    if key is None:
        return None
    key = key.strip()
    if not key or len(key) > idempotency.MAX_KEY_LENGTH:
        raise BadRequest(f"Idempotency-Key must be 1 to {idempotency.MAX_KEY_LENGTH} characters.")
    return key


def idempotent(shop_id: int, scope: str, payload: dict[str, Any],
               write: Callable[[str | None, dt.datetime], tuple[dict, int]]) -> tuple[dict, int]:
    """Run a client write once per ``Idempotency-Key`` and commit it.

    ``write`` gets a reference derived from the key (None without one) for the
    ledger's own idempotency key. A repeated key replays the stored answer.
    """
    session = get_session()
    now = utcnow()
    key = idempotency_key()
    record = None
    if key:
        record, stored = idempotency.claim(session, shop_id=shop_id, scope=scope, key=key,
                                           payload=payload, now=now)
        if stored is not None:
            session.commit()
            return stored.body, stored.status_code
    body, status = write(f"idem-{record.id}" if record else None, now)
    if record is not None:
        idempotency.store(record, status, body)
    session.commit()
    return body, status


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
