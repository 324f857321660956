"""Points expiry against the database: per-lot and inactivity policies, with a frozen clock."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from loyalty_plugin.errors import InsufficientPoints
from loyalty_plugin.models import EntryKind, ExpiryPolicy, LedgerEntry, NegativeBalancePolicy
from loyalty_plugin.services import expiry, ledger, schedule
from loyalty_plugin.services.accounts import find_by_external_id
from loyalty_plugin.services.adjustments import adjust_points
from loyalty_plugin.services.orders import apply_order_snapshot, apply_refund
from tests.factories import make_order, make_refund, make_shop

UTC = dt.timezone.utc
# 14:00 in Paris, summer time; the clocks go back on 25 October.
EARNED = dt.datetime(2026, 10, 20, 12, 0, tzinfo=UTC)
# Ten days later, at the end of the local day, in winter time.
EXPIRES = dt.datetime(2026, 10, 30, 23, 0, tzinfo=UTC)
SECOND = dt.timedelta(seconds=1)


@pytest.fixture
def shop(session):
    shop = make_shop(session)[0]
    shop.timezone = "Europe/Paris"
    expiry.update_policy(session, shop, policy=ExpiryPolicy.PER_LOT, days=10,
                         now=EARNED - dt.timedelta(days=30))
    return shop


def account(session, shop, external_id="1001"):
    found = find_by_external_id(session, shop.id, external_id)
    session.refresh(found)
    return found


def balance(session, shop) -> tuple[int, int]:
    found = account(session, shop)
    return found.available, found.pending


def expired_points(session, shop) -> list[int]:
    return [e.points for e in session.execute(select(LedgerEntry).where(
        LedgerEntry.shop_id == shop.id, LedgerEntry.kind == EntryKind.EXPIRE)).scalars()]


def test_a_lot_expires_at_the_end_of_the_local_day_across_a_clock_change(session, shop):
    apply_order_snapshot(session, shop, make_order("A", items="100"), EARNED)
    (lot,) = session.execute(select(LedgerEntry)).scalars()
    assert lot.expires_at == EXPIRES
    assert expiry.expire_due(session, EXPIRES - SECOND) == 0
    assert balance(session, shop) == (100, 0)
    assert expiry.expire_due(session, EXPIRES) == 1
    assert balance(session, shop) == (0, 0)
    assert expired_points(session, shop) == [-100]
    assert account(session, shop).lifetime == 100  # expiry does not undo what was earned
    assert expiry.expire_due(session, EXPIRES) == 0  # a second run finds nothing
    assert ledger.verify_balances(session, shop_id=shop.id) == []


def test_only_the_unspent_remainder_of_a_partially_spent_lot_expires(session, shop):
    apply_order_snapshot(session, shop, make_order("A", items="100"), EARNED)
    apply_order_snapshot(session, shop, make_order("B", items="50"), EARNED + dt.timedelta(days=5))
    adjust_points(session, account(session, shop), points=-130, reason="spent", now=EARNED + dt.timedelta(days=6))
    # The soonest-expiring lot (A's 100) was spent first, then 30 of B's 50.
    expiry.expire_due(session, EXPIRES)
    assert expired_points(session, shop) == []
    expiry.expire_due(session, EXPIRES + dt.timedelta(days=5))
    assert expired_points(session, shop) == [-20]
    assert balance(session, shop) == (0, 0)
    assert ledger.verify_balances(session, shop_id=shop.id) == []


def test_spending_after_the_expiry_date_cannot_use_expired_points(session, shop):
    apply_order_snapshot(session, shop, make_order("A", items="100"), EARNED)
    with pytest.raises(InsufficientPoints):
        adjust_points(session, account(session, shop), points=-10, reason="too late", now=EXPIRES)
    session.rollback()


def test_pending_points_never_expire_and_their_clock_starts_when_they_mature(session, shop):
    shop.settings.pending_days = 14
    apply_order_snapshot(session, shop, make_order("A", items="100"), EARNED)
    (lot,) = session.execute(select(LedgerEntry)).scalars()
    assert lot.expires_at == dt.datetime(2026, 11, 13, 23, 0, tzinfo=UTC)  # 3 Nov + 10 days, Paris
    assert expiry.expire_due(session, EARNED + dt.timedelta(days=13)) == 0
    schedule.mature_due_points(session, EARNED + dt.timedelta(days=14))
    assert balance(session, shop) == (100, 0)


def test_a_refund_after_expiry_takes_nothing_twice(session, shop):
    apply_order_snapshot(session, shop, make_order("A", items="100"), EARNED)
    expiry.expire_due(session, EXPIRES)
    apply_refund(session, shop, make_refund("A", "r1", items="100"), EXPIRES + dt.timedelta(days=1))
    assert balance(session, shop) == (0, 0)
    clawbacks = session.execute(select(LedgerEntry).where(
        LedgerEntry.kind == EntryKind.REFUND_CLAWBACK)).scalars().all()
    assert clawbacks == []
    assert ledger.verify_balances(session, shop_id=shop.id) == []


def test_a_refund_after_partial_spend_and_expiry_takes_back_only_what_was_spent(session, shop):
    shop.settings.negative_balance = NegativeBalancePolicy.ALLOW
    apply_order_snapshot(session, shop, make_order("A", items="100"), EARNED)
    adjust_points(session, account(session, shop), points=-40, reason="spent", now=EARNED + dt.timedelta(days=1))
    expiry.expire_due(session, EXPIRES)
    apply_refund(session, shop, make_refund("A", "r1", items="50"), EXPIRES + dt.timedelta(days=1))
    # Half refunded: 50 to reverse, 60 expired: nothing taken yet.
    assert balance(session, shop) == (0, 0)
    apply_refund(session, shop, make_refund("A", "r2", items="50"), EXPIRES + dt.timedelta(days=2))
    # All refunded: 100 reversed in total, 60 of them had expired, so 40 are owed.
    assert balance(session, shop) == (-40, 0)
    assert ledger.verify_balances(session, shop_id=shop.id) == []


def test_enabling_expiry_never_expires_existing_points_at_once(session):
    shop = make_shop(session)[0]
    apply_order_snapshot(session, shop, make_order("A", items="100"), EARNED - dt.timedelta(days=400))
    enabled = EARNED
    expiry.update_policy(session, shop, policy=ExpiryPolicy.PER_LOT, days=30, now=enabled)
    assert schedule.run_expiry_batch(session, enabled).restamped == 1
    (lot,) = session.execute(select(LedgerEntry)).scalars()
    assert lot.expires_at == dt.datetime(2026, 11, 20, tzinfo=UTC)  # 30 days after enabling
    assert schedule.run_expiry_batch(session, enabled + dt.timedelta(days=29)).total == 0
    assert balance(session, shop) == (100, 0)
    assert schedule.run_expiry_batch(session, lot.expires_at).expired == 1
    assert balance(session, shop) == (0, 0)


def test_turning_expiry_off_clears_the_dates(session, shop):
    apply_order_snapshot(session, shop, make_order("A", items="100"), EARNED)
    expiry.update_policy(session, shop, policy=ExpiryPolicy.NONE, now=EARNED + dt.timedelta(days=1))
    schedule.run_expiry_batch(session, EARNED + dt.timedelta(days=1))
    assert expiry.expire_due(session, EXPIRES + dt.timedelta(days=365)) == 0
    assert balance(session, shop) == (100, 0)


def test_inactivity_expires_the_whole_balance_after_n_quiet_days(session):
    shop = make_shop(session)[0]
    expiry.update_policy(session, shop, policy=ExpiryPolicy.INACTIVITY, days=30, now=EARNED - dt.timedelta(days=1))
    apply_order_snapshot(session, shop, make_order("A", items="100"), EARNED)
    apply_order_snapshot(session, shop, make_order("B", items="50"), EARNED + dt.timedelta(days=20))
    # B's earn restarted the clock for A's points too.
    assert expiry.expire_due(session, EARNED + dt.timedelta(days=35)) == 0
    deadline = dt.datetime(2026, 12, 10, tzinfo=UTC)  # 9 Nov + 30 days, end of day UTC
    assert {e.expires_at for e in session.execute(select(LedgerEntry)).scalars()} == {deadline}
    assert expiry.expire_due(session, deadline) == 1
    assert expired_points(session, shop) == [-150]


def test_the_schedule_lists_every_date(session, shop):
    apply_order_snapshot(session, shop, make_order("A", items="100"), EARNED)
    apply_order_snapshot(session, shop, make_order("B", items="30"), EARNED)
    apply_order_snapshot(session, shop, make_order("C", items="50"), EARNED + dt.timedelta(days=3))
    found = [(p.expires_at, p.points, p.pending) for p in expiry.expiry_schedule(session, account(session, shop))]
    assert found == [(EXPIRES, 130, False), (EXPIRES + dt.timedelta(days=3), 50, False)]
