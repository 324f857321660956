"""Custom stores: a small signed JSON format, documented in the README ("Custom store set-up").

``X-Loyalty-Signature: t=<unix seconds>,v1=<hex>`` where ``v1`` is the HMAC-SHA256, keyed
with the shop's webhook secret, of ``"<t>."`` followed by the exact body bytes; ``t``
must be within 300 s of the service's clock. The body's ``id`` names the event: a repeat
is answered 200 and changes nothing. Because the format is ours, it is validated
strictly: an unknown, missing or mistyped field is a 400 that names it.
"""
from __future__ import annotations

import hashlib
import hmac
import re
import time
from decimal import Decimal
from typing import Any

from loyalty_plugin.errors import ErrorCode, Unauthorized
from loyalty_plugin.events import (CustomerRef, Event, OrderChanged, OrderSnapshot, RefundCreated,
                                   RefundSnapshot)
from loyalty_plugin.models import Platform, Shop
from loyalty_plugin.rules.earning import Amounts
from loyalty_plugin.services.accounts import normalise_email

from .base import (Envelope, PayloadError, load_json_object, money_field, parse_timestamp,
                   peek_event, require_json_content)

SIGNATURE_HEADER = "X-Loyalty-Signature"
TOLERANCE_SECONDS = 300
STATUSES = ("pending", "paid", "fulfilled", "cancelled")
_HEX = re.compile(r"[0-9a-f]{64}")

EVENT_FIELDS = ({"id", "type"}, {"order", "refund"})
ORDER_FIELDS = ({"id", "status", "currency", "subtotal", "customer"},
                {"shipping", "tax", "name", "updated_at", "test", "refunds"})
REFUND_FIELDS = ({"id", "order_id", "subtotal"}, {"shipping", "tax", "created_at"})
EMBEDDED_REFUND_FIELDS = ({"id", "subtotal"}, REFUND_FIELDS[1])
CUSTOMER_FIELDS = (set(), {"id", "email", "first_name", "last_name"})


def sign(body: bytes, secret: str, timestamp: int) -> str:
    return hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


class CustomAdapter:
    platform = Platform.CUSTOM

    def authenticate(self, shop: Shop, headers: Any, body: bytes) -> Envelope:
        timestamp, candidates = _signature_header(headers.get(SIGNATURE_HEADER))
        expected = [sign(body, secret, timestamp) for secret in shop.webhook_secrets()]
        if not any(hmac.compare_digest(e, c) for e in expected for c in candidates):
            raise Unauthorized("The webhook signature does not match.", code=ErrorCode.INVALID_SIGNATURE)
        if abs(time.time() - timestamp) > TOLERANCE_SECONDS:
            raise Unauthorized(f"The {SIGNATURE_HEADER} timestamp is more than {TOLERANCE_SECONDS} s "
                               "away from the service's clock.", code=ErrorCode.INVALID_SIGNATURE)
        require_json_content(headers, "Custom store")
        event_id, event_type = peek_event(body)
        return Envelope(delivery_id=event_id or "sha256-" + hashlib.sha256(body).hexdigest(),
                        topic=event_type or "unknown")

    def parse(self, envelope: Envelope, body: bytes) -> Event:
        event = _fields(load_json_object(body), "", EVENT_FIELDS)
        _id(event["id"], "id", limit=128)
        kind = event["type"]
        if kind not in ("order", "refund"):
            raise PayloadError('type must be "order" or "refund"')
        other = "refund" if kind == "order" else "order"
        if kind not in event or other in event:
            raise PayloadError(f'an event of type "{kind}" carries exactly one "{kind}" object')
        if kind == "order":
            return OrderChanged(_order(event["order"]))
        refund = _fields(event["refund"], "refund", REFUND_FIELDS)
        return RefundCreated(_refund(refund, "refund", _id(refund["order_id"], "refund.order_id")))


def _signature_header(value: str | None) -> tuple[int, list[str]]:
    if not value:
        raise Unauthorized(f"Missing {SIGNATURE_HEADER} header.", code=ErrorCode.INVALID_SIGNATURE)
    parts = [item.strip().partition("=") for item in value.split(",")]
    stamps = [v for k, _, v in parts if k == "t" and v.isascii() and v.isdigit() and len(v) <= 12]
    candidates = [v.lower() for k, _, v in parts if k == "v1" and _HEX.fullmatch(v.lower())]
    if len(stamps) != 1 or not candidates:
        raise Unauthorized(f"{SIGNATURE_HEADER} must look like t=<unix seconds>,v1=<hex HMAC-SHA256>.",
                           code=ErrorCode.INVALID_SIGNATURE)
    return int(stamps[0]), candidates


