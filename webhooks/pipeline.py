"""The one webhook pipeline: raw bytes, verify, dedupe, parse, apply, commit.

Written once for every platform; an adapter only verifies and parses.
"""
from __future__ import annotations

import logging
from typing import Any

from flask import Blueprint, jsonify, request
from sqlalchemy.orm import Session

from loyalty_plugin.db import get_db, get_session
from loyalty_plugin.errors import BadRequest, ErrorCode, NotFound, Unauthorized
from loyalty_plugin.models import InboundDelivery, Platform, Shop, utcnow
from loyalty_plugin.services import deliveries
from loyalty_plugin.services.events import apply_event
from loyalty_plugin.services.shop_rows import ShopRow, load_shop_row, orm_shop
from loyalty_plugin.services.shops import find_shop, get_shop

from .base import Acknowledged, Adapter, Envelope, PayloadError
from .bigcommerce import BigCommerceAdapter
from .custom import CustomAdapter
from .deferred import Deferred, resolve
from .shopify import DOMAIN_HEADER, ShopifyAdapter
from .stripe import StripeAdapter
from .woocommerce import WooCommerceAdapter

log = logging.getLogger(__name__)

ADAPTERS: dict[Platform, Adapter] = {Platform.SHOPIFY: ShopifyAdapter()}
ADAPTERS[Platform.BIGCOMMERCE] = BigCommerceAdapter()
ADAPTERS[Platform.WOOCOMMERCE] = WooCommerceAdapter()
ADAPTERS[Platform.STRIPE] = StripeAdapter()
ADAPTERS[Platform.CUSTOM] = CustomAdapter()

bp = Blueprint("webhooks", __name__, url_prefix="/webhooks")


@bp.post("/<platform>/<shop_id>")
def receive(platform: str, shop_id: str):
    adapter = _adapter(platform)
    if adapter is None:
        raise NotFound(f"Unknown platform {platform[:32]!r}.")
    body = request.get_data(cache=False)
    status, payload = handle_delivery(adapter, shop_id, request.headers, body)
    return jsonify(payload), status


@bp.post("/shopify")
def receive_shopify_app():
    """App-wide Shopify deliveries: the compliance topics, declared once in the app's
    configuration, come to one address for every shop. The shop is the one
    X-Shopify-Shop-Domain names; its secret must verify the HMAC as on its own address."""
    domain = (request.headers.get(DOMAIN_HEADER) or "").strip().lower()[:255]
    shop = find_shop(get_session(), Platform.SHOPIFY, domain) if domain else None
    if shop is None:
        # Shopify expects 401 for any delivery that cannot be verified.
        raise Unauthorized(f"No shop matches {DOMAIN_HEADER}; the delivery cannot be verified.",
                           code=ErrorCode.INVALID_SIGNATURE)
    body = request.get_data(cache=False)
    status, payload = handle_delivery(ADAPTERS[Platform.SHOPIFY], str(shop.id), request.headers, body)
    return jsonify(payload), status


def _adapter(platform: str) -> Adapter | None:
    try:
        return ADAPTERS.get(Platform(platform))
    except ValueError:
        return None


def handle_delivery(adapter: Adapter, shop_id: str, headers: Any, body: bytes) -> tuple[int, dict]:
    session = get_session()
    valid_id = shop_id.isdigit() and len(shop_id) <= 18
    shop = load_shop_row(session, int(shop_id), adapter.platform) if valid_id else None
    if shop is None:
        raise NotFound(f"No {adapter.platform.value} shop with id {shop_id[:32]!r}.",
                       code=ErrorCode.SHOP_NOT_FOUND)
    try:
        envelope = adapter.authenticate(shop, headers, body)
    except Acknowledged as ack:
        log.info("acknowledged shop=%s: %s", shop.id, ack)
        return 200, {"status": "acknowledged", "note": str(ack)}
    shop_key = shop.id
    now = utcnow()
    try:
        delivery, done = deliveries.open_delivery(
            session, shop_id=shop.id, delivery_id=envelope.delivery_id, topic=envelope.topic,
            body=body, headers=envelope.headers, now=now)
        if done:
            session.commit()
            log.info("duplicate delivery shop=%s delivery=%s", shop.id, envelope.delivery_id)
            return 200, {"status": "duplicate", "delivery_id": envelope.delivery_id}
        result = _apply(session, adapter, shop, delivery, envelope, body)
        session.commit()
    except PayloadError as exc:
        session.commit()  # keeps the rejected delivery's record
        raise BadRequest(f"Malformed {envelope.topic} payload: {exc}",
                         details={"delivery_id": envelope.delivery_id}) from None
    except Exception as exc:
        session.close()  # rolls back; the failure is recorded in a transaction of its own
        _record_failure(shop_key, envelope, body, exc)
        raise
    log.info("delivery shop=%s delivery=%s topic=%s status=%s note=%s", shop_key,
             envelope.delivery_id, envelope.topic, result["status"], result["note"])
    return 200, result


def _apply(session: Session, adapter: Adapter, shop: Shop | ShopRow, delivery: InboundDelivery,
           envelope: Envelope, body: bytes) -> dict:
    now = utcnow()
    try:
        # A thin delivery is fetched here, inside the transaction: a failing API applies nothing.
        parsed = adapter.parse(envelope, body)
        # A fetch goes through the shop's credentials: the object, not the row.
        event = resolve(parsed, session, orm_shop(session, shop)) if isinstance(parsed, Deferred) else parsed
    except PayloadError as exc:
        deliveries.reject_delivery(delivery, str(exc), now)
        raise
    outcome = apply_event(session, shop, event, now)
    if outcome.shop_deleted:
        return {"status": "processed", "note": outcome.note, "delivery_id": envelope.delivery_id}
    deliveries.finish_delivery(session, delivery, outcome, now)
    return {"status": delivery.status.value, "note": outcome.note, "delivery_id": envelope.delivery_id}


def _record_failure(shop_id: int, envelope: Envelope, body: bytes, exc: Exception) -> None:
    log.exception("delivery failed shop=%s delivery=%s topic=%s", shop_id, envelope.delivery_id,
                  envelope.topic)
    try:
        with get_db().transaction() as session:
            deliveries.record_failure(session, shop_id=shop_id, delivery_id=envelope.delivery_id,
                                      topic=envelope.topic, body=body, headers=envelope.headers,
                                      error=f"{type(exc).__name__}: {exc}"[:2000], now=utcnow())
    except Exception:
        log.exception("could not record failed delivery shop=%s delivery=%s", shop_id,
                      envelope.delivery_id)


def replay(session: Session, delivery: InboundDelivery) -> dict:
    """Apply a stored delivery again, from its stored bytes and headers."""
    shop = get_shop(session, delivery.shop_id)
    if shop is None or delivery.body is None:
        raise BadRequest("This delivery cannot be replayed: its shop or body is gone.")
    adapter = ADAPTERS.get(shop.platform)
    if adapter is None:
        raise BadRequest(f"No adapter for {shop.platform.value}.")
    envelope = Envelope(delivery.delivery_id, delivery.topic, dict(delivery.headers or {}))
    delivery.attempts += 1
    return _apply(session, adapter, shop, delivery, envelope, delivery.body)


def replay_reported(session: Session, delivery: InboundDelivery) -> dict:
    """``replay`` for callers outside this package: a stored body that no longer parses
    leaves the delivery rejected, and says so in the result rather than raising."""
    try:
        return replay(session, delivery)
    except PayloadError as exc:
        return {"status": delivery.status.value, "note": str(exc), "delivery_id": delivery.delivery_id}

