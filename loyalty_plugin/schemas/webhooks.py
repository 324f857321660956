"""Webhook endpoints and outbound deliveries, as the admin API takes and shows them."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from ..models import DeliveryChannel, EventType, OutboundStatus
from .booleans import StrictBoolean


class EndpointInputSchema(Schema):
    url = fields.String(required=True, validate=validate.Length(min=1, max=2048))
    event_types = fields.List(fields.Enum(EventType, by_value=True), required=True,
                              validate=validate.Length(min=1, max=len(EventType)))
    description = fields.String(allow_none=True, validate=validate.Length(max=200))
    active = StrictBoolean()


class EndpointUpdateSchema(EndpointInputSchema):
    rotate_secret = StrictBoolean()


class EndpointSchema(Schema):
    id = fields.Integer()
    url = fields.String()
    description = fields.String(allow_none=True)
    event_types = fields.List(fields.String())
    active = fields.Boolean()
    created_at = fields.DateTime()
    updated_at = fields.DateTime()


class DeliverySchema(Schema):
    id = fields.Integer()
    event_id = fields.Integer()
    event_type = fields.Function(lambda d: d.event.type.value)
    channel = fields.Enum(DeliveryChannel, by_value=True)
    endpoint_id = fields.Integer(allow_none=True)
    status = fields.Enum(OutboundStatus, by_value=True)
    attempts = fields.Integer()
    next_attempt_at = fields.DateTime()
    last_status_code = fields.Integer(allow_none=True)
    last_error = fields.String(allow_none=True)
    created_at = fields.DateTime()
    delivered_at = fields.DateTime(allow_none=True)


class DeliveryQuerySchema(Schema):
    status = fields.Enum(OutboundStatus, by_value=True, load_default=None)
    channel = fields.Enum(DeliveryChannel, by_value=True, load_default=None)
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))
    cursor = fields.Integer(load_default=None, validate=validate.Range(min=1, max=2**63 - 1))


class EndpointCreatedSchema(EndpointSchema):
    secret = fields.String(metadata={"description": "Signs the deliveries; shown only when made."})


class DeletedSchema(Schema):
    deleted = fields.Integer(required=True)