def _order(value: Any) -> OrderSnapshot:
    order = _fields(value, "order", ORDER_FIELDS)
    order_id = _id(order["id"], "order.id")
    status = order["status"]
    if status not in STATUSES:
        raise PayloadError(f"order.status must be one of {', '.join(STATUSES)}")
    currency = order["currency"]
    if not isinstance(currency, str) or not re.fullmatch(r"[A-Za-z]{3}", currency):
        raise PayloadError("order.currency must be a three-letter ISO 4217 code")
    if not isinstance(order.get("test", False), bool):
        raise PayloadError("order.test must be true or false")
    refunds = order.get("refunds", [])
    if not isinstance(refunds, list):
        raise PayloadError("order.refunds must be a list")
    return OrderSnapshot(
        order_id=order_id,
        customer=_customer(order["customer"]),
        amounts=_amounts(order, "order"),
        currency=currency.upper(),
        name=_text(order.get("name"), "order.name", 64),
        is_paid=status in ("paid", "fulfilled"),
        is_fulfilled=status == "fulfilled",
        is_cancelled=status == "cancelled",
        is_test=order.get("test", False),
        updated_at=parse_timestamp(order.get("updated_at"), "order.updated_at"),
        refunds=tuple(_refund(_fields(refund, f"order.refunds[{i}]", EMBEDDED_REFUND_FIELDS),
                              f"order.refunds[{i}]", order_id) for i, refund in enumerate(refunds)))


def _refund(refund: dict, where: str, order_id: str) -> RefundSnapshot:
    return RefundSnapshot(refund_id=_id(refund["id"], f"{where}.id"), order_id=order_id,
                          amounts=_amounts(refund, where),
                          created_at=parse_timestamp(refund.get("created_at"), f"{where}.created_at"))


def _customer(value: Any) -> CustomerRef:
    customer = _fields(value, "order.customer", CUSTOMER_FIELDS)
    customer_id = _id(customer["id"], "order.customer.id") if customer.get("id") is not None else None
    email = _text(customer.get("email"), "order.customer.email", 320)
    if email is not None and normalise_email(email) is None:
        raise PayloadError("order.customer.email is not an email address")
    if customer_id is None and email is None:
        raise PayloadError("order.customer needs an id, an email or both")
    return CustomerRef(platform_id=customer_id, email=email,
                       first_name=_text(customer.get("first_name"), "order.customer.first_name", 255),
                       last_name=_text(customer.get("last_name"), "order.customer.last_name", 255))


def _amounts(obj: dict, where: str) -> Amounts:
    return Amounts(items=_money(obj.get("subtotal"), f"{where}.subtotal"),
                   shipping=_money(obj.get("shipping"), f"{where}.shipping"),
                   taxes=_money(obj.get("tax"), f"{where}.tax"))


def _fields(value: Any, where: str, fields: tuple[set[str], set[str]]) -> dict:
    required, optional = fields
    prefix = f"{where}." if where else ""
    if not isinstance(value, dict):
        raise PayloadError(f"{where or 'body'} must be a JSON object")
    unknown = sorted(set(value) - required - optional)
    if unknown:
        raise PayloadError(f"{prefix}{unknown[0]} is not a field of this format")
    missing = sorted(key for key in required if value.get(key) is None)
    if missing:
        raise PayloadError(f"{prefix}{missing[0]} is missing")
    return value


def _id(value: Any, field: str, limit: int = 64) -> str:
    if isinstance(value, bool) or not isinstance(value, (str, int)) or not str(value).strip():
        raise PayloadError(f"{field} must be a non-empty string or an integer")
    text = str(value).strip()
    if len(text) > limit:
        raise PayloadError(f"{field} is longer than {limit} characters")
    return text


def _text(value: Any, field: str, limit: int) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise PayloadError(f"{field} must be a string")
    if len(value.strip()) > limit:
        raise PayloadError(f"{field} is longer than {limit} characters")
    return value.strip() or None


def _money(value: Any, field: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, (str, int, float, type(None))) or value == "":
        raise PayloadError(f'{field} must be a decimal string like "12.30"')
    amount = money_field(value, field)
    if amount < 0:
        raise PayloadError(f"{field} must not be negative")
    if amount.as_tuple().exponent < -4:  # type: ignore[operator]
        raise PayloadError(f"{field} has more than 4 decimal places")
    return amount
