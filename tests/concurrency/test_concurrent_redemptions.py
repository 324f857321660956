"""Concurrent redemptions against real, committed PostgreSQL transactions.

Every request runs on a Flask test client of its own thread and commits on its
own pooled connection (see test_concurrent_deliveries.py). The pool is kept to
20 connections: a hundred threads then queue for connections as they would for
gunicorn workers, and the shared server keeps room for other test runs.
"""
from __future__ import annotations

from collections import Counter
from decimal import Decimal

import pytest
from sqlalchemy import delete, select

from loyalty_plugin.db import Database, make_engine
from loyalty_plugin.models import (CodeStatus, EntryKind, IdempotencyRecord, RewardCode, RewardKind,
                                   Shop, utcnow)
from loyalty_plugin.services.ledger import verify_balances
from loyalty_plugin.services.rewards import create_reward
from tests.concurrency.test_concurrent_deliveries import (account_for, count, entries, run_together,
                                                          seed_points)
from tests.conftest import TEST_SCHEMA, TEST_URL, make_test_app
from tests.factories import make_shop, unique
from tests.providers import RecordingProvider


@pytest.fixture
def redeem_db(engine):  # ``engine`` has migrated the run's schema
    small = make_engine(TEST_URL, connect_args={"options": f"-csearch_path={TEST_SCHEMA}"},
                        pool_size=10, max_overflow=10, pool_timeout=120)
    yield Database(small)
    small.dispose()


@pytest.fixture
def provider():
    return RecordingProvider()


@pytest.fixture
def redeem_app(redeem_db, provider):
    return make_test_app(redeem_db, LOYALTY_DISCOUNT_PROVIDERS=provider.factory)


@pytest.fixture
def redeem_shop(redeem_db):
    with redeem_db.transaction() as session:
        shop, api_key = make_shop(session)
        reward = create_reward(session, shop.id, {"name": "5 off", "kind": RewardKind.FIXED_AMOUNT,
                                                  "points_cost": 100, "value": Decimal("5")}, utcnow())
        reward_id = reward.id
    yield shop, api_key, reward_id
    with redeem_db.transaction() as session:
        session.execute(delete(Shop).where(Shop.id == shop.id))


def redeem(api_key: str, customer: int, reward_id: int, idempotency_key: str | None = None):
    headers = {"Authorization": f"Bearer {api_key}", "Idempotency-Key": idempotency_key or unique("r-")}
    return lambda client: client.post(f"/api/v1/customers/{customer}/redemptions",
                                      json={"reward_id": reward_id}, headers=headers)


def codes_of(session, shop_id: int) -> list[RewardCode]:
    return list(session.execute(select(RewardCode).where(RewardCode.shop_id == shop_id)).scalars())


@pytest.mark.postgres
def test_hundred_concurrent_redemptions_on_an_account_affording_three_issue_exactly_three(
        redeem_app, redeem_db, redeem_shop, provider):
    shop, api_key, reward_id = redeem_shop
    seed_points(redeem_app, shop, 7171, 300)

    results = run_together(redeem_app, [redeem(api_key, 7171, reward_id) for _ in range(100)])

    assert Counter(status for status, _ in results) == {201: 3, 422: 97}, results
    refused = [body for status, body in results if status == 422]
    assert {body["error"]["code"] for body in refused} == {"insufficient_points"}
    issued = [body["code"] for status, body in results if status == 201]
    assert sorted(body["customer"]["points"]["available"] for status, body in results
                  if status == 201) == [0, 100, 200]
    assert len(provider.calls) == 3 and len(set(provider.calls)) == 3
    with redeem_db.transaction() as session:
        codes = codes_of(session, shop.id)
        assert sorted(c.code for c in codes) == sorted(c["code"] for c in issued)
        assert {c.status for c in codes} == {CodeStatus.ISSUED}
        assert account_for(session, shop.id, "7171").available == 0
        assert [e.points for e in entries(session, shop.id, EntryKind.REDEEM, EntryKind.REDEEM_REFUND)] \
            == [-100, -100, -100]
        # A refused request leaves no record of its key behind.
        assert count(session, IdempotencyRecord, IdempotencyRecord.shop_id == shop.id) == 3
        assert verify_balances(session, shop_id=shop.id) == []


@pytest.mark.postgres
def test_one_idempotency_key_sent_twenty_times_at_once_debits_once(redeem_app, redeem_db, redeem_shop,
                                                                  provider):
    shop, api_key, reward_id = redeem_shop
    seed_points(redeem_app, shop, 7272, 1000)
    provider.delay = 0.2  # the platform is slow: the other requests arrive while it works

    results = run_together(redeem_app, [redeem(api_key, 7272, reward_id, "same-key") for _ in range(20)])

    statuses = Counter(status for status, _ in results)
    assert set(statuses) <= {201, 409} and statuses[201] >= 1, results
    answers = [body for status, body in results if status == 201]
    assert all(body == answers[0] for body in answers)
    busy = [body for status, body in results if status == 409]
    assert all(body["error"]["code"] == "redemption_in_progress" for body in busy)
    assert len(provider.calls) == 1
    final = run_together(redeem_app, [redeem(api_key, 7272, reward_id, "same-key")])
    assert final == [(201, answers[0])]
    with redeem_db.transaction() as session:
        assert [c.code for c in codes_of(session, shop.id)] == [answers[0]["code"]["code"]]
        assert [e.points for e in entries(session, shop.id, EntryKind.REDEEM)] == [-100]
        assert account_for(session, shop.id, "7272").available == 900
        assert verify_balances(session, shop_id=shop.id) == []


@pytest.mark.postgres
def test_concurrent_redemptions_never_pass_the_per_customer_limit(redeem_app, redeem_db, redeem_shop):
    shop, api_key, _ = redeem_shop
    seed_points(redeem_app, shop, 7373, 5000)
    with redeem_db.transaction() as session:
        limited = create_reward(session, shop.id, {"name": "Twice", "kind": RewardKind.FREE_SHIPPING,
                                                   "points_cost": 50, "per_customer_limit": 2}, utcnow())
        limited_id = limited.id

    results = run_together(redeem_app, [redeem(api_key, 7373, limited_id) for _ in range(30)])

    assert Counter(status for status, _ in results) == {201: 2, 409: 28}, results
    assert {body["error"]["code"] for status, body in results if status == 409} == \
        {"redemption_limit_reached"}
    with redeem_db.transaction() as session:
        assert len(codes_of(session, shop.id)) == 2
        assert account_for(session, shop.id, "7373").available == 5000 - 2 * 50
        assert verify_balances(session, shop_id=shop.id) == []
