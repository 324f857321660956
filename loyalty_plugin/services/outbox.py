"""Announcing changes: events written to the outbox in the transaction that makes them.

Services call the one-line functions below right where the change happens. The
event commits or rolls back with the change, and its ``key`` (derived from the
ledger entry, tier change or reminder it announces) makes a repeated call a
no-op. Delivery happens later, after commit (see ``dispatch``).

``PAYLOADS`` documents the ``data`` object of every event type; each carries a
``customer`` (or ``referrer`` and ``friend``) shaped like ``customer_ref``.
Other modules emit their own types with ``emit`` and a key of their own.
"""
from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from ..models import (CustomerAccount, EntrySource, EventType, LedgerEntry, Order, OutboundEvent, Reward,
                      RewardCode, Tier, TierChange)
from .sql import insert_id_or_none

if TYPE_CHECKING:  # ledger writes events: importing it here would be circular
    from .ledger import Credit

CUSTOMER = "{id: platform customer id or null, email, account_id}"
BALANCE = "{available, pending}"
TIER_REF = "{id, name} or null"

PAYLOADS: dict[EventType, dict[str, str]] = {
    EventType.POINTS_EARNED: {
        "customer": CUSTOMER, "order_id": "the platform's order id", "order_name": "e.g. #1001",
        "entry_id": "ledger entry id", "points": "positive", "status": "pending or available",
        "available_at": "when pending points mature (ISO 8601) or null", "balance": BALANCE},
    EventType.POINTS_REVERSED: {
        "customer": CUSTOMER, "order_id": "the platform's order id", "entry_id": "ledger entry id",
        "points": "positive: how many were taken back", "reason": "refund or cancel",
        "refund_id": "the platform's refund id, or null for a cancellation", "balance": BALANCE},
    EventType.POINTS_EXPIRED: {
        "customer": CUSTOMER, "entry_id": "ledger entry id", "points": "positive", "balance": BALANCE},
    EventType.POINTS_EXPIRING: {
        "customer": CUSTOMER, "points": "positive", "expires_at": "ISO 8601, the end of a local day",
        "balance": BALANCE},
    EventType.TIER_CHANGED: {
        "customer": CUSTOMER, "change_id": "tier change id", "from": TIER_REF, "to": TIER_REF,
        "direction": "up or down", "reason": "promotion, reversal, window_end or reevaluation",
        "expires_at": "when the new status runs out (ISO 8601) or null"},
    EventType.TIER_DOWNGRADE_WARNING: {
        "customer": CUSTOMER, "tier": TIER_REF + ": the tier held now",
        "projected": TIER_REF + ": where the customer lands if nothing changes",
        "expires_at": "when the status is judged (ISO 8601)",
        "needed": "{basis, progress, threshold, short}: what keeps the tier; short is what is "
                  "missing (points or orders as integers, money as a decimal string)"},
    EventType.REWARD_ISSUED: {
        "customer": CUSTOMER, "code_id": "reward code id", "code": "the discount code",
        "reward": "{id, name}", "origin": "redemption, tier_entry, referral (a friend's welcome "
        "code), referrer or admin", "points_spent": "0 for a code given rather than bought",
        "expires_at": "ISO 8601 or null"},
    EventType.REFERRAL_COMPLETED: {
        "referrer": CUSTOMER, "friend": CUSTOMER, "referral_id": "referral id",
        "order_id": "the friend's qualifying order", "points": "points the referrer earned, or 0",
        "code_id": "the referrer's reward code id when the shop rewards with a code, else null"},
}


def emit(session: Session, shop_id: int, type: EventType, payload: dict[str, Any], *, key: str,
         now: dt.datetime, account_id: int | None = None) -> int | None:
    """Write one event; its id, or None when an event with ``key`` exists already in this shop."""
    return insert_id_or_none(session, OutboundEvent, dict(
        shop_id=shop_id, type=type, account_id=account_id, key=key[:255],
        payload=json.loads(json.dumps(payload, default=_plain)), created_at=now,
        fanned_out_at=None), conflict=["shop_id", "key"])


def customer_ref(account: CustomerAccount) -> dict[str, Any]:
    return {"id": account.platform_customer_id, "email": account.email, "account_id": account.id}


def points_earned(session: Session, order: Order, entry: LedgerEntry | Credit, now: dt.datetime) -> None:
    account = _account(session, entry)
    emit(session, entry.shop_id, EventType.POINTS_EARNED, {
        "customer": customer_ref(account), "order_id": order.platform_order_id,
        "order_name": order.name, "entry_id": entry.id, "points": entry.points,
        "status": entry.status.value, "available_at": entry.matures_at, "balance": _balance(account),
    }, key=f"points.earned:{entry.id}", now=now, account_id=account.id)


