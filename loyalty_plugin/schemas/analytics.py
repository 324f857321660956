"""The dashboard overview as the admin API shows it: money as strings with two decimals."""
from __future__ import annotations

from marshmallow import Schema, fields

from ..rules.calendar import Bucket


def _money(**kwargs) -> fields.Decimal:
    return fields.Decimal(as_string=True, places=2, **kwargs)


class OverviewQuerySchema(Schema):
    start = fields.Date(data_key="from", required=True, metadata={
        "description": "The first local day, YYYY-MM-DD, in the shop's time zone."})
    end = fields.Date(data_key="to", required=True, metadata={
        "description": "The last local day, included."})
    bucket = fields.Enum(Bucket, by_value=True, load_default=Bucket.DAY, metadata={
        "description": "day (at most 731 days), week (Monday to Sunday) or month (at most 3653 days)."})


class PointsFlowSchema(Schema):
    issued = fields.Integer(metadata={"description": "Earned on orders, and bonuses."})
    reversed = fields.Integer(metadata={"description": "Taken back on refunds and cancellations."})
    redeemed = fields.Integer(metadata={"description": "Spent on codes, less points returned."})
    expired = fields.Integer()


class BucketSchema(Schema):
    first = fields.Date(data_key="from")
    last = fields.Date(data_key="to")
    points = fields.Nested(PointsFlowSchema)
    members = fields.Integer(metadata={"description": "Members at the end of the bucket."})
    new_members = fields.Integer()
    active_members = fields.Integer()
    code_orders = fields.Integer()
    code_revenue = _money()


class OrderFiguresSchema(Schema):
    orders = fields.Integer()
    customers = fields.Integer()
    revenue = _money()
    average_order_value = _money(allow_none=True)
    orders_per_customer = fields.Decimal(as_string=True, places=2, allow_none=True)


class OrdersByMembershipSchema(Schema):
    members = fields.Nested(OrderFiguresSchema)
    guests = fields.Nested(OrderFiguresSchema)


class LiabilitySchema(Schema):
    points = fields.Integer(metadata={"description": "Available plus pending points now."})
    pending_points = fields.Integer()
    point_value = fields.Decimal(as_string=True, allow_none=True, metadata={
        "description": "Money per point, from the cheapest money-off reward; null without one."})
    value = _money(allow_none=True)
    as_of = fields.DateTime()


class OverviewSchema(Schema):
    start = fields.Date(data_key="from")
    end = fields.Date(data_key="to")
    bucket = fields.Enum(Bucket, by_value=True)
    timezone = fields.String()
    currency = fields.String()
    buckets = fields.List(fields.Nested(BucketSchema))
    points = fields.Nested(PointsFlowSchema)
    members = fields.Integer()
    new_members = fields.Integer()
    active_members = fields.Integer()
    redeeming_members = fields.Integer()
    redemption_rate = fields.Decimal(as_string=True, allow_none=True, metadata={
        "description": "Members with a code bought in the range, over members; null without members."})
    code_orders = fields.Integer()
    code_revenue = _money()
    orders = fields.Nested(OrdersByMembershipSchema, metadata={
        "description": "Paid orders of members and of guests."})
    liability = fields.Nested(LiabilitySchema)
