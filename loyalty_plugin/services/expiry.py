"""Points expiry: the shop's policy, stamping lots with it, expiring what is due, the schedule.

The ledger stamps every new lot with its expiry date and takes expired remainders
(``ledger.expire_lots``). This module changes the policy, re-stamps existing lots
in batches when it changes, and finds the accounts with something due.
"""
from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..errors import Unprocessable
from ..models import CustomerAccount, EntryStatus, ExpiryPolicy, LedgerEntry, ProgramSettings, Shop
from ..rules.expiry import lot_expiry
from . import ledger

log = logging.getLogger(__name__)

MAX_DAYS = 3650
MAX_WARNING_DAYS = 365


def update_policy(session: Session, shop: Shop, *, policy: ExpiryPolicy | None = None,
                  days: int | None = None, warning_days: int | None = None,
                  now: dt.datetime) -> ProgramSettings:
    """Change the policy; existing points get their dates in a batch, counted from now."""
    settings = shop.settings
    if warning_days is not None:
        if not 0 <= warning_days <= MAX_WARNING_DAYS:
            raise Unprocessable(f"Expiry warning days must be between 0 and {MAX_WARNING_DAYS}.",
                                details={"field": "expiry_warning_days"})
        settings.expiry_warning_days = warning_days
    policy = settings.expiry_policy if policy is None else policy
    days = settings.expiry_days if days is None else days
    if not 1 <= days <= MAX_DAYS:
        raise Unprocessable(f"Expiry days must be between 1 and {MAX_DAYS}.",
                            details={"field": "expiry_days"})
    if policy is not settings.expiry_policy:
        settings.expiry_policy = policy
        settings.expiry_enabled_at = None if policy is ExpiryPolicy.NONE else now
        settings.expiry_version += 1
        log.info("expiry policy changed shop=%s policy=%s", shop.id, policy.value)
    # A new number of days applies to points earned from now on; dates already
    # shown to customers stay as they are.
    settings.expiry_days = days
    session.flush()
    return settings


def restamp_due(session: Session, shop: Shop, *, limit: int = 500) -> int:
    """Give open lots of accounts not yet stamped for the current policy their dates."""
    settings = shop.settings
    accounts = session.execute(select(CustomerAccount.id).where(
        CustomerAccount.shop_id == shop.id,
        CustomerAccount.expiry_version < settings.expiry_version)
        .order_by(CustomerAccount.id).limit(limit)).scalars().all()
    for account_id in accounts:
        account = ledger.lock_account(session, account_id)
        if account.id == account_id:  # a merged account's lots live in its target
            _restamp(session, shop, account_id)
        session.get(CustomerAccount, account_id).expiry_version = settings.expiry_version
    session.flush()
    return len(accounts)


def _restamp(session: Session, shop: Shop, account_id: int) -> None:
    settings = shop.settings
    lots = session.execute(select(LedgerEntry).where(
        LedgerEntry.account_id == account_id, LedgerEntry.points > 0,
        LedgerEntry.remaining > 0)).scalars().all()
    for lot in lots:
        available_at = (lot.matures_at if lot.status is EntryStatus.PENDING else lot.matured_at) \
            or lot.created_at
        if settings.expiry_policy is ExpiryPolicy.INACTIVITY:
            available_at = settings.expiry_enabled_at or available_at
        lot.expires_at = lot_expiry(settings.expiry_policy, settings.expiry_days, available_at,
                                    settings.expiry_enabled_at, shop.timezone)


def expire_due(session: Session, now: dt.datetime, *, limit: int = 500) -> int:
    """Expire every due lot of up to ``limit`` accounts; returns how many accounts lost points."""
    accounts = session.execute(select(LedgerEntry.account_id).where(
        LedgerEntry.points > 0, LedgerEntry.remaining > 0, LedgerEntry.expires_at <= now,
        LedgerEntry.status == EntryStatus.AVAILABLE).distinct().limit(limit)).scalars().all()
    return sum(1 for account_id in accounts if ledger.expire_lots(session, account_id, now))


@dataclass(frozen=True)
class ExpiringPoints:
    expires_at: dt.datetime | None
    points: int
    pending: bool


def expiry_schedule(session: Session, account: CustomerAccount) -> list[ExpiringPoints]:
    """Every date on which some of the customer's points expire, soonest first.

    Points with no expiry come last with ``expires_at`` None.
    """
    lots = session.execute(select(LedgerEntry.expires_at, LedgerEntry.status, LedgerEntry.remaining)
                           .where(LedgerEntry.account_id == account.id, LedgerEntry.points > 0,
                                  LedgerEntry.remaining > 0)).all()
    totals: dict[tuple[dt.datetime | None, bool], int] = {}
    for expires_at, status, remaining in lots:
        key = (expires_at, status is EntryStatus.PENDING)
        totals[key] = totals.get(key, 0) + remaining
    far = dt.datetime.max.replace(tzinfo=dt.timezone.utc)
    return [ExpiringPoints(expires_at, points, pending)
            for (expires_at, pending), points in sorted(
                totals.items(), key=lambda item: (item[0][0] or far, item[0][1]))]
