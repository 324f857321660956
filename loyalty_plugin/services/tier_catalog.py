"""The shop's tiers and tier program: create, change, archive, with their rules checked.

Anything that changes who qualifies for what (a threshold, the set of tiers, the
basis or window) raises ``tiers_version``; customers are then re-evaluated in
batches by the scheduled job, never inside the admin's request.
"""
from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..errors import Conflict, ErrorCode, NotFound, Unprocessable
from ..models import ProgramSettings, Reward, Shop, Tier, TierBasis
from .tiers import active_tiers

log = logging.getLogger(__name__)

MAX_TIERS = 20
# Changing these changes who qualifies for which tier.
_QUALIFYING_TIER_FIELDS = frozenset({"threshold"})
_QUALIFYING_PROGRAM_FIELDS = frozenset({"tier_basis", "tier_window"})
PROGRAM_FIELDS = ("tier_basis", "tier_window", "tier_downgrade", "tier_grace_days",
                  "tier_downgrade_notice_days")


MAX_ID = 2 ** 63 - 1


def get_tier(session: Session, shop_id: int, tier_id: int) -> Tier:
    # An id no column can hold names no tier; asking the database would be an error.
    tier = None
    if 0 < tier_id <= MAX_ID:
        tier = session.execute(select(Tier).where(
            Tier.shop_id == shop_id, Tier.id == tier_id)).scalar_one_or_none()
    if tier is None:
        raise NotFound(f"No tier with id {tier_id} in this shop.", code=ErrorCode.TIER_NOT_FOUND)
    return tier


def create_tier(session: Session, shop: Shop, values: Mapping[str, Any], now: dt.datetime) -> Tier:
    others = active_tiers(session, shop.id)
    if len(others) >= MAX_TIERS:
        raise Unprocessable(f"A shop can have at most {MAX_TIERS} tiers.")
    tier = Tier(shop_id=shop.id, name=values["name"].strip(), threshold=values["threshold"],
                multiplier=values.get("multiplier", Decimal("1")),
                entry_bonus_points=values.get("entry_bonus_points", 0),
                entry_reward_id=values.get("entry_reward_id"), perks=list(values.get("perks", [])),
                created_at=now, updated_at=now)
    _check(session, shop, tier, others)
    session.add(tier)
    _requalify_everyone(shop)
    session.flush()
    log.info("tier created shop=%s tier=%s", shop.id, tier.id)
    return tier


def update_tier(session: Session, shop: Shop, tier_id: int, changes: Mapping[str, Any],
                now: dt.datetime) -> Tier:
    tier = get_tier(session, shop.id, tier_id)
    if tier.archived_at is not None:
        raise Conflict("This tier is archived; create a new one instead.")
    qualifying = any(key in _QUALIFYING_TIER_FIELDS and getattr(tier, key) != value
                     for key, value in changes.items())
    for key, value in changes.items():
        setattr(tier, key, value.strip() if key == "name" else list(value) if key == "perks" else value)
    tier.updated_at = now
    _check(session, shop, tier, [t for t in active_tiers(session, shop.id) if t.id != tier.id])
    if qualifying:
        _requalify_everyone(shop)
    session.flush()
    return tier


def archive_tier(session: Session, shop: Shop, tier_id: int, now: dt.datetime) -> Tier:
    """Customers in it move to the tier they qualify for at the next batch; history stays."""
    tier = get_tier(session, shop.id, tier_id)
    if tier.archived_at is None:
        tier.archived_at = now
        _requalify_everyone(shop)
        session.flush()
    return tier


def update_program(session: Session, shop: Shop, changes: Mapping[str, Any]) -> ProgramSettings:
    settings = shop.settings
    qualifying = any(key in _QUALIFYING_PROGRAM_FIELDS and getattr(settings, key) != value
                     for key, value in changes.items())
    for key, value in changes.items():
        setattr(settings, key, value)
    if settings.tier_basis is TierBasis.ORDER_COUNT:
        for tier in active_tiers(session, shop.id):
            _check_whole(tier.threshold)
    if qualifying:
        _requalify_everyone(shop)
    session.flush()
    return settings


def _requalify_everyone(shop: Shop) -> None:
    shop.settings.tiers_version += 1


def _check(session: Session, shop: Shop, tier: Tier, others: list[Tier]) -> None:
    if not tier.name:
        raise Unprocessable("A tier needs a name.", details={"field": "name"})
    if any(t.name.casefold() == tier.name.casefold() for t in others):
        raise Conflict(f"A tier named {tier.name!r} exists already.", details={"field": "name"})
    if any(t.threshold == tier.threshold for t in others):
        raise Conflict(f"Another tier has the threshold {tier.threshold}; thresholds rank tiers, "
                       "so each must differ.", details={"field": "threshold"})
    if shop.settings.tier_basis is TierBasis.ORDER_COUNT:
        _check_whole(tier.threshold)
    if tier.entry_reward_id is not None:
        reward = session.get(Reward, tier.entry_reward_id)
        if reward is None or reward.shop_id != shop.id or reward.archived_at is not None:
            raise Unprocessable(f"No reward with id {tier.entry_reward_id} in this shop.",
                                details={"field": "entry_reward_id"})


def _check_whole(threshold: Decimal) -> None:
    if threshold != threshold.to_integral_value():
        raise Unprocessable("Tiers by number of orders need whole-number thresholds.",
                            details={"field": "threshold"})
