"""Turning points into a single-use discount code.

Two steps with a commit between them, so no transaction (and on SQLite no write
lock) is open while the platform is called:

1. ``reserve``: under the account's row lock check the reward, the customer's tier
   and limit, debit the points and record the code PENDING. The caller commits.
2. ``issuing.issue``: ask the provider for the code (idempotency key derived from the
   debit), then mark it ISSUED, or on failure return the points and mark it
   FAILED. The caller commits.

With an ``Idempotency-Key`` the key's record holds the pending code and a lease:
a request that comes back with the key while another still holds the lease is
told to retry; once the lease has run out (that request died), it takes over and
calls the provider again under the same key.
"""
from __future__ import annotations

import datetime as dt
import logging
import secrets
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..errors import Conflict, ErrorCode, LoyaltyError, Unprocessable
from ..models import (CodeOrigin, CodeStatus, CustomerAccount, EntryKind, EntrySource, IdempotencyRecord,
                      Reward, RewardCode, RewardKind, Shop, Tier)
from ..rules.money import MAX_AMOUNT
from . import codes, idempotency, ledger
from .rewards import get_reward

log = logging.getLogger(__name__)

SCOPE = "redemption"
_NOT_COUNTED = (CodeStatus.FAILED, CodeStatus.CANCELLED)


@dataclass
class Redemption:
    account: CustomerAccount
    code: RewardCode
    record: IdempotencyRecord | None
    # This request holds the code's lease: it must call the provider.
    must_issue: bool


def reserve(session: Session, shop: Shop, account: CustomerAccount, *, reward_id: int,
            points: int | None, idempotency_key: str | None, provider: str, now: dt.datetime,
            lease: dt.timedelta) -> Redemption | idempotency.StoredResponse:
    """Check, debit and record the code; or the stored answer to a repeated key."""
    record = None
    if idempotency_key:
        record, stored = idempotency.claim(
            session, shop_id=shop.id, scope=SCOPE, key=idempotency_key, now=now,
            payload={"account": account.id, "reward_id": reward_id, "points": points})
        if stored is not None:
            return stored
        if record.response.get("code_id"):
            return _resume(session, record, now, lease)
    holder = ledger.lock_account(session, account.id)
    reward = get_reward(session, shop.id, reward_id)
    if not reward.active or reward.archived_at is not None:
        raise Unprocessable(f"The reward {reward.name!r} is not available.",
                            code=ErrorCode.REWARD_INACTIVE, details={"reward_id": reward.id})
    cost, value = _price(reward, points)
    _check_tier(session, reward, holder)
    _check_limit(session, reward, holder)
    reference = f"idem-{record.id}" if record is not None else secrets.token_hex(12)
    debit = ledger.debit(session, holder.id, kind=EntryKind.REDEEM, points=cost,
                         source=EntrySource.REDEMPTION, source_ref=f"reward:{reward.id}",
                         key=f"redeem:{reference}", now=now, shortfall=ledger.Shortfall.FAIL,
                         reason=f"Redeemed {reward.name}")
    assert debit is not None
    code = codes.insert_code(
        session, shop, holder, reward_id=reward.id, kind=reward.kind, value=value,
        min_order_subtotal=reward.min_order_subtotal, product_variant_id=reward.product_variant_id,
        points_spent=cost, debit_entry_id=debit.id, provider=provider,
        expires_at=now + dt.timedelta(days=reward.validity_days), now=now)
    if record is not None:
        record.response = _lease(code, now + lease)
    log.info("redemption reserved shop=%s account=%s reward=%s code=%s points=%s",
             shop.id, holder.id, reward.id, code.id, cost)
    return Redemption(holder, code, record, must_issue=True)


def _lease(code: RewardCode, until: dt.datetime) -> dict:
    return {"code_id": code.id, "lease_until": until.isoformat()}


def _resume(session: Session, record: IdempotencyRecord, now: dt.datetime,
            lease: dt.timedelta) -> Redemption:
    code = session.execute(select(RewardCode).where(RewardCode.id == record.response["code_id"])
                           .execution_options(populate_existing=True)).scalar_one()
    account = session.get(CustomerAccount, code.account_id)
    assert account is not None
    if code.status is not CodeStatus.PENDING:
        return Redemption(account, code, record, must_issue=False)
    if dt.datetime.fromisoformat(record.response["lease_until"]) > now:
        raise Conflict("A redemption with this Idempotency-Key is still being processed; "
                       "retry in a few seconds.", code=ErrorCode.REDEMPTION_IN_PROGRESS)
    record.response = _lease(code, now + lease)
    log.warning("redemption taken over shop=%s code=%s", code.shop_id, code.id)
    return Redemption(account, code, record, must_issue=True)


def _price(reward: Reward, points: int | None) -> tuple[int, Decimal]:
    """Points to debit and the value the code gets."""
    if reward.kind is not RewardKind.VARIABLE:
        if points is not None and points != reward.points_cost:
            raise Unprocessable(f"This reward costs {reward.points_cost} points; only variable "
                                "rewards take a number of points.",
                                code=ErrorCode.INVALID_POINTS_AMOUNT,
                                details={"points_cost": reward.points_cost})
        return reward.points_cost, reward.value
    step = reward.points_cost
    minimum = reward.min_points or step
    details = {"step": step, "min_points": minimum, "max_points": reward.max_points}
    if points is None or points % step or (reward.max_points and points > reward.max_points):
        raise Unprocessable(f"Choose a number of points in multiples of {step}"
                            + (f", at most {reward.max_points}." if reward.max_points else "."),
                            code=ErrorCode.INVALID_POINTS_AMOUNT, details=details)
    if points < minimum:
        raise Unprocessable(f"This reward needs at least {minimum} points.",
                            code=ErrorCode.POINTS_BELOW_MINIMUM, details=details)
    value = reward.value * (points // step)
    if value >= MAX_AMOUNT:
        raise Unprocessable("That many points would buy more than any order is worth.",
                            code=ErrorCode.INVALID_POINTS_AMOUNT, details=details)
    return points, value


def _check_tier(session: Session, reward: Reward, account: CustomerAccount) -> None:
    if reward.required_tier_id is None:
        return
    required = session.get(Tier, reward.required_tier_id)
    current = session.get(Tier, account.tier_id) if account.tier_id is not None else None
    if required is None or current is None or current.threshold < required.threshold:
        raise LoyaltyError(f"This reward needs the {required.name if required else 'required'} "
                           "tier or a higher one.", code=ErrorCode.TIER_REQUIRED, status=403,
                           details={"required_tier_id": reward.required_tier_id,
                                    "customer_tier_id": account.tier_id})


def _check_limit(session: Session, reward: Reward, account: CustomerAccount) -> None:
    if reward.per_customer_limit is None:
        return
    # Codes given for reaching a tier are gifts: they do not use up the customer's redemptions.
    held = session.execute(select(func.count()).select_from(RewardCode).where(
        RewardCode.account_id == account.id, RewardCode.reward_id == reward.id,
        RewardCode.origin == CodeOrigin.REDEMPTION, RewardCode.status.not_in(_NOT_COUNTED))).scalar_one()
    if held >= reward.per_customer_limit:
        raise Conflict(f"This customer has already redeemed this reward {held} time(s), the limit.",
                       code=ErrorCode.REDEMPTION_LIMIT_REACHED,
                       details={"per_customer_limit": reward.per_customer_limit})
