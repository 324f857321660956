"""The program settings (earning rules, pending days, negative balances, time zone) as the
admin API reads and changes them; the limits are the service's."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from ..models import AwardOn, NegativeBalancePolicy, Rounding
from ..services.program_settings import MAX_PENDING_DAYS, MAX_RATE, MAX_SIGNUP_BONUS
from .booleans import StrictBoolean
from .rewards import Money
from .tiers import Amount



class ProgramSettingsSchema(Schema):
    points_per_unit = Amount(allow_nan=False, validate=validate.Range(
        min=0, max=MAX_RATE, min_inclusive=False), metadata={
        "description": "Points per unit of the shop's currency, before tier multipliers."})
    rounding = fields.Enum(Rounding, by_value=True, metadata={
        "description": "How a fractional number of points becomes whole."})
    include_shipping = StrictBoolean()
    include_taxes = StrictBoolean()
    min_order_amount = Money(as_string=True, metadata={
        "description": "Orders below this (after the inclusions above) earn nothing."})
    award_on = fields.Enum(AwardOn, by_value=True, metadata={
        "description": "Award when the order is paid, or only once it is fulfilled."})
    pending_days = fields.Integer(strict=True, validate=validate.Range(min=0, max=MAX_PENDING_DAYS),
                                  metadata={"description": "Days earned points wait before they "
                                                           "can be spent (a return window)."})
    skip_test_orders = StrictBoolean()
    signup_bonus_points = fields.Integer(strict=True, validate=validate.Range(min=0, max=MAX_SIGNUP_BONUS))
    negative_balance = fields.Enum(NegativeBalancePolicy, by_value=True, metadata={
        "description": "When a refund takes back points already spent: allow a negative "
                       "balance, or clamp at zero."})
    timezone = fields.String(validate=validate.Length(min=1, max=64), metadata={
        "description": "IANA time zone for day boundaries: expiry, birthdays, tier windows, reports."})
    currency = fields.String(dump_only=True, metadata={"description": "The shop's currency; read-only."})
    rule_version = fields.Integer(dump_only=True, metadata={
        "description": "Goes up on every change to the earning rules; each earn entry records it."})
    updated_at = fields.DateTime(dump_only=True, allow_none=True)
