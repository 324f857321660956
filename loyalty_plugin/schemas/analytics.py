"""The dashboard overview as the admin API shows it: money as strings with two decimals."""
from __future__ import annotations

from marshmallow import Schema, fields

from ..rules.calendar import Bucket
from .tiers import Amount


def _money(**kwargs) -> fields.Decimal:
    return fields.Decimal(as_string=True, places=2, **kwargs)


class OverviewQuerySchema(Schema):
    start = fields.Date(data_key="from", load_default=None, metadata={
        "description": "The first local day, YYYY-MM-DD, in the shop's time zone; "
                       "by default 30 days up to `to`."})
    end = fields.Date(data_key="to", load_default=None, metadata={
        "description": "The last local day, included; by default the shop's today."})
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
    points = fields.Integer(metadata={"description": "Available plus pending points now, "
                                                     "whatever the range."})
    pending_points = fields.Integer()
    point_value = Amount(allow_none=True, metadata={
        "description": "Money per point, from the cheapest money-off reward; null without one."})
    value = _money(allow_none=True)


class OverviewSchema(Schema):
    start = fields.Date(data_key="from")
    end = fields.Date(data_key="to")
    bucket = fields.Enum(Bucket, by_value=True)
    timezone = fields.String()
    currency = fields.String()
    today = fields.Date(metadata={"description": "The shop's local date now: its bucket is "
                                                "still filling."})
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
