"""The webhook inbox: one row per authentic delivery, keyed by the platform's delivery id."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..errors import ErrorCode, NotFound
from ..events import Outcome
from ..models import DeliveryStatus, InboundDelivery
from .sql import insert_or_none, write_changes

# A delivery in one of these states is finished: a repeat changes nothing.
FINAL = frozenset({DeliveryStatus.PROCESSED, DeliveryStatus.IGNORED, DeliveryStatus.REJECTED})


def open_delivery(session: Session, *, shop_id: int, delivery_id: str, topic: str, body: bytes,
                  headers: dict, now: dt.datetime) -> tuple[InboundDelivery, bool]:
    """Record a delivery, or find it again; returns it locked and whether it was done already.

    Concurrent repeats of one delivery id queue on the row lock, so only one applies it.
    """
    delivery = insert_or_none(session, InboundDelivery, dict(
        shop_id=shop_id, delivery_id=delivery_id, topic=topic, status=DeliveryStatus.FAILED,
        received_at=now, attempts=1, body=body, headers=headers),
        conflict=["shop_id", "delivery_id"])
    if delivery is not None:
        return delivery, False
    delivery = session.execute(
        select(InboundDelivery).where(InboundDelivery.shop_id == shop_id,
                                      InboundDelivery.delivery_id == delivery_id)
        .with_for_update(key_share=True).execution_options(populate_existing=True)).scalar_one()
    if delivery.status in FINAL:
        return delivery, True
    delivery.attempts += 1
    return delivery, False


def finish_delivery(session: Session, delivery: InboundDelivery, outcome: Outcome,
                    now: dt.datetime) -> None:
    delivery.status = DeliveryStatus.IGNORED if outcome.ignored else DeliveryStatus.PROCESSED
    delivery.note = outcome.note[:2000]
    delivery.error = None
    delivery.processed_at = now
    delivery.account_id = outcome.account_id or delivery.account_id
    delivery.platform_order_id = outcome.order_id or delivery.platform_order_id
    write_changes(session, delivery)


def reject_delivery(delivery: InboundDelivery, message: str, now: dt.datetime) -> None:
    delivery.status = DeliveryStatus.REJECTED
    delivery.error = message[:2000]
    delivery.processed_at = now


def record_failure(session: Session, *, shop_id: int, delivery_id: str, topic: str, body: bytes,
                   headers: dict, error: str, now: dt.datetime) -> None:
    """Keep a failed delivery for replay; runs in a fresh transaction after the rollback."""
    delivery, done = open_delivery(session, shop_id=shop_id, delivery_id=delivery_id, topic=topic,
                                   body=body, headers=headers, now=now)
    if done:
        return
    delivery.status = DeliveryStatus.FAILED
    delivery.error = error[:2000]


def deliveries_to_replay(session: Session, *, shop_id: int | None, statuses: list[DeliveryStatus],
                         delivery_ids: list[int] | None = None, limit: int = 1000) -> list[InboundDelivery]:
    stmt = select(InboundDelivery).order_by(InboundDelivery.id).limit(limit)
    if delivery_ids:
        stmt = stmt.where(InboundDelivery.id.in_(delivery_ids))
    else:
        stmt = stmt.where(InboundDelivery.status.in_(statuses))
    if shop_id is not None:
        stmt = stmt.where(InboundDelivery.shop_id == shop_id)
    return list(session.execute(stmt).scalars())


def get_delivery(session: Session, shop_id: int, row_id: int, *, lock: bool = False) -> InboundDelivery:
    """One of the shop's deliveries by row id; locked for a replay, so two never overlap."""
    stmt = select(InboundDelivery).where(InboundDelivery.id == row_id, InboundDelivery.shop_id == shop_id)
    delivery = session.execute(stmt.with_for_update() if lock else stmt).scalar_one_or_none()
    if delivery is None:
        raise NotFound(f"No delivery with id {row_id} in this shop.", code=ErrorCode.DELIVERY_NOT_FOUND)
    return delivery
