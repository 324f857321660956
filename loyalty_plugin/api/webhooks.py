"""Outbound webhook endpoints, and the deliveries made to them (dead letters, replays)."""
from __future__ import annotations

import datetime as dt

from flask import Blueprint, current_app, request

from ..db import get_session
from ..schemas.envelopes import list_of, page_of
from ..schemas.webhooks import (DeletedSchema, DeliveryQuerySchema, DeliverySchema,
                                EndpointCreatedSchema, EndpointInputSchema, EndpointSchema,
                                EndpointUpdateSchema)
from ..services import webhook_endpoints as endpoints
from . import examples as ex
from .contract import documented
from .helpers import api_key, idempotent, json_body

bp = Blueprint("webhook_endpoints", __name__)


def _settings() -> endpoints.EndpointSettings:
    return endpoints.EndpointSettings(allow_loopback=current_app.config["LOYALTY_WEBHOOK_ALLOW_LOOPBACK"])


@bp.get("/webhook-endpoints")
@documented("The shop's webhook endpoints", response=list_of(EndpointSchema),
            example={"items": [ex.ENDPOINT]})
def list_endpoints():
    found = endpoints.list_endpoints(get_session(), api_key().shop_id)
    return {"items": EndpointSchema(many=True).dump(found)}


@bp.post("/webhook-endpoints")
@documented("Add a webhook endpoint; its signing secret is shown once", status=201,
            response=EndpointCreatedSchema, body=EndpointInputSchema, errors=(409,),
            body_example={"url": "https://hooks.shop.example/loyalty", "event_types": ["points.earned"]},
            example={**ex.ENDPOINT, "secret": "whsec_3b1f..."})
def create_endpoint():
    key = api_key(write=True)
    body = json_body()
    values = EndpointInputSchema().load(body)

    def write(_reference: str | None, now: dt.datetime) -> tuple[dict, int]:
        endpoint, secret = endpoints.create_endpoint(get_session(), key.shop_id, values, now, _settings())
        return {**EndpointSchema().dump(endpoint), "secret": secret}, 201

    return idempotent(key.shop_id, "webhook_endpoint.create", body, write)


@bp.get("/webhook-endpoints/<int:endpoint_id>")
@documented("One webhook endpoint", response=EndpointSchema, example=ex.ENDPOINT)
def get_endpoint(endpoint_id: int):
    return EndpointSchema().dump(endpoints.get_endpoint(get_session(), api_key().shop_id, endpoint_id))


@bp.patch("/webhook-endpoints/<int:endpoint_id>")
@documented("Change a webhook endpoint, or rotate its secret", response=EndpointCreatedSchema,
            body=EndpointUpdateSchema(partial=True), body_example={"active": False},
            example={**ex.ENDPOINT, "active": False})
def update_endpoint(endpoint_id: int):
    key = api_key(write=True)
    body = json_body()
    changes = EndpointUpdateSchema(partial=True).load(body)

    def write(_reference: str | None, now: dt.datetime) -> tuple[dict, int]:
        endpoint, secret = endpoints.update_endpoint(get_session(), key.shop_id, endpoint_id, changes,
                                                     now, _settings())
        shown = EndpointSchema().dump(endpoint)
        return ({**shown, "secret": secret} if secret else shown), 200

    return idempotent(key.shop_id, "webhook_endpoint.update", {"endpoint": endpoint_id, **body}, write)


@bp.delete("/webhook-endpoints/<int:endpoint_id>")
@documented("Delete a webhook endpoint", response=DeletedSchema, example={"deleted": 7})
def delete_endpoint(endpoint_id: int):
    key = api_key(write=True)

    def write(_reference: str | None, _now: dt.datetime) -> tuple[dict, int]:
        endpoints.delete_endpoint(get_session(), key.shop_id, endpoint_id)
        return {"deleted": endpoint_id}, 200

    return idempotent(key.shop_id, "webhook_endpoint.delete", {"endpoint": endpoint_id}, write)


@bp.get("/webhook-deliveries")
@documented("Outbound deliveries, newest first (dead letters with status=dead)",
            response=page_of(DeliverySchema), query=DeliveryQuerySchema,
            example={"items": [ex.OUTBOUND_DELIVERY], "next_cursor": None})
def list_deliveries():
    key = api_key()
    query = DeliveryQuerySchema().load(request.args)
    rows, next_cursor = endpoints.list_deliveries(get_session(), key.shop_id, **query)
    return {"items": DeliverySchema(many=True).dump(rows),
            "next_cursor": str(next_cursor) if next_cursor else None}


@bp.post("/webhook-deliveries/<int:delivery_id>/replay")
@documented("Send an outbound delivery again", status=202, response=DeliverySchema,
            errors=(409,), example={**ex.OUTBOUND_DELIVERY, "status": "pending"})
def replay_delivery(delivery_id: int):
    key = api_key(write=True)

    def write(_reference: str | None, now: dt.datetime) -> tuple[dict, int]:
        delivery = endpoints.replay_delivery(get_session(), key.shop_id, delivery_id, now)
        return DeliverySchema().dump(delivery), 202

    return idempotent(key.shop_id, "delivery.replay", {"delivery": delivery_id}, write)
