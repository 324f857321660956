"""The program editor's page: earning rules, the tier program, tiers, rewards and the
widget preview, each form shown again with its problems when it was refused."""
from __future__ import annotations

from decimal import Decimal

from flask import Response
from sqlalchemy import select

from ..db import get_session
from ..models import (AwardOn, DowngradePolicy, NegativeBalancePolicy, RewardKind, Rounding, Shop,
                      Tier, TierBasis, TierWindow)
from ..services.program_settings import read_program_settings
from ..services.rewards import list_rewards
from .explain import number
from .forms import Form
from .guard import current_shop
from .pages import page

REWARD_KINDS = [(kind.value, kind.value.replace("_", " ")) for kind in RewardKind]
PROGRAM_CHOICES = {
    "tier_basis": [(m.value, m.value.replace("_", " ")) for m in TierBasis],
    "tier_window": [(m.value, m.value.replace("_", " ")) for m in TierWindow],
    "tier_downgrade": [(m.value, m.value.replace("_", " ")) for m in DowngradePolicy],
}
NEW_TIER = {"name": "", "threshold": "", "multiplier": "1", "entry_bonus_points": "0",
            "entry_reward_id": "", "perks": ""}
NEW_REWARD = {"name": "", "description": "", "kind": "fixed_amount", "points_cost": "", "value": "",
              "min_points": "", "max_points": "", "product_variant_id": "", "min_order_subtotal": "0",
              "validity_days": "30", "required_tier_id": "", "per_customer_limit": "", "active": "on"}


RULE_FIELDS = ("points_per_unit", "rounding", "include_shipping", "include_taxes",
               "min_order_amount", "award_on", "pending_days", "skip_test_orders",
               "signup_bonus_points", "negative_balance", "timezone")
RULE_CHOICES = {
    "rounding": [(m.value, m.value.replace("_", " ")) for m in Rounding],
    "award_on": [(m.value, m.value) for m in AwardOn],
    "negative_balance": [(m.value, m.value) for m in NegativeBalancePolicy],
}


def rules_form_for(shop: Shop) -> Form:
    view = read_program_settings(shop)
    values = {}
    for name in RULE_FIELDS:
        value = getattr(view, name)
        if isinstance(value, bool):
            values[name] = "on" if value else ""
        elif isinstance(value, Decimal):
            values[name] = number(value)
        else:
            values[name] = str(getattr(value, "value", value))
    return Form(values=values)


def render_program(*, tier_form: Form | None = None, program_form: Form | None = None,
                   reward_form: Form | None = None, rules_form: Form | None = None,
                   preview: dict | None = None, status: int = 200) -> Response:
    shop = current_shop()
    settings = shop.settings
    tiers = get_session().execute(select(Tier).where(Tier.shop_id == shop.id, Tier.archived_at.is_(None))
                                  .order_by(Tier.threshold, Tier.id)).scalars().all()
    program_form = program_form or Form(values={
        "tier_basis": settings.tier_basis.value, "tier_window": settings.tier_window.value,
        "tier_downgrade": settings.tier_downgrade.value,
        "tier_grace_days": str(settings.tier_grace_days)})
    return page("program.html", status, tiers=tiers,
                rewards=list_rewards(get_session(), shop.id),
                tier_form=tier_form or Form(values=dict(NEW_TIER)),
                reward_form=reward_form or Form(values=dict(NEW_REWARD)),
                program_form=program_form, rules_form=rules_form or rules_form_for(shop),
                program_choices=PROGRAM_CHOICES, rule_choices=RULE_CHOICES, kinds=REWARD_KINDS, number=number,
                preview=preview or {"q": "", "matches": None, "account": None})
