"""Tiers, the tier program and a customer's tier standing, as the admin API shows them."""
from __future__ import annotations

from decimal import Decimal

from marshmallow import Schema, fields, validate

from ..models import DowngradePolicy, TierBasis, TierChangeReason, TierWindow

MAX_THRESHOLD = 10 ** 12
MAX_BONUS = 1_000_000_000


def amount_text(value: Decimal | None) -> str | None:
    """A decimal as a string without the storage scale's trailing zeros: "500", "1.25"."""
    if value is None:
        return None
    text = format(value, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


class Amount(fields.Decimal):
    """A decimal as a string without the storage scale's trailing zeros: "500", "1.25"."""

    def _serialize(self, value, attr, obj, **kwargs):
        return amount_text(value)


class TierSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    threshold = Amount()
    multiplier = Amount()
    entry_bonus_points = fields.Integer()
    entry_reward_id = fields.Integer(allow_none=True)
    perks = fields.List(fields.String())
    created_at = fields.DateTime()
    updated_at = fields.DateTime()
    archived_at = fields.DateTime(allow_none=True)


class TierInputSchema(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    threshold = fields.Decimal(required=True, places=4, allow_nan=False,
                               validate=validate.Range(min=0, max=MAX_THRESHOLD))
    multiplier = fields.Decimal(places=4, allow_nan=False,
                                validate=validate.Range(min=0, max=100, min_inclusive=False))
    entry_bonus_points = fields.Integer(strict=True, validate=validate.Range(min=0, max=MAX_BONUS))
    entry_reward_id = fields.Integer(strict=True, allow_none=True, validate=validate.Range(min=1, max=2**63 - 1))
    perks = fields.List(fields.String(validate=validate.Length(min=1, max=200)),
                        validate=validate.Length(max=20))


class TierProgramSchema(Schema):
    tier_basis = fields.Enum(TierBasis, by_value=True)
    tier_window = fields.Enum(TierWindow, by_value=True)
    tier_downgrade = fields.Enum(DowngradePolicy, by_value=True)
    tier_grace_days = fields.Integer(strict=True, validate=validate.Range(min=0, max=365))
    # Days before a status runs out that a customer about to drop is warned; 0 warns nobody.
    tier_downgrade_notice_days = fields.Integer(strict=True, validate=validate.Range(min=0, max=365))
    tiers_version = fields.Integer(dump_only=True)


class TierRefSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    threshold = Amount()
    multiplier = Amount()
    perks = fields.List(fields.String())


class TierStatusSchema(Schema):
    tier = fields.Nested(TierRefSchema, allow_none=True)
    since = fields.DateTime(allow_none=True)
    expires_at = fields.DateTime(allow_none=True)
    progress = Amount()
    basis = fields.Enum(TierBasis, by_value=True)
    window = fields.Enum(TierWindow, by_value=True)
    window_start = fields.DateTime(allow_none=True)
    next_tier = fields.Nested(TierRefSchema, allow_none=True)
    remaining = Amount(allow_none=True)


class TierChangeSchema(Schema):
    id = fields.Integer()
    from_tier_id = fields.Integer(allow_none=True)
    to_tier_id = fields.Integer(allow_none=True)
    from_name = fields.String(allow_none=True)
    to_name = fields.String(allow_none=True)
    to_threshold = Amount(allow_none=True)
    reason = fields.Enum(TierChangeReason, by_value=True)
    basis = fields.Enum(TierBasis, by_value=True)
    window = fields.Enum(TierWindow, by_value=True)
    progress = Amount()
    window_start = fields.DateTime(allow_none=True)
    bonus_entry_id = fields.Integer(allow_none=True)
    created_at = fields.DateTime()


class TierCatalogSchema(Schema):
    program = fields.Nested(TierProgramSchema, required=True)
    tiers = fields.List(fields.Nested(TierSchema), required=True)


class CustomerTierSchema(Schema):
    status = fields.Nested(TierStatusSchema, required=True)
    history = fields.List(fields.Nested(TierChangeSchema), required=True)
