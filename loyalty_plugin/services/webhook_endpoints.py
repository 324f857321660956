"""The shop's webhook endpoints, and its deliveries: the dead-letter list and replays."""
from __future__ import annotations

import datetime as dt
import logging
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload

from ..errors import Conflict, ErrorCode, NotFound, Unprocessable
from ..models import DeliveryChannel, EventType, OutboundDelivery, OutboundStatus, WebhookEndpoint
from ..rules.urls import url_refusal
from .queries import newest_first

log = logging.getLogger(__name__)

MAX_ENDPOINTS = 20
MAX_ID = 2**63 - 1  # a larger number in a URL names no row, and would overflow the column


@dataclass(frozen=True)
class EndpointSettings:
    """Who may call what: loopback endpoints only where the operator allows them."""

    allow_loopback: bool = False


def new_secret() -> str:
    return "whsec_" + secrets.token_hex(24)


def create_endpoint(session: Session, shop_id: int, values: dict[str, Any], now: dt.datetime,
                    settings: EndpointSettings) -> tuple[WebhookEndpoint, str]:
    """The new endpoint and its signing secret, which is shown only this once."""
    count = session.execute(select(func.count()).select_from(WebhookEndpoint).where(
        WebhookEndpoint.shop_id == shop_id)).scalar_one()
    if count >= MAX_ENDPOINTS:
        raise Conflict(f"A shop can have at most {MAX_ENDPOINTS} webhook endpoints.")
    secret = new_secret()
    endpoint = WebhookEndpoint(
        shop_id=shop_id, url=_checked_url(values["url"], settings), secret=secret,
        description=values.get("description"), event_types=_types(values["event_types"]),
        active=values.get("active", True), created_at=now, updated_at=now)
    session.add(endpoint)
    session.flush()
    log.info("webhook endpoint created shop=%s endpoint=%s", shop_id, endpoint.id)
    return endpoint, secret


def get_endpoint(session: Session, shop_id: int, endpoint_id: int) -> WebhookEndpoint:
    if not 0 < endpoint_id <= MAX_ID:
        raise NotFound(f"No webhook endpoint {endpoint_id} in this shop.")
    endpoint = session.execute(select(WebhookEndpoint).where(
        WebhookEndpoint.shop_id == shop_id, WebhookEndpoint.id == endpoint_id)).scalar_one_or_none()
    if endpoint is None:
        raise NotFound(f"No webhook endpoint {endpoint_id} in this shop.")
    return endpoint


def list_endpoints(session: Session, shop_id: int) -> list[WebhookEndpoint]:
    return list(session.execute(select(WebhookEndpoint).where(
        WebhookEndpoint.shop_id == shop_id).order_by(WebhookEndpoint.id)).scalars())


def update_endpoint(session: Session, shop_id: int, endpoint_id: int, changes: dict[str, Any],
                    now: dt.datetime, settings: EndpointSettings) -> tuple[WebhookEndpoint, str | None]:
    """The changed endpoint, and its new secret when ``rotate_secret`` asked for one."""
    endpoint = get_endpoint(session, shop_id, endpoint_id)
    if "url" in changes:
        endpoint.url = _checked_url(changes["url"], settings)
    if "event_types" in changes:
        endpoint.event_types = _types(changes["event_types"])
    for name in ("description", "active"):
        if name in changes:
            setattr(endpoint, name, changes[name])
    secret = None
    if changes.get("rotate_secret"):
        # Deliveries already queued are signed with the new secret when they are sent.
        secret = endpoint.secret = new_secret()
    endpoint.updated_at = now
    session.flush()
    return endpoint, secret


def delete_endpoint(session: Session, shop_id: int, endpoint_id: int) -> None:
    """Its deliveries go with it, delivered or not."""
    session.delete(get_endpoint(session, shop_id, endpoint_id))
    session.flush()
    log.info("webhook endpoint deleted shop=%s endpoint=%s", shop_id, endpoint_id)


def list_deliveries(session: Session, shop_id: int, *, status: OutboundStatus | None,
                    channel: DeliveryChannel | None, limit: int,
                    cursor: int | None) -> tuple[list[OutboundDelivery], int | None]:
    """Deliveries newest first; ``cursor`` is the last id of the previous page."""
    stmt = (select(OutboundDelivery).options(joinedload(OutboundDelivery.event))
            .where(OutboundDelivery.shop_id == shop_id))
    if status is not None:
        stmt = stmt.where(OutboundDelivery.status == status)
    if channel is not None:
        stmt = stmt.where(OutboundDelivery.channel == channel)
    return newest_first(session, stmt, OutboundDelivery.id, limit=limit, cursor=cursor)


def replay_delivery(session: Session, shop_id: int, delivery_id: int,
                    now: dt.datetime) -> OutboundDelivery:
    """Queue a dead (or delivered) delivery again, with a fresh set of attempts."""
    if not 0 < delivery_id <= MAX_ID:
        raise NotFound(f"No delivery {delivery_id} in this shop.")
    delivery = session.execute(select(OutboundDelivery).where(
        OutboundDelivery.shop_id == shop_id, OutboundDelivery.id == delivery_id)
        .with_for_update()).scalar_one_or_none()
    if delivery is None:
        raise NotFound(f"No delivery {delivery_id} in this shop.")
    if delivery.status is OutboundStatus.PENDING:
        raise Conflict("This delivery is still queued; it will be attempted again on its own.")
    delivery.status = OutboundStatus.PENDING
    delivery.attempts = 0
    delivery.next_attempt_at = now
    delivery.lease_token = delivery.leased_until = None
    delivery.updated_at = now
    session.flush()
    log.info("delivery replayed shop=%s delivery=%s", shop_id, delivery.id)
    return delivery


def _checked_url(url: str, settings: EndpointSettings) -> str:
    url = url.strip()
    refusal = url_refusal(url, allow_loopback=settings.allow_loopback)
    if refusal is not None:
        raise Unprocessable(f"The webhook URL {refusal}.", code=ErrorCode.VALIDATION_FAILED,
                            details={"fields": {"url": [f"The URL {refusal}."]}})
    return url


def _types(types: Iterable[EventType]) -> list[str]:
    return sorted({EventType(t).value for t in types})
