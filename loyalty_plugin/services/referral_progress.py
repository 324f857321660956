"""A referral after it is recorded: linked to the friend's first order, completed, failed, voided.

The friend's first order that earns points links the referral. The referral
completes when that order's points are spendable (at once without a pending
period, else when they mature) and nothing of the order was reversed; a refund
or cancellation first fails it. Completing credits the referrer under a ledger
key per referral (or gives them a code, see ``referral_rewards``), and every step holds the referral's row lock, so the order
flow, the job and the shop voiding it can race without paying twice.
"""
from __future__ import annotations

import datetime as dt
import logging

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from ..errors import Conflict, ErrorCode, NotFound
from ..models import (CustomerAccount, EntryKind, EntrySource, EntryStatus, LedgerEntry,
                      LotAllocation, NegativeBalancePolicy, Order, OrderStatus, Referral,
                      ReferralReason, ReferralStatus, ReferrerReward, Shop, TierChangeReason)
from . import ledger, outbox, referral_rewards, tiers

log = logging.getLogger(__name__)


def on_referral_completed(session: Session, referral: Referral, now: dt.datetime) -> None:
    """Called once, in the transaction that completes ``referral``: announce it."""
    outbox.referral_completed(session, referral, now)


def follow_order(session: Session, shop: Shop, order: Order, now: dt.datetime, *,
                 newly_awarded: bool) -> None:
    """After an order earned points or had some reversed: link, complete or fail its referral."""
    referral = None
    # An order is linked when it is awarded, so a first award has nothing linked yet to look up.
    if order.points_reversed > 0 or order.status is OrderStatus.CANCELLED:
        referral = _locked(session, select(Referral).where(
            Referral.order_id == order.id, Referral.status == ReferralStatus.PENDING))
    if referral is None and newly_awarded and order.earn_entry_id is not None \
            and shop.settings.referrals_enabled:
        referral = _locked(session, select(Referral).where(
            Referral.shop_id == shop.id, Referral.status == ReferralStatus.PENDING,
            Referral.order_id.is_(None), Referral.friend_account_id.in_(_holders(order.account_id)))
            .order_by(Referral.id).limit(1))
        if referral is not None:
            referral.order_id, referral.linked_at = order.id, now
    if referral is not None:
        settle(session, shop, referral, order, now)


def follow_matured(session: Session, shop: Shop, account_id: int, now: dt.datetime) -> int:
    """After an account's pending points matured: complete the referrals whose order they were."""
    if not shop.settings.referrals_enabled:
        return 0
    ids = session.execute(_settleable().where(LedgerEntry.account_id == account_id)).scalars().all()
    return sum(_settle_by_id(session, shop, referral_id, now) for referral_id in ids)


def settle_due(session: Session, now: dt.datetime, limit: int = 500) -> int:
    """One batch of pending referrals whose order has settled either way; returns how many."""
    rows = session.execute(_settleable().add_columns(Referral.shop_id).order_by(Referral.id)
                           .limit(limit)).all()
    shops: dict[int, Shop | None] = {}
    settled = 0
    for referral_id, shop_id in rows:
        shop = shops.setdefault(shop_id, session.get(Shop, shop_id))
        if shop is not None:
            settled += _settle_by_id(session, shop, referral_id, now)
    return settled


def _settleable():
    return (select(Referral.id).join(Order, Order.id == Referral.order_id)
            .join(LedgerEntry, LedgerEntry.id == Order.earn_entry_id)
            .where(Referral.status == ReferralStatus.PENDING,
                   or_(LedgerEntry.status == EntryStatus.AVAILABLE, Order.points_reversed > 0,
                       Order.is_cancelled.is_(True))))


def _settle_by_id(session: Session, shop: Shop, referral_id: int, now: dt.datetime) -> int:
    referral = _locked(session, select(Referral).where(
        Referral.id == referral_id, Referral.status == ReferralStatus.PENDING))
    order = session.get(Order, referral.order_id) if referral and referral.order_id else None
    if referral is None or order is None:
        return 0
    return int(settle(session, shop, referral, order, now))


def settle(session: Session, shop: Shop, referral: Referral, order: Order, now: dt.datetime) -> bool:
    """Complete or fail a pending referral by its order's state; False while it must wait."""
    if order.is_cancelled or order.status is OrderStatus.CANCELLED:
        _fail(referral, ReferralReason.ORDER_CANCELLED, now)
    elif order.points_reversed > 0:
        _fail(referral, ReferralReason.ORDER_REFUNDED, now)
    else:
        earn = session.get(LedgerEntry, order.earn_entry_id) if order.earn_entry_id else None
        if earn is None or earn.status is not EntryStatus.AVAILABLE:
            return False
        _complete(session, shop, referral, now)
    session.flush()
    return True


