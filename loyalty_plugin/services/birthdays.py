"""Birthday points: a customer's birthday, and the daily job that pays for it once a year.

The payment's ledger key is per account and year, and the account remembers the
last year paid, so a job run twice, two runs at once, or a birthday moved after
it was paid never pay a year twice.
"""
from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from ..errors import Unprocessable
from ..models import (CustomerAccount, EntryKind, EntrySource, ProgramSettings, Shop, ShopStatus,
                      TierChangeReason)
from ..rules.birthdays import (candidates, check_birthday, due_occurrence, local_date, next_payout,
                               set_before)
from . import ledger, tiers

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Birthday:
    month: int | None
    day: int | None
    year: int | None
    set_at: dt.datetime | None
    # The next birthday that pays; None when none is set or the shop pays nothing.
    next_payout: dt.date | None


def set_birthday(session: Session, shop: Shop, account: CustomerAccount, *, month: int, day: int,
                 year: int | None, now: dt.datetime) -> Birthday:
    """Set or change the birthday; a new date needs the notice period before it pays."""
    field = check_birthday(month, day, year, local_date(now, shop.timezone))
    if field is not None:
        raise Unprocessable("The birthday is not a possible date.",
                            details={"fields": {field: ["Not a possible birthday."]}})
    # Under the account's lock, so a job paying it now sees the old or the new date, whole.
    account = ledger.lock_account(session, account.id)
    if (account.birth_month, account.birth_day) != (month, day):
        account.birthday_set_at = now
    account.birth_month, account.birth_day, account.birth_year = month, day, year
    session.flush()
    return birthday_of(shop, account, now)


def clear_birthday(session: Session, shop: Shop, account: CustomerAccount, now: dt.datetime) -> Birthday:
    account = ledger.lock_account(session, account.id)
    account.birth_month = account.birth_day = account.birth_year = None
    account.birthday_set_at = None
    session.flush()
    return birthday_of(shop, account, now)


def update_program(session: Session, shop: Shop, *, points: int) -> ProgramSettings:
    """Points per birthday; 0 turns birthdays off. Applies from the next job run."""
    shop.settings.birthday_points = points
    session.flush()
    return shop.settings


def birthday_of(shop: Shop, account: CustomerAccount, now: dt.datetime) -> Birthday:
    upcoming = None
    if (account.birth_month and account.birth_day and account.birthday_set_at
            and shop.settings.birthday_points > 0):
        upcoming = next_payout(account.birth_month, account.birth_day,
                               local_date(account.birthday_set_at, shop.timezone),
                               local_date(now, shop.timezone), account.birthday_paid_year)
    return Birthday(account.birth_month, account.birth_day, account.birth_year,
                    account.birthday_set_at, upcoming)


def pay_due_birthdays(session: Session, now: dt.datetime, limit: int = 500) -> int:
    """Pay one batch of due birthdays across shops; returns how many were paid."""
    paid = 0
    shops = session.execute(select(Shop).join(ProgramSettings).where(
        Shop.status == ShopStatus.ACTIVE, ProgramSettings.birthday_points > 0)
        .order_by(Shop.id)).unique().scalars().all()
    for shop in shops:
        for account_id in _due_accounts(session, shop, now, limit - paid):
            paid += pay_birthday(session, shop, account_id, now)
        if paid >= limit:
            break
    return paid


def _due_accounts(session: Session, shop: Shop, now: dt.datetime, limit: int) -> list[int]:
    """Accounts whose birthday pays today, as ``rules.birthdays.due_occurrence`` decides."""
    account = CustomerAccount
    due = []
    for birthday, pairs in candidates(local_date(now, shop.timezone)):
        due.append(and_(
            or_(*(and_(account.birth_month == month, account.birth_day == day) for month, day in pairs)),
            account.birthday_set_at < set_before(birthday, shop.timezone),
            or_(account.birthday_paid_year.is_(None), account.birthday_paid_year < birthday.year)))
    return list(session.execute(select(account.id).where(
        account.shop_id == shop.id, account.merged_into_id.is_(None), account.redacted_at.is_(None),
        or_(*due)).order_by(account.id).limit(limit)).scalars())


def pay_birthday(session: Session, shop: Shop, account_id: int, now: dt.datetime) -> bool:
    """Pay the account's birthday if it is due and unpaid; re-checked under the account's lock."""
    account = ledger.lock_account(session, account_id)
    if account.id != account_id or account.birth_month is None or account.birth_day is None \
            or account.birthday_set_at is None:
        return False
    birthday = due_occurrence(account.birth_month, account.birth_day,
                              local_date(account.birthday_set_at, shop.timezone),
                              local_date(now, shop.timezone))
    if birthday is None or (account.birthday_paid_year or 0) >= birthday.year:
        return False
    entry = ledger.credit(session, account.id, kind=EntryKind.BIRTHDAY_BONUS,
                          points=shop.settings.birthday_points,
                          source=EntrySource.BIRTHDAY, source_ref=str(birthday.year),
                          key=f"birthday:{account.id}:{birthday.year}", now=now,
                          reason=f"Happy birthday {birthday.year}")
    account.birthday_paid_year = birthday.year
    session.flush()
    tiers.evaluate_account(session, shop, account.id, now, trigger=TierChangeReason.PROMOTION)
    log.info("birthday paid shop=%s account=%s year=%s entry=%s", shop.id, account.id,
             birthday.year, entry.id)
    return True
