"""What every platform adapter provides to the pipeline."""
from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Protocol

from loyalty_plugin.errors import UnsupportedMediaType
from loyalty_plugin.events import Event, PostalAddress
from loyalty_plugin.models import Platform, Shop
from loyalty_plugin.rules.earning import Amounts
from loyalty_plugin.rules.money import check_amount, parse_money

from .deferred import Deferred


class PayloadError(ValueError):
    """An authentic body the adapter cannot understand; the message names the problem."""


class Acknowledged(Exception):
    """A request the platform needs answered 200 that carries nothing to verify or store.

    WooCommerce's unsigned creation ping is one: anything but a 200 leaves the webhook
    flagged as failing in the shop's admin.
    """


@dataclass(frozen=True)
class Envelope:
    """An authenticated delivery: who sent it, what it is about, and the headers to keep."""

    delivery_id: str
    topic: str
    headers: dict[str, str] = field(default_factory=dict)


class Adapter(Protocol):
    platform: Platform

    def authenticate(self, shop: Shop, headers: Any, body: bytes) -> Envelope:
        """Verify the signature over the raw bytes; raise Unauthorized, BadRequest or Acknowledged."""

    def parse(self, envelope: Envelope, body: bytes) -> Event | Deferred:
        """Turn the body into a normalised event (or, for a thin payload, a Deferred fetch of
        one); raise PayloadError."""


def load_json_object(body: bytes) -> dict:
    try:
        payload = json.loads(body)
    except (ValueError, RecursionError) as exc:  # bad UTF-8, bad JSON, absurd nesting or numbers
        raise PayloadError(f"body is not valid JSON: {exc}") from None
    if not isinstance(payload, dict):
        raise PayloadError("body must be a JSON object")
    return payload


def parse_timestamp(value: Any, field_name: str) -> dt.datetime | None:
    """ISO 8601 to aware UTC; a time without an offset is taken as UTC."""
    if value in (None, ""):
        return None
    if not isinstance(value, str):
        raise PayloadError(f"{field_name} must be an ISO 8601 string")
    try:
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise PayloadError(f"{field_name} is not an ISO 8601 time: {value[:40]!r}") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.timezone.utc)
    return parsed.astimezone(dt.timezone.utc)


def require_id(payload: dict, key: str, what: str) -> str:
    value = payload.get(key)
    if isinstance(value, bool) or not isinstance(value, (int, str)) or str(value).strip() == "":
        raise PayloadError(f"{what} is missing or not an id")
    text = str(value).strip()
    if len(text) > 64:
        raise PayloadError(f"{what} is longer than 64 characters")
    return text


def optional_id(value: Any) -> str | None:
    if isinstance(value, bool) or not isinstance(value, (int, str)) or str(value).strip() in ("", "0"):
        return None
    return str(value).strip()[:64]


def optional_text(value: Any, limit: int = 255) -> str | None:
    return value.strip()[:limit] or None if isinstance(value, str) else None


def object_list(payload: dict, key: str, field: str | None = None) -> list[dict]:
    """``payload[key]`` as a list of objects; absent or null is an empty list."""
    value = payload.get(key)
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        raise PayloadError(f"{field or key} must be a list of objects")
    return value


def money_field(value: Any, field: str) -> Decimal:
    """A money string or number as an exact Decimal; absent is zero."""
    try:
        return parse_money(value, field=field)
    except ValueError as exc:
        raise PayloadError(str(exc)) from None


def require_json_content(headers: Any, platform_name: str) -> None:
    content_type = (headers.get("Content-Type") or "").split(";")[0].strip().lower()
    if content_type != "application/json":
        raise UnsupportedMediaType(f"{platform_name} webhooks must be sent as application/json.")


def checked_amounts(items: Decimal, shipping: Decimal, taxes: Decimal) -> Amounts:
    """The three parts of an order's or refund's money, each within the ledger's bounds."""
    for name, value in (("items", items), ("shipping", shipping), ("taxes", taxes)):
        try:
            check_amount(value, field=f"{name} total")
        except ValueError as exc:
            raise PayloadError(str(exc)) from None
    return Amounts(items=items, shipping=shipping, taxes=taxes)


def peek_event(body: bytes) -> tuple[str | None, str | None]:
    """An event body's id and type, when it has them, before it is authenticated or parsed.

    The id is stripped and at most 128 characters; parse reports whatever else is wrong.
    """
    try:
        event = json.loads(body)
    except (ValueError, RecursionError):
        return None, None
    if not isinstance(event, dict):
        return None, None
    event_id, event_type = event.get("id"), event.get("type")
    if isinstance(event_id, str):
        event_id = event_id.strip()
    return (event_id if isinstance(event_id, str) and 0 < len(event_id) <= 128 else None,
            event_type[:64] if isinstance(event_type, str) and event_type else None)


def postal_address(value: Any, *, line1: str, line2: str, city: str,
                   postal_code: str) -> PostalAddress | None:
    """An address object's street, city and postal code under the platform's field names."""
    if not isinstance(value, dict):
        return None
    address = PostalAddress(line1=optional_text(value.get(line1)), line2=optional_text(value.get(line2)),
                            city=optional_text(value.get(city)),
                            postal_code=optional_text(value.get(postal_code), 32))
    return address if address.line1 else None
