"""Inbound webhook deliveries: the shop's inbox, filtered by status or topic, and replay."""
from __future__ import annotations

import datetime as dt

from flask import Blueprint, current_app, request

from ..db import get_session
from ..schemas.deliveries import InboundDeliveryQuerySchema, InboundDeliverySchema, ReplayResultSchema
from ..schemas.envelopes import page_of
from ..services import deliveries
from ..services.queries import list_deliveries
from .contract import documented
from .examples import WHEN
from .helpers import api_key, idempotent

bp = Blueprint("deliveries", __name__)

DELIVERY = {"id": 1207, "delivery_id": "b54557e4-bdd9-4b37-8a5f-bf7d70bcd043", "topic": "orders/paid",
            "status": "failed", "received_at": WHEN, "processed_at": None, "attempts": 2,
            "note": None, "error": "ProviderUnavailable: Shopify answered 503"}


@bp.get("/deliveries")
@documented("Webhook deliveries received from the platform, newest first",
            response=page_of(InboundDeliverySchema), query=InboundDeliveryQuerySchema,
            example={"items": [DELIVERY], "next_cursor": None})
def list_inbound():
    key = api_key()
    query = InboundDeliveryQuerySchema().load(request.args)
    rows, next_cursor = list_deliveries(get_session(), shop_id=key.shop_id, **query)
    return {"items": InboundDeliverySchema(many=True).dump(rows),
            "next_cursor": str(next_cursor) if next_cursor else None}


@bp.get("/deliveries/<int:row_id>")
@documented("One received delivery", response=InboundDeliverySchema, example=DELIVERY)
def get_inbound(row_id: int):
    return InboundDeliverySchema().dump(deliveries.get_delivery(get_session(), api_key().shop_id, row_id))


@bp.post("/deliveries/<int:row_id>/replay")
@documented("Apply a received delivery again, from its stored body", response=ReplayResultSchema,
            description="Safe to repeat: points already awarded or reversed are never applied "
                        "twice. A body that no longer parses leaves the delivery rejected.",
            errors=(502, 503), example={"status": "processed", "note": "awarded 100 points",
                                    "delivery": {**DELIVERY, "status": "processed", "error": None,
                                                 "processed_at": WHEN, "attempts": 3}})
def replay_inbound(row_id: int):
    key = api_key(write=True)
    replay = current_app.extensions["loyalty.replay_delivery"]

    def write(_reference: str | None, _now: dt.datetime) -> tuple[dict, int]:
        session = get_session()
        delivery = deliveries.get_delivery(session, key.shop_id, row_id, lock=True)
        result = replay(session, delivery)
        return {"status": result["status"], "note": result.get("note"),
                "delivery": InboundDeliverySchema().dump(delivery)}, 200

    return idempotent(key.shop_id, "delivery.inbound.replay", {"delivery": row_id}, write)