def _fail(referral: Referral, reason: ReferralReason, now: dt.datetime) -> None:
    referral.status, referral.reason, referral.closed_at = ReferralStatus.REJECTED, reason, now
    log.info("referral failed referral=%s reason=%s", referral.id, reason.value)


def _complete(session: Session, shop: Shop, referral: Referral, now: dt.datetime) -> None:
    referral.status, referral.completed_at = ReferralStatus.COMPLETED, now
    points = shop.settings.referral_points
    if shop.settings.referrer_reward is ReferrerReward.REWARD \
            and referral_rewards.grant_referrer_code(session, shop, referral, now) is not None:
        points = 0  # the code is the reward; points only stand in when it cannot be given
    if points > 0:
        entry = ledger.credit(session, referral.referrer_account_id, kind=EntryKind.REFERRAL_BONUS,
                              points=points, source=EntrySource.REFERRAL, source_ref=str(referral.id),
                              key=f"referral:{referral.id}:bonus", now=now, reason="Referred a friend")
        referral.referrer_points, referral.referrer_entry_id = points, entry.id
        session.flush()
        tiers.evaluate_account(session, shop, entry.account_id, now, trigger=TierChangeReason.PROMOTION)
    log.info("referral completed shop=%s referral=%s points=%s code=%s", shop.id, referral.id, points,
             referral.referrer_code_id)
    on_referral_completed(session, referral, now)


def voidable_referral(session: Session, shop: Shop, referral_id: int, *,
                     lock: bool = False) -> Referral:
    """The referral, if the shop may void it: neither voided nor rejected already."""
    stmt = select(Referral).where(Referral.id == referral_id, Referral.shop_id == shop.id)
    referral = _locked(session, stmt) if lock else session.execute(stmt).scalar_one_or_none()
    if referral is None:
        raise NotFound(f"No referral with id {referral_id} in this shop.",
                       code=ErrorCode.REFERRAL_NOT_FOUND)
    if referral.status in (ReferralStatus.VOIDED, ReferralStatus.REJECTED):
        raise Conflict(f"This referral is {referral.status.value} already.",
                       code=ErrorCode.REFERRAL_CLOSED, details={"status": referral.status.value})
    return referral


def void_referral(session: Session, shop: Shop, referral_id: int, *, note: str | None,
                  now: dt.datetime) -> Referral:
    """Cancel a referral; a completed one's points are taken back from the referrer, and its
    codes not used yet are cancelled (revoke them on the platform first: ``unused_codes``)."""
    referral = voidable_referral(session, shop, referral_id, lock=True)
    if referral.referrer_entry_id is not None:
        _claw_back(session, shop, referral, now)
    referral_rewards.cancel_unused(session, referral, now)
    referral.status, referral.note, referral.closed_at = ReferralStatus.VOIDED, note, now
    session.flush()
    log.info("referral voided shop=%s referral=%s", shop.id, referral.id)
    return referral


def _claw_back(session: Session, shop: Shop, referral: Referral, now: dt.datetime) -> None:
    bonus = session.get(LedgerEntry, referral.referrer_entry_id)
    assert bonus is not None
    ledger.expire_lots(session, bonus.account_id, now)
    # Bonus points that expired unspent are gone already: they are not taken twice.
    expired = session.execute(select(func.coalesce(func.sum(LotAllocation.points), 0))
                              .join(LedgerEntry, LedgerEntry.id == LotAllocation.debit_entry_id)
                              .where(LotAllocation.lot_entry_id == bonus.id,
                                     LedgerEntry.kind == EntryKind.EXPIRE)).scalar_one()
    points = bonus.points - int(expired)
    if points <= 0:
        return
    shortfall = (ledger.Shortfall.DEBT if shop.settings.negative_balance is NegativeBalancePolicy.ALLOW
                 else ledger.Shortfall.CLAMP)
    entry = ledger.debit(session, bonus.account_id, kind=EntryKind.REFERRAL_CLAWBACK, points=points,
                         source=EntrySource.REFERRAL, source_ref=str(referral.id),
                         key=f"referral:{referral.id}:clawback", now=now, shortfall=shortfall,
                         preferred_lots=[bonus.id], reason="Referral voided")
    if entry is not None:
        referral.clawback_entry_id = entry.id
        session.flush()
        tiers.evaluate_account(session, shop, entry.account_id, now, trigger=TierChangeReason.REVERSAL)


def _locked(session: Session, stmt) -> Referral | None:
    return session.execute(stmt.with_for_update(key_share=True)
                           .execution_options(populate_existing=True)).scalar_one_or_none()


def _holders(account_id: int | None):
    return select(CustomerAccount.id).where(
        or_(CustomerAccount.id == account_id, CustomerAccount.merged_into_id == account_id))
