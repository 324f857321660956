"""Inbound webhook deliveries (the inbox), as the admin API shows them: never the raw body."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from ..models import DeliveryStatus
from .customers import PageQuerySchema


class InboundDeliverySchema(Schema):
    id = fields.Integer()
    delivery_id = fields.String(metadata={"description": "The platform's own id of the delivery."})
    topic = fields.String()
    status = fields.Enum(DeliveryStatus, by_value=True)
    received_at = fields.DateTime()
    processed_at = fields.DateTime(allow_none=True)
    attempts = fields.Integer()
    note = fields.String(allow_none=True)
    error = fields.String(allow_none=True)


class InboundDeliveryQuerySchema(PageQuerySchema):
    status = fields.Enum(DeliveryStatus, by_value=True, load_default=None)
    topic = fields.String(load_default=None, validate=validate.Length(min=1, max=64))


class ReplayResultSchema(Schema):
    status = fields.String(required=True, metadata={"description": "What the replay did."})
    note = fields.String(required=True, allow_none=True)
    delivery = fields.Nested(InboundDeliverySchema, required=True)
