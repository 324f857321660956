"""Sending due deliveries after commit: claim under a lease, send, record the outcome.

Three steps, each its own transaction, and the sending in none of them:

1. fan out committed events into deliveries;
2. claim due deliveries (``FOR UPDATE SKIP LOCKED`` on PostgreSQL; SQLite's
   write transaction already serialises claims), counting the attempt and
   leasing each one to this run with a random token;
3. send each, then record the outcome only if this run still holds the lease.

A run that dies after claiming leaves its deliveries to be claimed again when the
lease runs out, so nothing is lost; the lease outlasts any send, so two runs never
send one delivery at the same time.
"""
from __future__ import annotations

import datetime as dt
import logging
import random
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from ..db import Database
from ..models import DeliveryChannel, OutboundDelivery, OutboundStatus, WebhookEndpoint
from ..rules.backoff import MAX_ATTEMPTS, retry_delay
from . import email_notifications
from .fanout import fan_out
from .mailer import EmailJob, Mailer
from .webhook_sender import SendResult, WebhookMessage, WebhookSender

log = logging.getLogger(__name__)

LEASE = dt.timedelta(minutes=5)


@dataclass
class Channels:
    webhooks: WebhookSender
    mailer: Mailer | None = None

    def close(self) -> None:
        self.webhooks.close()


def channels_from_config(config: Mapping[str, Any]) -> Channels:
    return Channels(webhooks=WebhookSender(allow_loopback=bool(config.get("LOYALTY_WEBHOOK_ALLOW_LOOPBACK"))),
                    mailer=Mailer.from_url(config.get("LOYALTY_SMTP_URL") or "",
                                           ca_file=config.get("LOYALTY_SMTP_CA_FILE") or None))


@dataclass(frozen=True)
class Claim:
    delivery_id: int
    shop_id: int
    token: str
    attempts: int
    message: WebhookMessage | EmailJob | str  # a str says why there is nothing to send


def deliver_due(db: Database, now: dt.datetime, limit: int = 100, *, channels: Channels,
                rng: Callable[[], float] = random.random) -> int:
    """Fan out new events, then send up to ``limit`` due deliveries; returns how many were tried."""
    while True:
        with db.transaction() as session:
            if fan_out(session, now) == 0:
                break
    with db.transaction() as session:
        claims = _claim(session, now, limit)
    for claim in claims:
        result = _send(claim, channels)
        with db.transaction() as session:
            _record(session, claim, result, now, rng)
    return len(claims)


def _claim(session: Session, now: dt.datetime, limit: int) -> list[Claim]:
    due = session.execute(select(OutboundDelivery).where(
        OutboundDelivery.status == OutboundStatus.PENDING, OutboundDelivery.next_attempt_at <= now,
        or_(OutboundDelivery.leased_until.is_(None), OutboundDelivery.leased_until <= now))
        .order_by(OutboundDelivery.next_attempt_at, OutboundDelivery.id).limit(limit)
        .with_for_update(skip_locked=True)).scalars().all()
    claims = []
    for delivery in due:
        delivery.lease_token = secrets.token_hex(16)
        delivery.leased_until = now + LEASE
        delivery.attempts += 1
        delivery.updated_at = now
        claims.append(Claim(delivery.id, delivery.shop_id, delivery.lease_token, delivery.attempts,
                            _message(session, delivery)))
    session.flush()
    return claims


def _message(session: Session, delivery: OutboundDelivery) -> WebhookMessage | EmailJob | str:
    event = delivery.event
    if delivery.channel is DeliveryChannel.EMAIL:
        return email_notifications.prepare(session, delivery)
    endpoint = session.get(WebhookEndpoint, delivery.endpoint_id)
    if endpoint is None or not endpoint.active:
        return "the webhook endpoint is gone or inactive"
    return WebhookMessage(delivery_id=delivery.id, url=endpoint.url, secret=endpoint.secret, event={
        "id": event.id, "type": event.type.value, "created_at": event.created_at.isoformat(),
        "shop_id": event.shop_id, "data": event.payload})


def _send(claim: Claim, channels: Channels) -> SendResult:
    try:
        return _send_message(claim.message, channels)
    except Exception as exc:  # one broken delivery must not stop the run, nor stay leased forever
        # The type only: the message of an unexpected error might quote a URL with a token in it.
        log.error("delivery shop=%s delivery=%s failed unexpectedly: %s", claim.shop_id,
                  claim.delivery_id, type(exc).__name__)
        return SendResult(False, error=f"unexpected error ({type(exc).__name__})")


def _send_message(message: WebhookMessage | EmailJob | str, channels: Channels) -> SendResult:
    if isinstance(message, str):
        return SendResult(False, error=message)
    if isinstance(message, WebhookMessage):
        return channels.webhooks.send(message)
    if channels.mailer is None:
        return SendResult(False, error="email is not configured (LOYALTY_SMTP_URL)")
    return channels.mailer.send(message)


def _record(session: Session, claim: Claim, result: SendResult, now: dt.datetime,
            rng: Callable[[], float]) -> None:
    values: dict[str, Any] = dict(lease_token=None, leased_until=None, updated_at=now,
                                  last_status_code=result.status_code,
                                  last_error=result.error[:500] if result.error else None)
    if result.ok:
        values.update(status=OutboundStatus.DELIVERED, delivered_at=now)
    elif claim.attempts >= MAX_ATTEMPTS:
        values.update(status=OutboundStatus.DEAD)
    else:
        values.update(next_attempt_at=now + retry_delay(claim.attempts, rng))
    recorded = session.execute(update(OutboundDelivery).where(
        OutboundDelivery.id == claim.delivery_id, OutboundDelivery.lease_token == claim.token)
        .values(**values)).rowcount
    outcome = values.get("status", OutboundStatus.PENDING).value
    log.info("delivery shop=%s delivery=%s attempt=%s outcome=%s status_code=%s%s", claim.shop_id,
             claim.delivery_id, claim.attempts, outcome, result.status_code,
             "" if recorded else " (lease lost: outcome dropped)")
