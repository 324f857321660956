"""Work that comes due with time: pending points maturing, tier statuses running out and the
warnings before, expiry and its reminders, birthdays, referrals whose friend's order has settled.

Each function does one batch in the caller's transaction and returns how much it
did, so the caller commits per batch and loops until nothing is left. Every step
takes the account's row lock and re-checks, so two runs at once do no harm.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import EntryStatus, LedgerEntry, Shop, ShopStatus, TierChangeReason
from . import birthdays, expiry, ledger, referral_progress, reminders, tier_notices, tiers


@dataclass
class DueWork:
    matured: int = 0
    reevaluated: int = 0
    rolled_over: int = 0
    downgrades_looked_at: int = 0
    restamped: int = 0
    expired: int = 0
    reminded: int = 0
    birthdays_paid: int = 0
    referrals_settled: int = 0

    @property
    def total(self) -> int:
        return sum(getattr(self, name) for name in _COUNTS)

    def add(self, other: DueWork) -> None:
        for name in _COUNTS:
            setattr(self, name, getattr(self, name) + getattr(other, name))


_COUNTS = ("matured", "reevaluated", "rolled_over", "downgrades_looked_at", "restamped", "expired", "reminded",
           "birthdays_paid", "referrals_settled")


def mature_due_points(session: Session, now: dt.datetime, *, limit: int = 500) -> int:
    """Make due pending lots available, then let the points count toward tiers and referrals."""
    due = session.execute(select(LedgerEntry.account_id, LedgerEntry.shop_id).where(
        LedgerEntry.status == EntryStatus.PENDING, LedgerEntry.points > 0,
        LedgerEntry.matures_at <= now).distinct().limit(limit)).all()
    matured = 0
    for account_id, shop_id in due:
        count = ledger.mature_account(session, account_id, now)
        shop = session.get(Shop, shop_id)
        if count and shop is not None:
            tiers.evaluate_account(session, shop, account_id, now, trigger=TierChangeReason.PROMOTION)
            referral_progress.follow_matured(session, shop, account_id, now)
        matured += count
    return matured


def run_tier_batch(session: Session, now: dt.datetime, *, limit: int = 500) -> DueWork:
    """One batch of tier re-evaluations and window roll-overs over every active shop."""
    work = DueWork()
    for shop in _active_shops(session):
        work.reevaluated += tiers.reevaluate_due(session, shop, now, limit=limit)
        work.rolled_over += tiers.roll_over_due(session, shop, now, limit=limit)
    return work


def run_tier_notice_batch(session: Session, now: dt.datetime, *, limit: int = 500) -> DueWork:
    """One batch of statuses ending within each shop's notice days, judged ahead of time."""
    work = DueWork()
    for shop in _active_shops(session):
        work.downgrades_looked_at += tier_notices.warn_due(session, shop, now, limit=limit)
    return work


def run_expiry_batch(session: Session, now: dt.datetime, *, limit: int = 500) -> DueWork:
    """One batch of re-stamping lots after a policy change, then of expiring due lots."""
    work = DueWork()
    for shop in _active_shops(session):
        work.restamped += expiry.restamp_due(session, shop, limit=limit)
    work.expired = expiry.expire_due(session, now, limit=limit)
    return work


def run_reminder_batch(session: Session, now: dt.datetime, *, limit: int = 500) -> DueWork:
    """One batch of expiry reminders (points.expiring events) over every active shop."""
    work = DueWork()
    for shop in _active_shops(session):
        work.reminded += reminders.remind_expiring(session, shop, now, limit=limit)
    return work


def birthdays_due(session: Session, now: dt.datetime, limit: int = 500) -> int:
    """Pay one batch of the birthdays due today in each shop's time zone; returns how many."""
    return birthdays.pay_due_birthdays(session, now, limit=limit)


def run_birthday_batch(session: Session, now: dt.datetime, *, limit: int = 500) -> DueWork:
    return DueWork(birthdays_paid=birthdays_due(session, now, limit))


def referrals_due(session: Session, now: dt.datetime, limit: int = 500) -> int:
    """Complete or fail one batch of referrals whose friend's order has settled; returns how many."""
    return referral_progress.settle_due(session, now, limit=limit)


def run_referral_batch(session: Session, now: dt.datetime, *, limit: int = 500) -> DueWork:
    return DueWork(referrals_settled=referrals_due(session, now, limit))


def _active_shops(session: Session) -> list[Shop]:
    return list(session.execute(select(Shop).where(Shop.status == ShopStatus.ACTIVE)).unique().scalars())
