"""Birthday points against the database: once a year, on the shop's local day, in batches."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from loyalty_plugin.events import CustomerRef
from loyalty_plugin.models import CustomerAccount, EntryKind, ExpiryPolicy, LedgerEntry
from loyalty_plugin.services import expiry, ledger, schedule
from loyalty_plugin.services.accounts import resolve_account
from loyalty_plugin.services.birthdays import set_birthday
from loyalty_plugin.services.customers import redact_customer
from tests.factories import make_shop

UTC = dt.timezone.utc
LONG_AGO = dt.datetime(2025, 1, 10, tzinfo=UTC)
# 15 June 2026 starts at 22:00 UTC on the 14th in Paris (summer time).
PARIS_MIDNIGHT = dt.datetime(2026, 6, 14, 22, 0, tzinfo=UTC)


@pytest.fixture
def shop(session):
    shop = make_shop(session, birthday_points=50)[0]
    shop.timezone = "Europe/Paris"
    return shop


def customer(session, shop, external_id="c1", *, month=6, day=15, set_at=LONG_AGO) -> CustomerAccount:
    account = resolve_account(session, shop, CustomerRef(platform_id=external_id,
                                                         email=f"{external_id}@example.com"), set_at)
    set_birthday(session, shop, account, month=month, day=day, year=None, now=set_at)
    return account


def birthday_entries(session, account) -> list[tuple[int, str]]:
    return [(e.points, e.idempotency_key) for e in session.execute(select(LedgerEntry).where(
        LedgerEntry.account_id == account.id, LedgerEntry.kind == EntryKind.BIRTHDAY_BONUS)
        .order_by(LedgerEntry.id)).scalars()]


def test_birthday_points_are_paid_once_on_the_local_day_and_count_as_earned(session, shop):
    account = customer(session, shop)
    assert schedule.birthdays_due(session, PARIS_MIDNIGHT - dt.timedelta(minutes=1)) == 0
    assert schedule.birthdays_due(session, PARIS_MIDNIGHT) == 1
    assert schedule.birthdays_due(session, PARIS_MIDNIGHT) == 0  # a second run the same day
    assert schedule.birthdays_due(session, PARIS_MIDNIGHT + dt.timedelta(days=3)) == 0
    session.refresh(account)
    assert (account.available, account.lifetime, account.birthday_paid_year) == (50, 50, 2026)
    assert birthday_entries(session, account) == [(50, f"birthday:{account.id}:2026")]
    assert schedule.birthdays_due(session, PARIS_MIDNIGHT + dt.timedelta(days=365)) == 1
    assert [key for _, key in birthday_entries(session, account)] == [
        f"birthday:{account.id}:2026", f"birthday:{account.id}:2027"]
    assert ledger.verify_balances(session, shop_id=shop.id) == []


def test_a_job_that_missed_the_day_pays_within_a_week_and_not_after(session, shop):
    late = customer(session, shop, "late")
    missed = customer(session, shop, "missed", day=7)
    assert schedule.birthdays_due(session, PARIS_MIDNIGHT + dt.timedelta(days=6)) == 1
    assert birthday_entries(session, late) == [(50, f"birthday:{late.id}:2026")]
    assert birthday_entries(session, missed) == []


def test_29_february_is_paid_on_28_february_in_other_years(session, shop):
    account = customer(session, shop, month=2, day=29)
    assert schedule.birthdays_due(session, dt.datetime(2026, 2, 27, 12, tzinfo=UTC)) == 0
    assert schedule.birthdays_due(session, dt.datetime(2026, 2, 28, 12, tzinfo=UTC)) == 1
    assert schedule.birthdays_due(session, dt.datetime(2026, 3, 1, 12, tzinfo=UTC)) == 0
    assert schedule.birthdays_due(session, dt.datetime(2028, 2, 28, 12, tzinfo=UTC)) == 0
    assert schedule.birthdays_due(session, dt.datetime(2028, 2, 29, 12, tzinfo=UTC)) == 1
    assert [key for _, key in birthday_entries(session, account)] == [
        f"birthday:{account.id}:2026", f"birthday:{account.id}:2028"]


def test_a_birthday_set_within_30_days_before_it_pays_from_next_year(session, shop):
    account = customer(session, shop, set_at=PARIS_MIDNIGHT - dt.timedelta(days=20))
    assert schedule.birthdays_due(session, PARIS_MIDNIGHT + dt.timedelta(hours=12)) == 0
    assert schedule.birthdays_due(session, PARIS_MIDNIGHT + dt.timedelta(days=365, hours=12)) == 1
    assert [key for _, key in birthday_entries(session, account)] == [f"birthday:{account.id}:2027"]


def test_moving_a_paid_birthday_does_not_pay_the_year_again(session, shop):
    account = customer(session, shop, month=3, day=1)
    assert schedule.birthdays_due(session, dt.datetime(2026, 3, 1, 12, tzinfo=UTC)) == 1
    set_birthday(session, shop, account, month=8, day=1, year=1990, now=dt.datetime(2026, 4, 1, tzinfo=UTC))
    assert schedule.birthdays_due(session, dt.datetime(2026, 8, 1, 12, tzinfo=UTC)) == 0
    assert schedule.birthdays_due(session, dt.datetime(2027, 8, 1, 12, tzinfo=UTC)) == 1
    assert [key for _, key in birthday_entries(session, account)] == [
        f"birthday:{account.id}:2026", f"birthday:{account.id}:2027"]


def test_saving_the_same_birthday_again_keeps_its_notice_running(session, shop):
    account = customer(session, shop)
    set_birthday(session, shop, account, month=6, day=15, year=1990, now=PARIS_MIDNIGHT - dt.timedelta(days=2))
    assert account.birthday_set_at == LONG_AGO
    assert schedule.birthdays_due(session, PARIS_MIDNIGHT) == 1


def test_the_job_works_in_batches_until_everyone_is_paid(session, shop):
    accounts = [customer(session, shop, f"b{n}") for n in range(5)]
    customer(session, shop, "other-day", day=16)
    batches = []
    while (paid := schedule.birthdays_due(session, PARIS_MIDNIGHT, limit=2)):
        batches.append(paid)
    assert batches == [2, 2, 1]
    assert all(len(birthday_entries(session, a)) == 1 for a in accounts)


def test_no_points_when_the_shop_pays_none(session, shop):
    shop.settings.birthday_points = 0
    account = customer(session, shop)
    assert schedule.birthdays_due(session, PARIS_MIDNIGHT) == 0
    assert birthday_entries(session, account) == []


def test_a_birthday_does_not_restart_an_inactivity_clock(session, shop):
    expiry.update_policy(session, shop, policy=ExpiryPolicy.INACTIVITY, days=30, now=LONG_AGO)
    account = customer(session, shop)
    ledger.credit(session, account.id, kind=EntryKind.ADJUSTMENT, points=10, source=ledger.EntrySource.API,
                  source_ref="x", key="adj-x", now=PARIS_MIDNIGHT - dt.timedelta(days=20))
    (before,) = session.execute(select(LedgerEntry.expires_at)).scalars()
    schedule.birthdays_due(session, PARIS_MIDNIGHT)
    adjustment = session.execute(select(LedgerEntry).where(LedgerEntry.kind == EntryKind.ADJUSTMENT)).scalar_one()
    assert adjustment.expires_at == before


def test_redacting_a_customer_erases_the_birthday(session, shop):
    account = customer(session, shop)
    redact_customer(session, shop, CustomerRef(platform_id="c1"), (), PARIS_MIDNIGHT)
    assert (account.birth_month, account.birth_day, account.birthday_set_at) == (None, None, None)
    assert schedule.birthdays_due(session, PARIS_MIDNIGHT) == 0
