"""Birthday runs and referral records racing each other, on real PostgreSQL commits."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from loyalty_plugin.events import CustomerRef
from loyalty_plugin.models import EntryKind, LedgerEntry, Referral, ReferralStatus, utcnow
from loyalty_plugin.services import schedule
from loyalty_plugin.services.accounts import resolve_account
from loyalty_plugin.services.birthdays import set_birthday
from loyalty_plugin.services.ledger import verify_balances
from loyalty_plugin.services.orders import apply_order_snapshot
from loyalty_plugin.services.referral_codes import referral_code_for
from loyalty_plugin.services.shops import get_shop
from tests.concurrency.test_concurrent_deliveries import run_concurrently, run_together
from tests.factories import make_order

UTC = dt.timezone.utc
BIRTHDAY = dt.datetime(2026, 6, 15, 12, tzinfo=UTC)


@pytest.mark.postgres
def test_two_concurrent_birthday_runs_pay_each_birthday_once(live_db, live_shop):
    shop, _ = live_shop
    with live_db.transaction() as session:
        current = get_shop(session, shop.id)
        current.settings.birthday_points = 30
        for n in range(12):
            account = resolve_account(session, current, CustomerRef(platform_id=f"bd{n}"), BIRTHDAY)
            set_birthday(session, current, account, month=6, day=15, year=None,
                         now=BIRTHDAY - dt.timedelta(days=100))

    def run() -> int:
        paid = 0
        while True:  # batches of 5, each committed, as `loyalty jobs run-due` does
            with live_db.transaction() as session:
                done = schedule.birthdays_due(session, BIRTHDAY, limit=5)
            if not done:
                return paid
            paid += done

    assert sum(run_concurrently([run, run])) == 12
    assert sum(run_concurrently([run, run])) == 0  # and again: nothing more
    with live_db.transaction() as session:
        paid = session.execute(select(LedgerEntry.points).where(
            LedgerEntry.shop_id == shop.id, LedgerEntry.kind == EntryKind.BIRTHDAY_BONUS)).scalars().all()
        assert paid == [30] * 12
        assert verify_balances(session, shop_id=shop.id) == []


@pytest.mark.postgres
def test_twenty_concurrent_records_of_one_friend_give_one_referral(live_app, live_db, live_shop):
    shop, api_key = live_shop
    with live_db.transaction() as session:
        current = get_shop(session, shop.id)
        current.settings.referrals_enabled = True
        codes = [referral_code_for(session, resolve_account(
            session, current, CustomerRef(platform_id=f"ref{n}", email=f"ref{n}@example.com"), utcnow()))
            for n in range(2)]
    headers = {"Authorization": f"Bearer {api_key}"}

    def record(code: str):
        return lambda client: client.post("/api/v1/referrals", headers=headers, json={
            "referral_code": code, "friend": {"email": "friend@example.com"}})

    # Most from one referrer (repeats of one referral), some from another (a taken friend).
    results = run_together(live_app, [record(codes[n % 4 == 3]) for n in range(20)])
    statuses = sorted(status for status, _ in results)
    assert set(statuses) <= {200, 201, 409}
    assert statuses.count(201) == 1
    winner = next(body["id"] for status, body in results if status == 201)
    assert all(body["id"] == winner for status, body in results if status == 200)
    assert all(body["error"]["code"] == "friend_already_referred" for status, body in results if status == 409)
    with live_db.transaction() as session:
        referrals = session.execute(select(Referral).where(Referral.shop_id == shop.id)).scalars().all()
        assert [(r.id, r.status) for r in referrals] == [(winner, ReferralStatus.PENDING)]


@pytest.mark.postgres
def test_concurrent_referrals_of_different_friends_never_pass_the_limit(live_app, live_db, live_shop):
    shop, api_key = live_shop
    with live_db.transaction() as session:
        current = get_shop(session, shop.id)
        current.settings.referrals_enabled = True
        current.settings.referral_limit = 3
        code = referral_code_for(session, resolve_account(
            session, current, CustomerRef(platform_id="limited", email="limited@example.com"), utcnow()))
    headers = {"Authorization": f"Bearer {api_key}"}
    results = run_together(live_app, [
        (lambda n: lambda client: client.post("/api/v1/referrals", headers=headers, json={
            "referral_code": code, "friend": {"email": f"friend{n}@example.com"}}))(n) for n in range(10)])
    assert sorted(status for status, _ in results) == [201] * 3 + [422] * 7
    with live_db.transaction() as session:
        statuses = session.execute(select(Referral.status).where(Referral.shop_id == shop.id)).scalars().all()
        assert sorted(s.value for s in statuses) == ["pending"] * 3 + ["rejected"] * 7


@pytest.mark.postgres
def test_voiding_while_the_job_completes_never_leaves_the_referrer_paid(live_app, live_db, live_shop):
    shop, api_key = live_shop
    with live_db.transaction() as session:
        current = get_shop(session, shop.id)
        current.settings.referrals_enabled, current.settings.referral_points = True, 70
        current.settings.pending_days = 1
        code = referral_code_for(session, resolve_account(
            session, current, CustomerRef(platform_id="racer", email="racer@example.com"), utcnow()))
    headers = {"Authorization": f"Bearer {api_key}"}
    client = live_app.test_client()
    referral_id = client.post("/api/v1/referrals", headers=headers, json={
        "referral_code": code, "friend": {"email": "quick@example.com"}}).json["id"]
    with live_db.transaction() as session:
        apply_order_snapshot(session, get_shop(session, shop.id),
                             make_order("race-1", customer_id=None, email="quick@example.com"), utcnow())

    def mature():
        with live_db.transaction() as session:
            return schedule.mature_due_points(session, utcnow() + dt.timedelta(days=2))

    results = run_concurrently([mature, lambda: run_together(live_app, [
        lambda c: c.post(f"/api/v1/referrals/{referral_id}/void", headers=headers)])[0]])
    assert results[1][0] == 200
    with live_db.transaction() as session:
        assert session.get(Referral, referral_id).status is ReferralStatus.VOIDED
        points = session.execute(select(LedgerEntry.points).where(
            LedgerEntry.shop_id == shop.id, LedgerEntry.kind.in_(
                [EntryKind.REFERRAL_BONUS, EntryKind.REFERRAL_CLAWBACK]))).scalars().all()
        assert sum(points) == 0 and sorted(points) in ([], [-70, 70])
        assert verify_balances(session, shop_id=shop.id) == []
