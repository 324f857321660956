"""The rewards catalog: what a shop's customers can turn their points into."""
from __future__ import annotations

import datetime as dt
import logging
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..errors import Conflict, ErrorCode, NotFound, Unprocessable
from ..models import Reward, RewardKind, Tier

log = logging.getLogger(__name__)

MAX_ROW_ID = 2**63 - 1
FIELDS = ("name", "description", "kind", "points_cost", "value", "min_points", "max_points",
          "product_variant_id", "min_order_subtotal", "validity_days", "required_tier_id",
          "per_customer_limit", "active")
DEFAULTS: dict[str, Any] = {"description": None, "value": Decimal("0"), "min_points": None,
                            "max_points": None, "product_variant_id": None,
                            "min_order_subtotal": Decimal("0"), "validity_days": 30,
                            "required_tier_id": None, "per_customer_limit": None, "active": True}
# The money columns' scale: a reward reads the same before and after a round trip.
_SCALE = Decimal("0.0001")
# Kinds whose value means something.
_VALUED = {RewardKind.FIXED_AMOUNT, RewardKind.PERCENTAGE, RewardKind.VARIABLE}


def get_reward(session: Session, shop_id: int, reward_id: int, *, lock: bool = False) -> Reward:
    """The shop's reward, archived or not; ``reward_not_found`` for any other id."""
    reward = None
    if 0 < reward_id <= MAX_ROW_ID:
        stmt = select(Reward).where(Reward.shop_id == shop_id, Reward.id == reward_id)
        reward = session.execute(stmt.with_for_update(key_share=True) if lock else stmt
                                 ).scalar_one_or_none()
    if reward is None:
        raise NotFound(f"No reward with id {reward_id} in this shop.", code=ErrorCode.REWARD_NOT_FOUND)
    return reward


def list_rewards(session: Session, shop_id: int, *, include_archived: bool = False,
                 active: bool | None = None) -> list[Reward]:
    stmt = select(Reward).where(Reward.shop_id == shop_id).order_by(Reward.points_cost, Reward.id)
    if not include_archived:
        stmt = stmt.where(Reward.archived_at.is_(None))
    if active is not None:
        stmt = stmt.where(Reward.active.is_(active))
    return list(session.execute(stmt).scalars())


def create_reward(session: Session, shop_id: int, data: dict[str, Any], now: dt.datetime) -> Reward:
    values = {**DEFAULTS, **{k: v for k, v in data.items() if k in FIELDS}}
    _check(session, shop_id, values)
    _quantize(values)
    reward = Reward(shop_id=shop_id, created_at=now, updated_at=now, **values)
    session.add(reward)
    session.flush()
    log.info("reward created shop=%s reward=%s kind=%s", shop_id, reward.id, reward.kind.value)
    return reward


def update_reward(session: Session, shop_id: int, reward_id: int, changes: dict[str, Any],
                  now: dt.datetime) -> Reward:
    """Change some fields; the reward as a whole must still be valid. Codes already
    issued keep the terms they were issued with."""
    reward = get_reward(session, shop_id, reward_id, lock=True)
    if reward.archived_at is not None:
        raise Conflict("This reward is archived and can no longer be changed.",
                       code=ErrorCode.REWARD_ARCHIVED)
    values = {name: getattr(reward, name) for name in FIELDS}
    values.update({k: v for k, v in changes.items() if k in FIELDS})
    _check(session, shop_id, values)
    _quantize(values)
    for name, value in values.items():
        setattr(reward, name, value)
    reward.updated_at = now
    session.flush()
    return reward


def archive_reward(session: Session, shop_id: int, reward_id: int, now: dt.datetime) -> Reward:
    """Take a reward out of the catalog for good; its codes keep pointing at it."""
    reward = get_reward(session, shop_id, reward_id, lock=True)
    if reward.archived_at is None:
        reward.archived_at = now
        reward.active = False
        reward.updated_at = now
        session.flush()
        log.info("reward archived shop=%s reward=%s", shop_id, reward.id)
    return reward


def _quantize(values: dict[str, Any]) -> None:
    for name in ("value", "min_order_subtotal"):
        values[name] = Decimal(values[name]).quantize(_SCALE)


def _check(session: Session, shop_id: int, values: dict[str, Any]) -> None:
    problems: dict[str, list[str]] = {}

    def problem(field: str, message: str) -> None:
        problems.setdefault(field, []).append(message)

    kind = values["kind"]
    value = values["value"]
    if kind in _VALUED and value <= 0:
        problem("value", f"A {kind.value} reward needs a value above 0.")
    if kind is RewardKind.PERCENTAGE and value > 100:
        problem("value", "A percentage cannot be above 100.")
    if kind not in _VALUED and value != 0:
        problem("value", f"A {kind.value} reward has no value; leave it out or send 0.")
    if kind is RewardKind.FREE_PRODUCT and not values["product_variant_id"]:
        problem("product_variant_id", "A free_product reward needs the platform's variant id.")
    if kind is not RewardKind.FREE_PRODUCT and values["product_variant_id"]:
        problem("product_variant_id", "Only a free_product reward names a product variant.")
    _check_bounds(kind, values, problem)
    tier_id = values["required_tier_id"]
    if tier_id is not None and not _tier_exists(session, shop_id, tier_id):
        problem("required_tier_id", f"No tier with id {tier_id} in this shop.")
    if problems:
        raise Unprocessable("The reward is invalid.", details={"fields": problems})


def _check_bounds(kind: RewardKind, values: dict[str, Any], problem) -> None:
    step = values["points_cost"]
    bounds = {name: values[name] for name in ("min_points", "max_points") if values[name] is not None}
    if kind is not RewardKind.VARIABLE:
        for name in bounds:
            problem(name, "Only a variable reward has point bounds.")
        return
    for name, points in bounds.items():
        if points % step:
            problem(name, f"Must be a multiple of points_cost ({step}).")
    if len(bounds) == 2 and bounds["min_points"] > bounds["max_points"]:
        problem("max_points", "Must not be below min_points.")


def _tier_exists(session: Session, shop_id: int, tier_id: int) -> bool:
    if not 0 < tier_id <= MAX_ROW_ID:
        return False
    return session.execute(select(Tier.id).where(
        Tier.shop_id == shop_id, Tier.id == tier_id, Tier.archived_at.is_(None))).first() is not None
