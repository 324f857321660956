"""Telling customers their points are about to expire: once per customer per expiry date.

A shop sets how many days ahead to warn (``expiry_warning_days``; 0 warns
nobody). Each date a customer is warned about gets an ``ExpiryReminder`` row,
inserted under the account's row lock, so two runs at once warn once; a batch
only looks at dates nobody was warned about, so it always makes progress.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session

from ..models import EntryStatus, ExpiryPolicy, ExpiryReminder, LedgerEntry, Shop
from . import ledger, outbox
from .sql import insert_or_none


def remind_expiring(session: Session, shop: Shop, now: dt.datetime, *, limit: int = 500) -> int:
    """Warn about up to ``limit`` (customer, date) pairs; returns how many were looked at."""
    settings = shop.settings
    if settings.expiry_warning_days <= 0 or settings.expiry_policy is ExpiryPolicy.NONE:
        return 0
    horizon = now + dt.timedelta(days=settings.expiry_warning_days)
    lot = LedgerEntry
    due = session.execute(select(lot.account_id, lot.expires_at).where(
        lot.shop_id == shop.id, lot.points > 0, lot.remaining > 0,
        lot.status == EntryStatus.AVAILABLE, lot.expires_at > now, lot.expires_at <= horizon,
        ~exists().where(ExpiryReminder.account_id == lot.account_id,
                        ExpiryReminder.expires_at == lot.expires_at))
        .distinct().order_by(lot.account_id, lot.expires_at).limit(limit)).all()
    for account_id, expires_at in due:
        _remind(session, shop, account_id, expires_at, now)
    return len(due)


def _remind(session: Session, shop: Shop, account_id: int, expires_at: dt.datetime,
            now: dt.datetime) -> None:
    account = ledger.lock_account(session, account_id)
    reminder = insert_or_none(session, ExpiryReminder, dict(
        shop_id=shop.id, account_id=account_id, expires_at=expires_at, created_at=now),
        conflict=["account_id", "expires_at"])
    if reminder is None or account.id != account_id:
        return  # warned already by another run, or the account was merged away
    # Re-read under the lock: what is left on that date now, not when the batch was chosen.
    points = session.execute(select(func.coalesce(func.sum(LedgerEntry.remaining), 0)).where(
        LedgerEntry.account_id == account_id, LedgerEntry.points > 0,
        LedgerEntry.status == EntryStatus.AVAILABLE, LedgerEntry.expires_at == expires_at)).scalar_one()
    if points > 0:
        outbox.points_expiring(session, account, int(points), expires_at, now)
