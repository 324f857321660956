"""The discount codes a referral gives: the friend's welcome code and the referrer's reward.

A code is recorded PENDING, for no points, in the transaction that earns it: the
welcome code when the friend is recorded, the referrer's when the referral
completes. Both run under the referral's row lock, and the code's grant key
(one per referral and role, unique in the database) makes a second grant
impossible. The platform is asked for the code after commit: by the admin API
right away for a welcome code, by the ``codes`` job for a referrer's code.

Voiding a referral takes its codes back the way it takes points back: a code not
used yet is revoked and cancelled; a used code stays used, its discount is spent.
A referral that fails because the friend's order was refunded or cancelled loses
the friend's welcome code the same way, by the ``referrals`` job: it fails in the
order's own transaction, where the platform cannot be asked. Referrals rejected
when recorded never had a code, and the referrer's code only comes on completion.
"""
from __future__ import annotations

import datetime as dt
import logging

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from ..errors import Unprocessable
from ..models import (CodeOrigin, CodeStatus, CustomerAccount, Referral, ReferralReason,
                      ReferralStatus, Reward, RewardCode, RewardKind, Shop)
from . import codes
from .rewards import MAX_ROW_ID

log = logging.getLogger(__name__)

# Recorded on a code no provider has created yet; ``issuing`` records the one that does.
UNASSIGNED_PROVIDER = "unassigned"
# Codes of a voided referral that may still be taken back.
UNUSED = (CodeStatus.PENDING, CodeStatus.ISSUED)
# How a referral fails after its friend got the welcome code.
ORDER_FAILURES = (ReferralReason.ORDER_REFUNDED, ReferralReason.ORDER_CANCELLED)


def check_reward(session: Session, shop_id: int, reward_id: int, field: str) -> Reward:
    """The catalog reward a referral setting names: this shop's, active, and of a fixed value."""
    reward = session.execute(select(Reward).where(
        Reward.shop_id == shop_id, Reward.id == reward_id)).scalar_one_or_none() \
        if 0 < reward_id <= MAX_ROW_ID else None
    if reward is None:
        raise Unprocessable(f"No reward with id {reward_id} in this shop.",
                            details={"fields": {field: ["Unknown reward."]}})
    if not reward.active or reward.archived_at is not None:
        raise Unprocessable(f"The reward {reward.name!r} is not active.",
                            details={"fields": {field: ["The reward is not active."]}})
    if reward.kind is RewardKind.VARIABLE:
        raise Unprocessable(f"The reward {reward.name!r} is variable; a referral gives a code of "
                            "one value.", details={"fields": {field: ["Variable rewards cannot be given."]}})
    return reward


def grant_welcome_code(session: Session, shop: Shop, referral: Referral,
                       now: dt.datetime) -> RewardCode | None:
    """The friend's welcome code, if the shop gives one; call with the referral locked."""
    reward_id = shop.settings.welcome_reward_id
    if reward_id is None or referral.friend_account_id is None or referral.welcome_code_id is not None:
        return None
    code = _grant(session, shop, referral, referral.friend_account_id, reward_id,
                  CodeOrigin.REFERRAL, "welcome", now)
    if code is not None:
        referral.welcome_code_id = code.id
    return code


def grant_referrer_code(session: Session, shop: Shop, referral: Referral,
                        now: dt.datetime) -> RewardCode | None:
    """The referrer's reward code; None when the shop's reward can no longer be given."""
    reward_id = shop.settings.referrer_reward_id
    if reward_id is None:
        return None
    if referral.referrer_code_id is not None:
        return session.get(RewardCode, referral.referrer_code_id)
    code = _grant(session, shop, referral, referral.referrer_account_id, reward_id,
                  CodeOrigin.REFERRER, "referrer", now)
    if code is not None:
        referral.referrer_code_id = code.id
    return code


def _grant(session: Session, shop: Shop, referral: Referral, account_id: int, reward_id: int,
           origin: CodeOrigin, role: str, now: dt.datetime) -> RewardCode | None:
    key = f"referral:{referral.id}:{role}"
    existing = session.execute(select(RewardCode).where(
        RewardCode.shop_id == shop.id, RewardCode.grant_key == key)).scalar_one_or_none()
    if existing is not None:
        return existing
    reward = session.get(Reward, reward_id)
    if reward is None or reward.shop_id != shop.id or not reward.active \
            or reward.archived_at is not None or reward.kind is RewardKind.VARIABLE:
        # Archived or changed since the setting was chosen: the shop sees it in the log.
        log.warning("referral code not given shop=%s referral=%s role=%s reward=%s", shop.id,
                    referral.id, role, reward_id)
        return None
    account = session.get(CustomerAccount, account_id)
    assert account is not None
    code = codes.insert_code(
        session, shop, account, reward_id=reward.id, kind=reward.kind, value=reward.value,
        min_order_subtotal=reward.min_order_subtotal, product_variant_id=reward.product_variant_id,
        points_spent=0, debit_entry_id=None, provider=UNASSIGNED_PROVIDER,
        expires_at=now + dt.timedelta(days=reward.validity_days), now=now, origin=origin,
        grant_key=key)
    log.info("referral code given shop=%s referral=%s role=%s code=%s", shop.id, referral.id,
             role, code.id)
    return code


def unused_codes(session: Session, referral: Referral) -> list[RewardCode]:
    """The referral's codes that voiding it would take back."""
    ids = [i for i in (referral.welcome_code_id, referral.referrer_code_id) if i is not None]
    if not ids:
        return []
    return list(session.execute(select(RewardCode).where(
        RewardCode.id.in_(ids), RewardCode.status.in_(UNUSED)).order_by(RewardCode.id)).scalars())


def cancel_unused(session: Session, referral: Referral, now: dt.datetime) -> int:
    """Cancel the referral's codes not used yet; one used meanwhile stays used."""
    ids = [i for i in (referral.welcome_code_id, referral.referrer_code_id) if i is not None]
    if not ids:
        return 0
    cancelled = session.execute(update(RewardCode).where(
        RewardCode.id.in_(ids), RewardCode.status.in_(UNUSED))
        .values(status=CodeStatus.CANCELLED, cancelled_at=now)
        .execution_options(synchronize_session="fetch")).rowcount
    if cancelled:
        log.info("referral codes cancelled shop=%s referral=%s count=%s", referral.shop_id,
                 referral.id, cancelled)
    return cancelled


def failed_welcome_codes(session: Session, *, after_id: int = 0,
                         limit: int = 100) -> list[tuple[int, RewardCode]]:
    """(referral id, code): the unused welcome codes of referrals their order failed, by code id."""
    rows = session.execute(select(Referral.id, RewardCode).join(
        RewardCode, RewardCode.id == Referral.welcome_code_id).where(
        Referral.status == ReferralStatus.REJECTED, Referral.reason.in_(ORDER_FAILURES),
        RewardCode.status.in_(UNUSED), RewardCode.id > after_id)
        .order_by(RewardCode.id).limit(limit)).all()
    return [(referral_id, code) for referral_id, code in rows]


def cancel_failed_welcome_code(session: Session, referral_id: int, now: dt.datetime) -> int:
    """Cancel a failed referral's welcome code once it is off the platform; 1 if it was unused."""
    referral = session.execute(select(Referral).where(
        Referral.id == referral_id, Referral.status == ReferralStatus.REJECTED,
        Referral.reason.in_(ORDER_FAILURES)).with_for_update(key_share=True)).scalar_one_or_none()
    return cancel_unused(session, referral, now) if referral is not None else 0
