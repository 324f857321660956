"""The widget API's JSON: shapes only. Every string here is shown as text, never as HTML."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from loyalty_plugin.models import CodeStatus, EntryKind, EntryStatus, RewardKind, TierBasis
from loyalty_plugin.schemas.tiers import Amount

# Entries whose reason the service wrote itself ("Order #1001"); an owner's
# adjustment reason may be an internal note and stays in the admin API.
SYSTEM_REASON_KINDS = frozenset({EntryKind.EARN, EntryKind.REFUND_CLAWBACK,
                                 EntryKind.CANCEL_CLAWBACK, EntryKind.TIER_BONUS})
MAX_PRICES = 50


class ThemeSchema(Schema):
    primary = fields.String()
    on_primary = fields.String()
    accent = fields.String()
    position = fields.String()
    launcher_text = fields.String(allow_none=True)


class ConfigSchema(Schema):
    shop_id = fields.Integer()
    currency = fields.String()
    locale = fields.String()
    messages = fields.Dict()
    theme = fields.Nested(ThemeSchema)
    links = fields.Dict(keys=fields.String(), values=fields.String(allow_none=True))
    assets = fields.Dict(keys=fields.String(), values=fields.String())


class TierSchema(Schema):
    name = fields.String()
    threshold = Amount()
    multiplier = Amount()
    perks = fields.List(fields.String())


class ProgramSchema(Schema):
    currency = fields.String(attribute="shop.currency")
    points_per_unit = Amount(attribute="shop.settings.points_per_unit")
    signup_bonus_points = fields.Integer(attribute="shop.settings.signup_bonus_points")
    tier_basis = fields.Enum(TierBasis, by_value=True, attribute="shop.settings.tier_basis")
    tiers = fields.List(fields.Nested(TierSchema))


_PROGRAM = ProgramSchema()


class RewardSchema(Schema):
    """Dumps a RewardOffer: the reward's own fields, and the name of the tier it is for."""

    id = fields.Integer()
    name = fields.String()
    description = fields.String(allow_none=True)
    kind = fields.Enum(RewardKind, by_value=True)
    points_cost = fields.Integer()
    value = Amount()
    min_points = fields.Integer(allow_none=True)
    max_points = fields.Integer(allow_none=True)
    min_order_subtotal = Amount()
    validity_days = fields.Integer()
    required_tier_id = fields.Integer(allow_none=True)
    required_tier_name = fields.String(allow_none=True)

    OWN_FIELDS = frozenset({"required_tier_name", "affordable", "blocked_by", "points_short"})

    def get_attribute(self, obj, attr, default):
        return super().get_attribute(obj if attr in self.OWN_FIELDS else obj.reward, attr, default)


class OfferSchema(RewardSchema):
    """A reward as one customer sees it: whether they can redeem it now, and if not, why."""

    affordable = fields.Boolean()
    blocked_by = fields.Function(lambda o: o.blocked_by.value if o.blocked_by else None)
    points_short = fields.Integer()


class CodeSchema(Schema):
    code = fields.String()
    reward_name = fields.String()
    status = fields.Enum(CodeStatus, by_value=True)
    kind = fields.Enum(RewardKind, by_value=True)
    value = Amount()
    min_order_subtotal = Amount()
    points_spent = fields.Integer()
    expires_at = fields.DateTime()


class ActivitySchema(Schema):
    kind = fields.Enum(EntryKind, by_value=True)
    points = fields.Integer()
    status = fields.Enum(EntryStatus, by_value=True)
    created_at = fields.DateTime()
    detail = fields.Function(lambda e: e.reason if e.kind in SYSTEM_REASON_KINDS else None)


class TierStandingSchema(Schema):
    current = fields.Nested(TierSchema, attribute="tier", allow_none=True)
    next = fields.Nested(TierSchema, attribute="next_tier", allow_none=True)
    progress = Amount()
    remaining = Amount(allow_none=True)
    basis = fields.Enum(TierBasis, by_value=True)
    percent = fields.Method("_percent")

    def _percent(self, status) -> int:
        if status.next_tier is None or status.next_tier.threshold <= 0:
            return 100
        return max(0, min(100, int(status.progress * 100 / status.next_tier.threshold)))


class CustomerSchema(Schema):
    first_name = fields.String(allow_none=True)
    available = fields.Integer()
    pending = fields.Integer()
    lifetime = fields.Integer()


class GuestSummarySchema(Schema):
    """Dumps a ProgramView: what the program offers, to anyone."""

    mode = fields.Constant("guest")
    program = fields.Function(lambda view: _PROGRAM.dump(view))
    rewards = fields.List(fields.Nested(RewardSchema), attribute="offers")


class ReferralLinkSchema(Schema):
    code = fields.String()
    link = fields.String()


class CustomerSummarySchema(Schema):
    mode = fields.Constant("customer")
    customer = fields.Nested(CustomerSchema, attribute="account")
    tier = fields.Nested(TierStandingSchema)
    program = fields.Nested(ProgramSchema)
    rewards = fields.List(fields.Nested(OfferSchema), attribute="offers")
    codes = fields.List(fields.Nested(CodeSchema))
    activity = fields.List(fields.Nested(ActivitySchema))
    referral = fields.Nested(ReferralLinkSchema, allow_none=True)


class EstimateQuerySchema(Schema):
    price = fields.List(fields.Decimal(places=4, allow_nan=False,
                                       validate=validate.Range(min=0, max=10 ** 9)),
                        required=True, validate=validate.Length(min=1, max=MAX_PRICES))
