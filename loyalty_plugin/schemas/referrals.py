"""Referrals, referral codes and the referral program, as the admin API shows them."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from ..models import ReferralStatus
from .booleans import StrictBoolean
from .customers import PageQuerySchema

MAX_REFERRAL_POINTS = 1_000_000


class ReferralCodeSchema(Schema):
    code = fields.String()
    link = fields.String()


class ReferralSchema(Schema):
    id = fields.Integer()
    status = fields.Enum(ReferralStatus, by_value=True)
    reason = fields.Function(lambda r: r.reason.value if r.reason else None)
    note = fields.String(allow_none=True)
    referrer = fields.Function(lambda r: {"external_id": r.referrer.platform_customer_id})
    friend = fields.Function(lambda r: {"email": r.friend_email, "external_id": r.friend_external_id})
    # The friend's order that completes (or failed) the referral, as the platform names it.
    order_id = fields.Function(lambda r: r.order.platform_order_id if r.order else None)
    referrer_points = fields.Integer()
    created_at = fields.DateTime()
    linked_at = fields.DateTime(allow_none=True)
    completed_at = fields.DateTime(allow_none=True)
    closed_at = fields.DateTime(allow_none=True)


class AddressInputSchema(Schema):
    line1 = fields.String(required=True, validate=validate.Length(min=1, max=255))
    line2 = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=255))
    city = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=255))
    postal_code = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=32))


class FriendInputSchema(Schema):
    email = fields.Email(required=True, validate=validate.Length(max=320))
    external_id = fields.String(load_default=None, allow_none=True, validate=validate.Length(min=1, max=64))
    address = fields.Nested(AddressInputSchema, load_default=None, allow_none=True)


class ReferralInputSchema(Schema):
    referral_code = fields.String(required=True, validate=validate.Length(min=1, max=64))
    friend = fields.Nested(FriendInputSchema, required=True)


class VoidInputSchema(Schema):
    reason = fields.String(load_default=None, allow_none=True, validate=validate.Length(min=1, max=500))


class ReferralQuerySchema(PageQuerySchema):
    status = fields.Enum(ReferralStatus, by_value=True, load_default=None)


class ReferralProgramSchema(Schema):
    referrals_enabled = StrictBoolean()
    referral_points = fields.Integer(strict=True, validate=validate.Range(min=0, max=MAX_REFERRAL_POINTS))
    referral_limit = fields.Integer(strict=True, validate=validate.Range(min=1, max=10_000))
    referral_limit_days = fields.Integer(strict=True, validate=validate.Range(min=1, max=3650))
