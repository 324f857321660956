"""The expiry policy and a customer's expiry schedule, as the admin API shows them."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from ..models import ExpiryPolicy
from ..services.expiry import MAX_DAYS, MAX_WARNING_DAYS


class ExpiryPolicySchema(Schema):
    expiry_policy = fields.Enum(ExpiryPolicy, by_value=True)
    expiry_days = fields.Integer(strict=True, validate=validate.Range(min=1, max=MAX_DAYS))
    # Days ahead customers are told their points expire (a points.expiring event); 0: never.
    expiry_warning_days = fields.Integer(strict=True, validate=validate.Range(min=0, max=MAX_WARNING_DAYS))
    expiry_enabled_at = fields.DateTime(dump_only=True, allow_none=True)


class ExpiringPointsSchema(Schema):
    expires_at = fields.DateTime(allow_none=True)
    points = fields.Integer()
    pending = fields.Boolean()


class CustomerExpirySchema(Schema):
    policy = fields.Nested(ExpiryPolicySchema, required=True)
    schedule = fields.List(fields.Nested(ExpiringPointsSchema), required=True)
