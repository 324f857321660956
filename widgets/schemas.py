"""The widget API's JSON: shapes only. Every string here is shown as text, never as HTML."""
from __future__ import annotations

import weakref
from dataclasses import dataclass
from typing import Any

from marshmallow import Schema, fields, validate

from loyalty_plugin.models import CodeStatus, EntryKind, EntryStatus, RewardKind, TierBasis
from loyalty_plugin.schemas.tiers import Amount, amount_text

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


def tier_percent(status) -> int:
    """How far toward the next tier, 0 to 100; 100 at the top."""
    if status.next_tier is None or status.next_tier.threshold <= 0:
        return 100
    return max(0, min(100, int(status.progress * 100 / status.next_tier.threshold)))


class TierStandingSchema(Schema):
    current = fields.Nested(TierSchema, attribute="tier", allow_none=True)
    next = fields.Nested(TierSchema, attribute="next_tier", allow_none=True)
    progress = Amount()
    remaining = Amount(allow_none=True)
    basis = fields.Enum(TierBasis, by_value=True)
    percent = fields.Function(tier_percent)


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


# The signed-in summary, by hand: every signed-in page view asks for it, and marshmallow's
# field-by-field dump was a quarter of its CPU time. CustomerSummarySchema stays the
# contract; a test holds this function's output equal to the schema's dump.

_amount = amount_text


def _text(value) -> str | None:
    return None if value is None else str(value)


def _int(value) -> int | None:
    return None if value is None else int(value)


def _time(value) -> str | None:
    return None if value is None else value.isoformat()


def _enum(value) -> str | None:
    return None if value is None else str(value.value)


def _tier(tier) -> dict | None:
    if tier is None:
        return None
    return {"name": _text(tier.name), "threshold": _amount(tier.threshold),
            "multiplier": _amount(tier.multiplier),
            "perks": None if tier.perks is None else [_text(p) for p in tier.perks]}


def _reward(reward) -> dict:
    return {"id": _int(reward.id), "name": _text(reward.name), "description": _text(reward.description),
            "kind": _enum(reward.kind), "points_cost": _int(reward.points_cost),
            "value": _amount(reward.value), "min_points": _int(reward.min_points),
            "max_points": _int(reward.max_points), "min_order_subtotal": _amount(reward.min_order_subtotal),
            "validity_days": _int(reward.validity_days), "required_tier_id": _int(reward.required_tier_id)}


def _offer(offer, rewards: dict[Any, dict]) -> dict:
    reward = rewards.get(offer.reward)
    return {**(reward if reward is not None else _reward(offer.reward)),
            "required_tier_name": _text(offer.required_tier_name), "affordable": offer.affordable,
            "blocked_by": offer.blocked_by.value if offer.blocked_by else None,
            "points_short": _int(offer.points_short)}


@dataclass(frozen=True)
class _CatalogDump:
    """A catalog's tiers and rewards as a summary shows them, keyed by the objects themselves.

    They depend on the catalog alone, and a cached catalog serves many summaries: each
    is dumped once, then shared by the responses, which only serialise it.
    """

    tiers: list[dict]
    by_tier: dict[Any, dict]
    by_reward: dict[Any, dict]


_CATALOG_DUMPS: weakref.WeakKeyDictionary[Any, _CatalogDump] = weakref.WeakKeyDictionary()


def _catalog_dump(catalog) -> _CatalogDump:
    dump = _CATALOG_DUMPS.get(catalog)
    if dump is None:
        tiers = [_tier(tier) for tier in catalog.tiers]
        dump = _CATALOG_DUMPS[catalog] = _CatalogDump(
            tiers=tiers, by_tier=dict(zip(catalog.tiers, tiers)),
            by_reward={reward: _reward(reward) for reward in catalog.rewards})
    return dump


def _known_tier(tier, dump: _CatalogDump) -> dict | None:
    known = dump.by_tier.get(tier) if tier is not None else None
    return known if known is not None else _tier(tier)


def _code(code) -> dict:
    return {"code": _text(code.code), "reward_name": _text(code.reward_name), "status": _enum(code.status),
            "kind": _enum(code.kind), "value": _amount(code.value),
            "min_order_subtotal": _amount(code.min_order_subtotal),
            "points_spent": _int(code.points_spent), "expires_at": _time(code.expires_at)}


def _activity(entry) -> dict:
    return {"kind": _enum(entry.kind), "points": _int(entry.points), "status": _enum(entry.status),
            "created_at": _time(entry.created_at),
            "detail": entry.reason if entry.kind in SYSTEM_REASON_KINDS else None}


def dump_customer_summary(view) -> dict:
    """``CustomerSummarySchema().dump(view)`` for a CustomerView, field for field."""
    account, status, program = view.account, view.tier, view.program
    settings = program.shop.settings
    catalog = _catalog_dump(program.catalog)
    return {
        "mode": "customer",
        "customer": {"first_name": _text(account.first_name), "available": _int(account.available),
                     "pending": _int(account.pending), "lifetime": _int(account.lifetime)},
        "tier": {"current": _known_tier(status.tier, catalog), "next": _known_tier(status.next_tier, catalog),
                 "progress": _amount(status.progress), "remaining": _amount(status.remaining),
                 "basis": _enum(status.basis), "percent": tier_percent(status)},
        "program": {"currency": _text(program.shop.currency),
                    "points_per_unit": _amount(settings.points_per_unit),
                    "signup_bonus_points": _int(settings.signup_bonus_points),
                    "tier_basis": _enum(settings.tier_basis), "tiers": catalog.tiers},
        "rewards": [_offer(offer, catalog.by_reward) for offer in view.offers],
        "codes": [_code(c) for c in view.codes],
        "activity": [_activity(e) for e in view.activity],
        "referral": None if view.referral is None else {"code": _text(view.referral.code),
                                                        "link": _text(view.referral.link)},
    }