def points_reversed(session: Session, order: Order, entry: LedgerEntry, now: dt.datetime) -> None:
    account = _account(session, entry)
    refund_id = entry.source_ref if entry.source is EntrySource.REFUND else None
    emit(session, entry.shop_id, EventType.POINTS_REVERSED, {
        "customer": customer_ref(account), "order_id": order.platform_order_id, "entry_id": entry.id,
        "points": -entry.points, "reason": "refund" if refund_id else "cancel",
        "refund_id": refund_id, "balance": _balance(account),
    }, key=f"points.reversed:{entry.id}", now=now, account_id=account.id)


def points_expired(session: Session, entry: LedgerEntry, now: dt.datetime) -> None:
    account = _account(session, entry)
    emit(session, entry.shop_id, EventType.POINTS_EXPIRED, {
        "customer": customer_ref(account), "entry_id": entry.id, "points": -entry.points,
        "balance": _balance(account),
    }, key=f"points.expired:{entry.id}", now=now, account_id=account.id)


def points_expiring(session: Session, account: CustomerAccount, points: int,
                    expires_at: dt.datetime, now: dt.datetime) -> None:
    emit(session, account.shop_id, EventType.POINTS_EXPIRING, {
        "customer": customer_ref(account), "points": points, "expires_at": expires_at,
        "balance": _balance(account),
    }, key=f"points.expiring:{account.id}:{expires_at.isoformat()}", now=now, account_id=account.id)


def tier_changed(session: Session, change: TierChange, before: Tier | None, after: Tier | None,
                 expires_at: dt.datetime | None) -> None:
    account = session.get(CustomerAccount, change.account_id)
    assert account is not None
    up = after is not None and (before is None or after.threshold > before.threshold)
    emit(session, change.shop_id, EventType.TIER_CHANGED, {
        "customer": customer_ref(account), "change_id": change.id, "from": _tier(before),
        "to": _tier(after), "direction": "up" if up else "down", "reason": change.reason.value,
        "expires_at": expires_at,
    }, key=f"tier.changed:{change.id}", now=change.created_at, account_id=account.id)


def tier_downgrade_warning(session: Session, account: CustomerAccount, held: Tier, projected: Tier | None,
                           expires_at: dt.datetime, needed: dict[str, Any], now: dt.datetime) -> None:
    emit(session, account.shop_id, EventType.TIER_DOWNGRADE_WARNING, {
        "customer": customer_ref(account), "tier": _tier(held), "projected": _tier(projected),
        "expires_at": expires_at, "needed": needed,
    }, key=f"tier.downgrade_warning:{account.id}:{expires_at.isoformat()}", now=now,
        account_id=account.id)


def reward_issued(session: Session, code: RewardCode, now: dt.datetime) -> None:
    """A code the platform now honours: bought with points, or given (tier entry, referral)."""
    account = session.get(CustomerAccount, code.account_id)
    reward = session.get(Reward, code.reward_id)
    assert account is not None
    emit(session, code.shop_id, EventType.REWARD_ISSUED, {
        "customer": customer_ref(account), "code_id": code.id, "code": code.code,
        "reward": {"id": code.reward_id, "name": reward.name if reward is not None else None},
        "origin": code.origin.value,
        "points_spent": code.points_spent, "expires_at": code.expires_at,
    }, key=f"reward.issued:{code.id}", now=now, account_id=account.id)


def _account(session: Session, entry: LedgerEntry | Credit) -> CustomerAccount:
    account = session.get(CustomerAccount, entry.account_id)
    assert account is not None
    return account


def _balance(account: CustomerAccount) -> dict[str, int]:
    return {"available": account.available, "pending": account.pending}


def _tier(tier: Tier | None) -> dict[str, Any] | None:
    return {"id": tier.id, "name": tier.name} if tier is not None else None


def _plain(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def referral_completed(session: Session, referral: Any, now: dt.datetime) -> None:
    referrer = session.get(CustomerAccount, referral.referrer_account_id)
    friend = (session.get(CustomerAccount, referral.friend_account_id)
              if referral.friend_account_id is not None else None)
    if referrer is None:
        return
    emit(session, referral.shop_id, EventType.REFERRAL_COMPLETED, {
        "referrer": customer_ref(referrer), "friend": customer_ref(friend) if friend else None,
        "referral_id": referral.id,
        "order_id": referral.order.platform_order_id if referral.order is not None else None,
        "points": referral.referrer_points, "code_id": referral.referrer_code_id,
    }, key=f"referral:{referral.id}:completed", now=now, account_id=referrer.id)

