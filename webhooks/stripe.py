"""Stripe Checkout: signed events about Checkout Sessions, and the refunds of their payments.

An order is keyed by the session's ``payment_intent``, because that is what charges and
refunds carry; a session without one (nothing to pay, or a subscription) is keyed by its
own id. A refund event only says how much was refunded, never of what, so that money
counts against the order's earn base, and a refund that empties the charge takes back
everything left.

Refunds can reach the service twice (``refund.created`` and ``charge.refunded`` both
describe one refund): both are keyed by the refund's ``re_`` id, so they count once. A
fully refunded charge adds a refund keyed by the charge, which at most reverses what is
left, so it is safe beside the others.
"""
from __future__ import annotations

import datetime as dt
import hashlib
from decimal import Decimal
from typing import Any

import stripe

from loyalty_plugin.errors import ErrorCode, Unauthorized
from loyalty_plugin.events import (CustomerRef, Event, OrderChanged, OrderSnapshot, RefundCreated,
                                   RefundSnapshot, Unhandled)
from loyalty_plugin.models import Platform, Shop
from loyalty_plugin.rules.earning import Amounts
from loyalty_plugin.rules.money import from_minor_units

from .base import (Envelope, PayloadError, load_json_object, optional_text, peek_event,
                   postal_address, require_id, require_json_content)

SIGNATURE_HEADER = "Stripe-Signature"
TOLERANCE_SECONDS = 300
SESSION_EVENTS = frozenset({"checkout.session.completed", "checkout.session.async_payment_succeeded"})
REFUND_EVENTS = frozenset({"refund.created", "refund.updated", "charge.refund.updated"})


class StripeAdapter:
    platform = Platform.STRIPE

    def authenticate(self, shop: Shop, headers: Any, body: bytes) -> Envelope:
        header = (headers.get(SIGNATURE_HEADER) or "").strip()
        if not header:
            raise Unauthorized(f"Missing {SIGNATURE_HEADER} header.", code=ErrorCode.INVALID_SIGNATURE)
        _verify(body, header, shop.webhook_secrets())
        require_json_content(headers, "Stripe")
        event_id, event_type = peek_event(body)
        # An authentic body without an event id is still kept (and rejected by parse).
        delivery_id = event_id or "sha256-" + hashlib.sha256(body).hexdigest()
        return Envelope(delivery_id=delivery_id, topic=(event_type or "unknown")[:64])

    def parse(self, envelope: Envelope, body: bytes) -> Event:
        event = load_json_object(body)
        _text(event, "id", "event id")
        event_type = _text(event, "type", "event type")
        data = event.get("data")
        if not isinstance(data, dict) or not isinstance(data.get("object"), dict):
            raise PayloadError("data.object is missing or not an object")
        subject = data["object"]
        if event_type in SESSION_EVENTS:
            return OrderChanged(parse_checkout_session(subject))
        if event_type in REFUND_EVENTS:
            return _refund_event(event_type, subject)
        if event_type == "charge.refunded":
            return _charge_refunded(subject)
        return Unhandled(event_type)


def _verify(body: bytes, header: str, secrets: list[str]) -> None:
    if not header.isascii():
        raise Unauthorized(f"{SIGNATURE_HEADER} is malformed.", code=ErrorCode.INVALID_SIGNATURE)
    problem = "The webhook signature does not match."
    for secret in secrets:
        try:
            stripe.WebhookSignature.verify_header(body, header, secret, TOLERANCE_SECONDS)
            return
        except stripe.SignatureVerificationError as exc:
            if "tolerance" in str(exc):
                problem = f"The {SIGNATURE_HEADER} timestamp is more than {TOLERANCE_SECONDS} s old."
        except UnicodeDecodeError:  # Stripe signs text: bytes that are not UTF-8 are not its
            break
    raise Unauthorized(problem, code=ErrorCode.INVALID_SIGNATURE)


