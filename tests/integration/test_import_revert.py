"""Reverting an import when imported points were spent or expired: never overspending, debt or
clamp per the shop's negative-balance policy, and the ledger still adds up."""
from __future__ import annotations

import datetime as dt
import io

import pytest
from sqlalchemy import select

from loyalty_plugin.jobs import imports as runner
from loyalty_plugin.jobs.imports import BatchRevert, CustomerImport
from loyalty_plugin.models import (CustomerAccount, EntryKind, EntrySource, ExpiryPolicy,
                                   LedgerEntry, NegativeBalancePolicy)
from loyalty_plugin.services import ledger
from loyalty_plugin.services.accounts import find_by_external_id
from loyalty_plugin.services.imports import check_file
from tests.factories import make_shop

T0 = dt.datetime(2026, 3, 1, 12, tzinfo=dt.timezone.utc)


def import_file(database, shop, text: str, at: dt.datetime = T0):
    data = text.encode()
    check = check_file(lambda: io.BytesIO(data), at.date())
    assert check.ok, check.problems
    run = CustomerImport(database, shop.id, lambda: io.BytesIO(data), filename="f.csv", check=check,
                         clock=lambda: at)
    assert list(run) == list(range(2, 2 + check.rows))
    return run.batch()


def revert(database, batch_id: int, at: dt.datetime):
    run = BatchRevert(database, batch_id, clock=lambda: at)
    list(run)
    return run.batch()


def account(session, shop, external_id: str) -> CustomerAccount:
    session.expire_all()
    found = find_by_external_id(session, shop.id, external_id)
    assert found is not None
    return found


def move(session, account_id: int, points: int, at: dt.datetime, ref: str) -> None:
    common = dict(kind=EntryKind.ADJUSTMENT, source=EntrySource.API, source_ref=ref, key=ref, now=at)
    if points > 0:
        ledger.credit(session, account_id, points=points, **common)
    else:
        ledger.debit(session, account_id, points=-points, shortfall=ledger.Shortfall.FAIL, **common)
    session.commit()


@pytest.fixture
def shop(session):
    shop, _ = make_shop(session)
    session.commit()
    return shop


def spent_then_earned(database, session, shop):
    batch = import_file(database, shop, "external_id,points\nc1,100\n")
    customer = account(session, shop, "c1")
    move(session, customer.id, -60, T0 + dt.timedelta(days=1), "spend")
    move(session, customer.id, 30, T0 + dt.timedelta(days=2), "earn")
    assert account(session, shop, "c1").available == 70
    return batch, customer


def test_allow_policy_takes_what_is_left_and_the_spent_rest_as_debt(database, session, shop):
    batch, customer = spent_then_earned(database, session, shop)

    done = revert(database, batch.id, T0 + dt.timedelta(days=3))

    assert (done.status.value, done.revert_debt, done.revert_shortfall) == ("reverted", 30, 0)
    assert account(session, shop, "c1").available == -30
    move(session, customer.id, 50, T0 + dt.timedelta(days=4), "later")
    assert account(session, shop, "c1").available == 20  # the debt was settled first
    assert ledger.verify_balances(session, shop_id=shop.id) == []


def test_clamp_policy_never_goes_below_zero_and_counts_what_it_forgave(database, session, shop):
    shop.settings.negative_balance = NegativeBalancePolicy.CLAMP
    session.commit()
    batch, _ = spent_then_earned(database, session, shop)

    done = revert(database, batch.id, T0 + dt.timedelta(days=3))

    assert (done.revert_debt, done.revert_shortfall) == (0, 30)
    assert account(session, shop, "c1").available == 0
    revert_entry = session.execute(select(LedgerEntry).where(
        LedgerEntry.kind == EntryKind.IMPORT_REVERT)).scalar_one()
    assert revert_entry.points == -70
    assert ledger.verify_balances(session, shop_id=shop.id) == []


def test_expired_imported_points_are_not_taken_a_second_time(database, session, shop):
    settings = shop.settings
    settings.expiry_policy, settings.expiry_days = ExpiryPolicy.PER_LOT, 30
    settings.expiry_enabled_at = T0 - dt.timedelta(days=1)
    session.commit()
    batch = import_file(database, shop, "external_id,points\nc1,100\n")
    customer = account(session, shop, "c1")
    move(session, customer.id, -40, T0 + dt.timedelta(days=5), "spend")
    ledger.expire_lots(session, customer.id, T0 + dt.timedelta(days=40))
    move(session, customer.id, 25, T0 + dt.timedelta(days=41), "earn")
    assert account(session, shop, "c1").available == 25

    done = revert(database, batch.id, T0 + dt.timedelta(days=42))

    # 60 expired, 40 were spent: the 40 come back out of the 25 earned since, 15 as debt.
    assert (done.revert_debt, done.revert_shortfall) == (15, 60)
    assert account(session, shop, "c1").available == -15
    assert ledger.verify_balances(session, shop_id=shop.id) == []


def test_a_negative_opening_balance_under_clamp_takes_only_what_there_is(database, session, shop):
    shop.settings.negative_balance = NegativeBalancePolicy.CLAMP
    session.commit()
    batch = import_file(database, shop, "external_id,points\nc1,40\nc2,-10\n")
    batch2 = import_file(database, shop, "external_id,points\nc1,-100\n", T0 + dt.timedelta(hours=1))

    assert (batch.points_credited, batch.points_debited) == (40, 0)
    assert (batch2.points_credited, batch2.points_debited) == (0, 40)
    assert account(session, shop, "c1").available == 0 and account(session, shop, "c2").available == 0

    revert(database, batch2.id, T0 + dt.timedelta(hours=2))
    assert account(session, shop, "c1").available == 40
    assert ledger.verify_balances(session, shop_id=shop.id) == []


def test_imported_points_are_spendable_but_not_lifetime_points(database, session, shop):
    import_file(database, shop, "external_id,points\nc1,100\n")
    customer = account(session, shop, "c1")
    assert (customer.available, customer.lifetime) == (100, 0)


def test_a_large_file_is_applied_in_committed_chunks(database, session, shop, monkeypatch):
    chunks: list[int] = []
    real = runner.apply_lines

    def counting(session_, shop_, batch_id, lines, now):
        chunks.append(len(lines))
        return real(session_, shop_, batch_id, lines, now)

    monkeypatch.setattr(runner, "apply_lines", counting)
    rows = "".join(f"c{i},{i % 7}\n" for i in range(1, 1202))
    batch = import_file(database, shop, "external_id,points\n" + rows)

    assert chunks == [500, 500, 201]
    assert (batch.rows_applied, batch.accounts_created, batch.last_line) == (1201, 1201, 1202)
    assert batch.points_credited == sum(i % 7 for i in range(1, 1202))
    assert ledger.verify_balances(session, shop_id=shop.id) == []
