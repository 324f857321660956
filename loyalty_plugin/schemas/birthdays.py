"""Birthdays and the birthday program, as the admin API shows them."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

MAX_BIRTHDAY_POINTS = 1_000_000


class BirthdaySchema(Schema):
    month = fields.Integer(allow_none=True)
    day = fields.Integer(allow_none=True)
    year = fields.Integer(allow_none=True)
    set_at = fields.DateTime(allow_none=True)
    next_payout = fields.Date(allow_none=True)


class BirthdayInputSchema(Schema):
    """Shape only; whether the date exists is the service's rule."""

    month = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=12))
    day = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=31))
    year = fields.Integer(load_default=None, allow_none=True, strict=True,
                          validate=validate.Range(min=1, max=9999))


class BirthdayProgramSchema(Schema):
    birthday_points = fields.Integer(required=True, strict=True,
                                     validate=validate.Range(min=0, max=MAX_BIRTHDAY_POINTS))
