"""What a storefront shows: the program to everyone, a signed-in customer's standing to them.

Read-only: nothing here writes, so a widget request never takes a lock.
"""
from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..models import CodeStatus, CustomerAccount, LedgerEntry, Reward, RewardCode, RewardKind, Shop, Tier
from ..rules.earning import Amounts, earn_base, points_for
from .queries import list_activity
from .tiers import NO_MULTIPLIER, TierStatus, active_tiers, multiplier_for, tier_status

MAX_REWARDS = 50
# Codes a customer no longer needs to see: nothing was issued, the points came back.
HIDDEN_CODE_STATUSES = (CodeStatus.FAILED, CodeStatus.CANCELLED)


class Blocker(str, enum.Enum):
    POINTS = "points"  # not enough available points yet
    TIER = "tier"      # the reward is for a higher tier
    LIMIT = "limit"    # the customer has redeemed it as often as allowed


@dataclass(frozen=True)
class RewardOffer:
    """A reward as the storefront lists it; for a signed-in customer, whether they can redeem it."""

    reward: Reward
    required_tier_name: str | None
    blocked_by: Blocker | None = None
    points_short: int = 0

    @property
    def affordable(self) -> bool:
        return self.blocked_by is None


@dataclass(frozen=True)
class ProgramView:
    shop: Shop
    tiers: list[Tier]
    rewards: list[Reward]

    def tier_name(self, tier_id: int | None) -> str | None:
        return next((t.name for t in self.tiers if t.id == tier_id), None)

    @property
    def offers(self) -> list[RewardOffer]:
        return [RewardOffer(r, self.tier_name(r.required_tier_id)) for r in self.rewards]


@dataclass(frozen=True)
class CodeView:
    code: RewardCode
    reward_name: str
    status: CodeStatus  # issued codes past their expiry show as expired


@dataclass(frozen=True)
class CustomerView:
    program: ProgramView
    account: CustomerAccount
    tier: TierStatus
    offers: list[RewardOffer]
    codes: list[CodeView]
    activity: list[LedgerEntry]


def program_view(session: Session, shop: Shop) -> ProgramView:
    rewards = session.execute(select(Reward).where(
        Reward.shop_id == shop.id, Reward.active.is_(True), Reward.archived_at.is_(None))
        .order_by(Reward.points_cost, Reward.id).limit(MAX_REWARDS)).scalars().all()
    return ProgramView(shop=shop, tiers=active_tiers(session, shop.id), rewards=list(rewards))


def customer_view(session: Session, shop: Shop, account: CustomerAccount, now: dt.datetime, *,
                  activity_limit: int = 5, codes_limit: int = 10) -> CustomerView:
    program = program_view(session, shop)
    status = tier_status(session, shop, account, now)
    activity, _ = list_activity(session, shop_id=shop.id, account_id=account.id,
                                limit=activity_limit, cursor=None)
    return CustomerView(program=program, account=account, tier=status,
                        offers=_offers(session, program, account),
                        codes=_codes(session, account, now, codes_limit), activity=activity)


def _offers(session: Session, program: ProgramView, account: CustomerAccount) -> list[RewardOffer]:
    thresholds = {t.id: t.threshold for t in program.tiers}
    held = thresholds.get(account.tier_id) if account.tier_id is not None else None
    used = _redemptions_by_reward(session, account) if any(
        r.per_customer_limit for r in program.rewards) else {}
    offers = []
    for reward in program.rewards:
        cheapest = ((reward.min_points or reward.points_cost) if reward.kind is RewardKind.VARIABLE
                    else reward.points_cost)
        short = max(cheapest - account.available, 0)
        blocker = None
        if reward.required_tier_id is not None and (
                held is None or reward.required_tier_id not in thresholds
                or held < thresholds[reward.required_tier_id]):
            blocker = Blocker.TIER
        elif reward.per_customer_limit and used.get(reward.id, 0) >= reward.per_customer_limit:
            blocker = Blocker.LIMIT
        elif short:
            blocker = Blocker.POINTS
        offers.append(RewardOffer(reward=reward, required_tier_name=program.tier_name(reward.required_tier_id),
                                  blocked_by=blocker, points_short=short))
    return offers


def _redemptions_by_reward(session: Session, account: CustomerAccount) -> dict[int, int]:
    rows = session.execute(select(RewardCode.reward_id, func.count()).where(
        RewardCode.account_id == account.id, RewardCode.status.not_in(HIDDEN_CODE_STATUSES))
        .group_by(RewardCode.reward_id)).all()
    return {reward_id: count for reward_id, count in rows}


def _codes(session: Session, account: CustomerAccount, now: dt.datetime, limit: int) -> list[CodeView]:
    rows = session.execute(select(RewardCode, Reward.name).join(Reward, Reward.id == RewardCode.reward_id)
                           .where(RewardCode.account_id == account.id,
                                  RewardCode.status.not_in(HIDDEN_CODE_STATUSES))
                           .order_by(RewardCode.id.desc()).limit(limit)).all()
    return [CodeView(code=code, reward_name=name,
                     status=CodeStatus.EXPIRED if code.status is CodeStatus.ISSUED
                     and code.expires_at <= now else code.status)
            for code, name in rows]


def estimate_points(session: Session, shop: Shop, account: CustomerAccount | None,
                    prices: list[Decimal]) -> list[int]:
    """What an order of each price would earn this customer now, by the order rules themselves."""
    settings = shop.settings
    multiplier = multiplier_for(session, account) if account is not None else NO_MULTIPLIER
    estimates = []
    for price in prices:
        base = earn_base(Amounts(items=price), include_shipping=settings.include_shipping,
                         include_taxes=settings.include_taxes)
        estimates.append(0 if base < settings.min_order_amount else
                         points_for(base, settings.points_per_unit, multiplier, settings.rounding))
    return estimates