def parse_checkout_session(session: dict) -> OrderSnapshot:
    """A Checkout Session (event object, or one item of the Sessions list) as an order snapshot."""
    session_id = _text(session, "id", "checkout session id")
    paid = session.get("payment_status") == "paid"
    currency = session.get("currency")
    subtotal = session.get("amount_subtotal")
    if subtotal is None and paid:
        raise PayloadError("amount_subtotal is missing on a paid session")
    totals = session.get("total_details")
    if totals is not None and not isinstance(totals, dict):
        raise PayloadError("total_details must be an object")
    totals = totals or {}

    def amount(value: Any, field: str) -> Decimal:
        return Decimal("0") if value is None else _minor(value, currency, field)

    items = amount(subtotal, "amount_subtotal") - amount(totals.get("amount_discount"),
                                                         "total_details.amount_discount")
    details = session.get("customer_details")
    details = details if isinstance(details, dict) else {}
    email = details.get("email") or session.get("customer_email")
    return OrderSnapshot(
        # Session ids can run past the 64 characters an order key holds; their random
        # tail keeps the first 64 unique.
        order_id=_object_id(session.get("payment_intent")) or session_id[:64],
        customer=CustomerRef(platform_id=_object_id(session.get("customer")),
                             email=email if isinstance(email, str) else None,
                             address=postal_address(details.get("address"), line1="line1", line2="line2",
                                                    city="city", postal_code="postal_code")),
        amounts=Amounts(items=max(items, Decimal("0")),
                        shipping=amount(totals.get("amount_shipping"), "total_details.amount_shipping"),
                        taxes=amount(totals.get("amount_tax"), "total_details.amount_tax")),
        currency=currency.upper()[:3] if isinstance(currency, str) else None,
        name=optional_text(session.get("client_reference_id"), 64),
        is_paid=paid,
        is_test=session.get("livemode") is False,
    )


def _refund_event(event_type: str, refund: dict) -> Event:
    intent = _object_id(refund.get("payment_intent"))
    if intent is None:
        return Unhandled(f"{event_type} without a payment intent")
    return RefundCreated(_refund(refund, intent))


def _charge_refunded(charge: dict) -> Event:
    intent = _object_id(charge.get("payment_intent"))
    if intent is None:
        return Unhandled("charge.refunded without a payment intent")
    charge_id = require_id(charge, "id", "charge id")
    if charge.get("refunded") is True:
        refunded = _minor(charge.get("amount_refunded"), charge.get("currency"), "amount_refunded")
        return RefundCreated(RefundSnapshot(refund_id=f"{charge_id[:59]}:full", order_id=intent,
                                            amounts=Amounts(items=refunded),
                                            created_at=_time(charge.get("created"), "created")))
    refunds = charge.get("refunds")
    listed = refunds.get("data") if isinstance(refunds, dict) else None
    if isinstance(listed, list) and listed and isinstance(listed[0], dict):
        # Newest first: the refund this event is about.
        return RefundCreated(_refund(listed[0], intent, default_currency=charge.get("currency")))
    # Newer API versions no longer embed the refunds: refund.created carries this one.
    return Unhandled("charge.refunded (partial, without its refunds listed)")


def _refund(refund: dict, intent: str, default_currency: Any = None) -> RefundSnapshot:
    refund_id = require_id(refund, "id", "refund id")
    currency = refund.get("currency") or default_currency
    return RefundSnapshot(refund_id=refund_id, order_id=intent,
                          amounts=Amounts(items=_minor(refund.get("amount"), currency, "refund amount")),
                          # pending and requires_action wait; failed and canceled never count
                          is_effective=refund.get("status") == "succeeded",
                          created_at=_time(refund.get("created"), "refund created"))


def _minor(value: Any, currency: Any, field: str) -> Decimal:
    if value is None:
        raise PayloadError(f"{field} is missing")
    if not isinstance(currency, str):
        raise PayloadError("currency is missing")
    try:
        amount = from_minor_units(value, currency, field=field)
    except ValueError as exc:
        raise PayloadError(str(exc)) from None
    if amount < 0:
        raise PayloadError(f"{field} must not be negative")
    return amount


def _text(obj: dict, key: str, what: str) -> str:
    value = obj.get(key)
    if not isinstance(value, str) or not value.strip():
        raise PayloadError(f"{what} is missing or not a string")
    return value.strip()


def _object_id(value: Any) -> str | None:
    """An id field that may also arrive expanded into its object."""
    if isinstance(value, dict):
        value = value.get("id")
    return value.strip()[:64] if isinstance(value, str) and value.strip() else None


def _time(value: Any, field: str) -> dt.datetime | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 2**37:
        raise PayloadError(f"{field} must be a Unix timestamp")
    return dt.datetime.fromtimestamp(value, dt.timezone.utc)
