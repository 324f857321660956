"""Turning each outbox event into its deliveries: one per subscribed endpoint (and email).

Runs in its own short transaction, after the events committed. Events are taken
with ``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so two workers never fan out the
same event; ``fanned_out_at`` marks it done in the same transaction.
"""
from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import DeliveryChannel, OutboundDelivery, OutboundEvent, OutboundStatus, WebhookEndpoint
from . import email_notifications


def fan_out(session: Session, now: dt.datetime, *, limit: int = 500) -> int:
    """Fan out up to ``limit`` events; returns how many were fanned out."""
    events = session.execute(select(OutboundEvent).where(OutboundEvent.fanned_out_at.is_(None))
                             .order_by(OutboundEvent.id).limit(limit)
                             .with_for_update(skip_locked=True)).scalars().all()
    subscribers: dict[int, list[WebhookEndpoint]] = {}
    for event in events:
        if event.shop_id not in subscribers:
            subscribers[event.shop_id] = list(session.execute(select(WebhookEndpoint).where(
                WebhookEndpoint.shop_id == event.shop_id, WebhookEndpoint.active.is_(True))).scalars())
        for endpoint in subscribers[event.shop_id]:
            if event.type.value in endpoint.event_types:
                session.add(_delivery(event, now, channel=DeliveryChannel.WEBHOOK, endpoint_id=endpoint.id))
        recipient = email_notifications.recipient_for(session, event)
        if recipient is not None:
            session.add(_delivery(event, now, channel=DeliveryChannel.EMAIL, recipient=recipient))
        event.fanned_out_at = now
    session.flush()
    return len(events)


def _delivery(event: OutboundEvent, now: dt.datetime, **target: Any) -> OutboundDelivery:
    return OutboundDelivery(shop_id=event.shop_id, event_id=event.id, status=OutboundStatus.PENDING,
                            attempts=0, next_attempt_at=now, created_at=now, updated_at=now, **target)
