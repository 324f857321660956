"""Customers, their ledger activity and adjustments, as the admin API shows them."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

MAX_POINTS = 1_000_000_000


class PointsSchema(Schema):
    available = fields.Integer()
    pending = fields.Integer()
    lifetime = fields.Integer()


class CustomerSchema(Schema):
    external_id = fields.String(attribute="platform_customer_id", allow_none=True)
    email = fields.String(allow_none=True)
    first_name = fields.String(allow_none=True)
    last_name = fields.String(allow_none=True)
    points = fields.Method("_points")
    created_at = fields.DateTime()

    def _points(self, account) -> dict:
        return PointsSchema().dump(account)


class LedgerEntrySchema(Schema):
    id = fields.Integer()
    kind = fields.Function(lambda e: e.kind.value)
    points = fields.Integer()
    status = fields.Function(lambda e: e.status.value)
    created_at = fields.DateTime()
    matures_at = fields.DateTime(allow_none=True)
    expires_at = fields.DateTime(allow_none=True)
    source = fields.Function(lambda e: e.source.value)
    source_ref = fields.String()
    reason = fields.String(allow_none=True)
    actor = fields.String(allow_none=True, metadata={
        "description": "Who made a manual entry: \"API key <name>\" or the dashboard user's email."})
    base_amount = fields.Decimal(as_string=True, allow_none=True)
    rate = fields.Decimal(as_string=True, allow_none=True)
    multiplier = fields.Decimal(as_string=True, allow_none=True)
    rule_version = fields.Integer(allow_none=True)


class AdjustmentSchema(Schema):
    points = fields.Integer(required=True, strict=True, validate=[
        validate.Range(min=-MAX_POINTS, max=MAX_POINTS),
        validate.NoneOf([0], error="Must not be zero."),
    ])
    reason = fields.String(required=True, validate=validate.Length(min=1, max=500))


class PageQuerySchema(Schema):
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))
    cursor = fields.Integer(load_default=None, validate=validate.Range(min=1, max=2**63 - 1))


class AdjustmentResultSchema(Schema):
    entry = fields.Nested(LedgerEntrySchema, required=True)
    customer = fields.Nested(CustomerSchema, required=True)


class CustomerQuerySchema(PageQuerySchema):
    q = fields.String(load_default=None, validate=validate.Length(min=1, max=320), metadata={
        "description": "An exact external id, the start of an email, or part of a name."})


class PreviewQuerySchema(Schema):
    """Whom the dashboard's widget preview shows: a customer found by ``preview_q`` (as in
    the customer search), or the one picked by account id; neither is the guest view."""

    preview_q = fields.String(load_default=None, validate=validate.Length(min=1, max=320))
    customer = fields.Integer(load_default=None, validate=validate.Range(min=1, max=2**63 - 1))
