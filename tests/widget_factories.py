"""Factories for the storefront widget's tests: a shop with a program, signed identities."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from loyalty_plugin.models import (CodeOrigin, CodeStatus, Reward, RewardCode, RewardKind, Shop, Tier,
                                   utcnow)
from loyalty_plugin.services import tier_catalog
from widgets.identity import CUSTOMER_HEADER, DIGEST_HEADER, customer_digest


def make_tier(session, shop: Shop, name: str, threshold: str, multiplier: str = "1", **extra) -> Tier:
    return tier_catalog.create_tier(session, shop, dict(name=name, threshold=Decimal(threshold),
                                                        multiplier=Decimal(multiplier), **extra),
                                    utcnow())


def make_reward(session, shop: Shop, *, name: str = "$5 off", kind: RewardKind = RewardKind.FIXED_AMOUNT,
                points_cost: int = 500, value: str = "5", **extra) -> Reward:
    reward = Reward(shop_id=shop.id, name=name, kind=kind, points_cost=points_cost,
                    value=Decimal(value), **extra)
    session.add(reward)
    session.flush()
    return reward


def make_code(session, shop: Shop, account_id: int, reward: Reward, *, code: str = "LOY-ABCD2345",
              status: CodeStatus = CodeStatus.ISSUED, expires_in_days: int = 30) -> RewardCode:
    """A code given without spending points (no ledger entry is needed for that origin)."""
    row = RewardCode(shop_id=shop.id, account_id=account_id, reward_id=reward.id, code=code,
                     status=status, origin=CodeOrigin.ADMIN, kind=reward.kind, value=reward.value,
                     points_spent=0, provider="native",
                     expires_at=utcnow() + dt.timedelta(days=expires_in_days))
    session.add(row)
    session.flush()
    return row


def signed(shop: Shop, customer_id: str, **extra: str) -> dict[str, str]:
    """The headers the loader sends for a signed-in customer."""
    return {CUSTOMER_HEADER: customer_id,
            DIGEST_HEADER: customer_digest(customer_id, shop.widget_secret), **extra}
