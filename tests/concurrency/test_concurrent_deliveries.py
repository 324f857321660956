"""Concurrent deliveries and API writes against real, committed PostgreSQL transactions.

The per-test fixtures (``session``, ``client``) run everything on one connection
inside a rolled-back transaction, so they cannot show what row locks and unique
indexes do between connections. These tests build their own app on the session
``engine``: every request commits for real on its own pooled connection, and the
shop (whose foreign keys cascade to every other row) is deleted afterwards.

Each scenario starts its threads together on a barrier, one Flask test client per
thread, then checks the committed end state from a fresh session.
"""
from __future__ import annotations

import json
import random
import threading
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from sqlalchemy import func, select

from loyalty_plugin.models import (CustomerAccount, DeliveryStatus, EntryKind, IdempotencyRecord,
                                   InboundDelivery, LedgerEntry, Order, OrderStatus)
from loyalty_plugin.services import ledger
from loyalty_plugin.services.ledger import verify_balances
from tests.factories import post_shopify, shopify_order, unique
from webhooks.pipeline import replay

THREAD_TIMEOUT = 60  # seconds; a hang (deadlock, pool exhaustion) fails instead of blocking the run

Result = tuple[int, Any]  # (status code, parsed JSON body)


# --------------------------------------------------------------------------- helpers


def run_concurrently(calls: list[Callable[[], Any]]) -> list[Any]:
    """Run each call on its own thread, all released at once by a barrier; results in order."""
    barrier = threading.Barrier(len(calls))

    def worker(call):
        barrier.wait(timeout=THREAD_TIMEOUT)
        return call()

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        futures = [pool.submit(worker, call) for call in calls]
        return [future.result(timeout=THREAD_TIMEOUT) for future in futures]


def run_together(app, requests: list[Callable[[Any], Any]]) -> list[Result]:
    """Send each request through its own test client, concurrently."""

    def with_client(send):
        def call():
            response = send(app.test_client())  # a client of its own, made on its thread
            return response.status_code, response.get_json(silent=True)

        return call

    return run_concurrently([with_client(send) for send in requests])


def deliver(shop, topic: str, body: bytes, webhook_id: str) -> Callable[[Any], Any]:
    return lambda client: post_shopify(client, shop, topic, body, webhook_id=webhook_id)


def adjust(api_key: str, customer: str, points: int, *, reason: str = "concurrency test",
           idempotency_key: str | None = None) -> Callable[[Any], Any]:
    headers = {"Authorization": f"Bearer {api_key}",
               "Idempotency-Key": idempotency_key or unique("idem-")}
    return lambda client: client.post(f"/api/v1/customers/{customer}/adjustments",
                                      json={"points": points, "reason": reason}, headers=headers)


def account_for(session, shop_id: int, customer: str) -> CustomerAccount:
    return session.execute(select(CustomerAccount).where(
        CustomerAccount.shop_id == shop_id,
        CustomerAccount.platform_customer_id == customer)).scalar_one()


def entries(session, shop_id: int, *kinds: EntryKind) -> list[LedgerEntry]:
    stmt = select(LedgerEntry).where(LedgerEntry.shop_id == shop_id).order_by(LedgerEntry.id)
    if kinds:
        stmt = stmt.where(LedgerEntry.kind.in_(kinds))
    return list(session.execute(stmt).scalars())


def count(session, model, *where) -> int:
    return session.execute(select(func.count()).select_from(model).where(*where)).scalar_one()


def seed_points(app, shop, customer: int, points: int) -> None:
    """Give ``customer`` exactly ``points`` available through a paid order (1 point per unit)."""
    body = json.dumps(shopify_order(customer_id=customer, subtotal=f"{points}.00")).encode()
    response = post_shopify(app.test_client(), shop, "orders/paid", body)
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["note"] == f"awarded {points} points"


def shopify_refund(order_id: int, refund_id: int, amount: str) -> dict:
    money = {"shop_money": {"amount": amount, "currency_code": "USD"},
             "presentment_money": {"amount": amount, "currency_code": "EUR"}}
    zero = {"shop_money": {"amount": "0.00", "currency_code": "USD"},
            "presentment_money": {"amount": "0.00", "currency_code": "EUR"}}
    return {"id": refund_id, "order_id": order_id, "created_at": "2026-11-21T10:00:00-05:00",
            "refund_line_items": [{"id": refund_id + 1, "quantity": 1, "line_item_id": 1,
                                   "subtotal": amount, "subtotal_set": money,
                                   "total_tax": "0.00", "total_tax_set": zero,
                                   "line_item": {"id": 1, "price": "100.00", "quantity": 1,
                                                 "gift_card": False}}],
            "order_adjustments": [],
            "transactions": [{"id": refund_id + 2, "kind": "refund", "status": "success",
                              "amount": amount}]}


class FailOnce:
    """Wraps a service function: the first call runs it (so it writes), then raises."""

    def __init__(self, real: Callable[..., Any]) -> None:
        self.real = real
        self.calls = 0
        self.lock = threading.Lock()

    def __call__(self, *args, **kwargs):
        result = self.real(*args, **kwargs)
        with self.lock:
            self.calls += 1
            first = self.calls == 1
        if first:
            raise RuntimeError("simulated crash after the ledger write")
        return result


# --------------------------------------------------------------------------- deliveries


@pytest.mark.postgres
def test_fifty_concurrent_deliveries_of_one_order_award_once(live_app, live_db, live_shop):
    shop, _ = live_shop
    body = json.dumps(shopify_order(customer_id=4242, subtotal="137.00")).encode()

    results = run_together(live_app, [deliver(shop, "orders/paid", body, f"wh-same-order-{i}")
                                      for i in range(50)])

    assert [status for status, _ in results] == [200] * 50, results
    notes = Counter(payload["note"] for _, payload in results)
    assert notes["awarded 137 points"] == 1, notes
    assert {payload["status"] for _, payload in results} == {"processed"}
    with live_db.transaction() as session:
        earns = entries(session, shop.id, EntryKind.EARN)
        assert [entry.points for entry in earns] == [137]
        assert len(entries(session, shop.id)) == 1
        account = account_for(session, shop.id, "4242")
        assert (account.available, account.pending, account.lifetime) == (137, 0, 137)
        order = session.execute(select(Order).where(Order.shop_id == shop.id)).scalar_one()
        assert order.status is OrderStatus.AWARDED and order.points_awarded == 137
        assert order.earn_entry_id == earns[0].id
        assert count(session, CustomerAccount, CustomerAccount.shop_id == shop.id) == 1
        assert count(session, InboundDelivery, InboundDelivery.shop_id == shop.id,
                     InboundDelivery.status == DeliveryStatus.PROCESSED) == 50
        assert verify_balances(session, shop_id=shop.id) == []


@pytest.mark.postgres
def test_fifty_concurrent_repeats_of_one_delivery_id_process_it_once(live_app, live_db, live_shop):
    shop, _ = live_shop
    body = json.dumps(shopify_order(customer_id=4343, subtotal="80.00")).encode()

    results = run_together(live_app, [deliver(shop, "orders/paid", body, "wh-one-id")
                                      for _ in range(50)])

    assert [status for status, _ in results] == [200] * 50, results
    statuses = Counter(payload["status"] for _, payload in results)
    assert statuses == {"processed": 1, "duplicate": 49}
    assert all(payload["delivery_id"] == "wh-one-id" for _, payload in results)
    with live_db.transaction() as session:
        delivery = session.execute(select(InboundDelivery).where(
            InboundDelivery.shop_id == shop.id)).scalar_one()
        assert delivery.delivery_id == "wh-one-id"
        assert delivery.status is DeliveryStatus.PROCESSED
        assert delivery.attempts == 1
        assert [entry.points for entry in entries(session, shop.id)] == [80]
        assert account_for(session, shop.id, "4343").available == 80
        assert verify_balances(session, shop_id=shop.id) == []


@pytest.mark.postgres
def test_concurrent_paid_orders_of_one_customer_all_award_without_deadlock(
        live_app, live_db, live_shop):
    """Different orders of one known customer, paid at the same moment, all earn."""
    shop, _ = live_shop
    seed_points(live_app, shop, 4444, 5)  # the account exists, as for any returning customer
    bodies = [json.dumps(shopify_order(customer_id=4444, subtotal="10.00")).encode()
              for _ in range(10)]

    results = run_together(live_app, [deliver(shop, "orders/paid", body, f"wh-many-orders-{i}")
                                      for i, body in enumerate(bodies)])

    assert Counter(status for status, _ in results) == {200: 10}, results
    assert all(payload["note"] == "awarded 10 points" for _, payload in results)
    with live_db.transaction() as session:
        assert len(entries(session, shop.id, EntryKind.EARN)) == 11
        assert account_for(session, shop.id, "4444").available == 5 + 10 * 10
        assert verify_balances(session, shop_id=shop.id) == []


@pytest.mark.postgres
def test_concurrent_guest_and_registered_orders_with_one_email_land_in_one_account(
        live_app, live_db, live_shop):
    """Whatever the interleaving, the outcome of some serial order: one account holds it all.

    Serially a guest order joins the registered account with its email, or the
    registered customer claims the guest account; either way one account ends up
    with every point.
    """
    shop, _ = live_shop
    calls = []
    for i in range(6):
        guest = shopify_order(customer_id=None, email="pat@example.com", subtotal="10.00")
        registered = shopify_order(customer_id=4545, email="pat@example.com", subtotal="10.00")
        calls.append(deliver(shop, "orders/paid", json.dumps(guest).encode(), f"wh-guest-{i}"))
        calls.append(deliver(shop, "orders/paid", json.dumps(registered).encode(), f"wh-reg-{i}"))
    random.Random(4545).shuffle(calls)

    results = run_together(live_app, calls)

    assert Counter(status for status, _ in results) == {200: 12}, results
    with live_db.transaction() as session:
        accounts = session.execute(select(CustomerAccount).where(
            CustomerAccount.shop_id == shop.id)).scalars().all()
        balances = {(a.id, a.platform_customer_id, a.email): a.available for a in accounts}
        assert sum(balances.values()) == 120, balances
        assert verify_balances(session, shop_id=shop.id) == []
        assert account_for(session, shop.id, "4545").available == 120, balances


# --------------------------------------------------------------------------- API writes


@pytest.mark.postgres
def test_fifty_concurrent_debits_never_overspend(live_app, live_db, live_shop):
    shop, api_key = live_shop
    seed_points(live_app, shop, 5151, 1000)

    results = run_together(live_app, [adjust(api_key, "5151", -30) for _ in range(50)])

    succeeded = [payload for status, payload in results if status == 201]
    refused = [payload for status, payload in results if status == 422]
    assert len(succeeded) == 1000 // 30 == 33, Counter(status for status, _ in results)
    assert len(refused) == 50 - 33
    assert {payload["error"]["code"] for payload in refused} == {"insufficient_points"}
    assert all(payload["entry"]["points"] == -30 for payload in succeeded)
    # Every success saw the balance its own debit left: 970, 940, ... down to 10, each once.
    assert sorted(payload["customer"]["points"]["available"] for payload in succeeded) == \
        list(range(10, 1000, 30))
    with live_db.transaction() as session:
        account = account_for(session, shop.id, "5151")
        assert account.available == 1000 - 33 * 30 == 10
        debits = entries(session, shop.id, EntryKind.ADJUSTMENT)
        assert len(debits) == 33 and all(entry.points == -30 for entry in debits)
        # Only the successful requests kept their idempotency records.
        assert count(session, IdempotencyRecord, IdempotencyRecord.shop_id == shop.id) == 33
        assert verify_balances(session, shop_id=shop.id) == []


@pytest.mark.postgres
def test_concurrent_mixed_credits_and_debits_keep_balance_exact_and_never_negative(
        live_app, live_db, live_shop):
    shop, api_key = live_shop
    seed_points(live_app, shop, 5252, 100)
    calls = [adjust(api_key, "5252", -30) for _ in range(30)] + \
            [adjust(api_key, "5252", 25) for _ in range(20)]
    random.Random(5252).shuffle(calls)

    results = run_together(live_app, calls)

    assert {status for status, _ in results} <= {201, 422}, results
    credits = [p for s, p in results if s == 201 and p["entry"]["points"] > 0]
    debits = [p for s, p in results if s == 201 and p["entry"]["points"] < 0]
    refused = [p for s, p in results if s == 422]
    assert len(credits) == 20
    assert len(debits) + len(refused) == 30
    assert {p["error"]["code"] for p in refused} <= {"insufficient_points"}
    assert 100 // 30 <= len(debits) <= (100 + 20 * 25) // 30
    assert all(p["customer"]["points"]["available"] >= 0 for s, p in results if s == 201)
    with live_db.transaction() as session:
        account = account_for(session, shop.id, "5252")
        assert account.available == 100 + 20 * 25 - 30 * len(debits) >= 0
        assert verify_balances(session, shop_id=shop.id) == []


@pytest.mark.postgres
def test_twenty_concurrent_adjustments_with_one_idempotency_key_apply_once(
        live_app, live_db, live_shop):
    shop, api_key = live_shop
    seed_points(live_app, shop, 5353, 10)

    results = run_together(live_app, [adjust(api_key, "5353", 50, reason="goodwill",
                                             idempotency_key="same-key") for _ in range(20)])

    assert [status for status, _ in results] == [201] * 20, results
    first = results[0][1]
    assert all(payload == first for _, payload in results)
    assert first["entry"]["points"] == 50
    assert first["customer"]["points"]["available"] == 60
    with live_db.transaction() as session:
        adjustments = entries(session, shop.id, EntryKind.ADJUSTMENT)
        assert [entry.points for entry in adjustments] == [50]
        assert adjustments[0].id == first["entry"]["id"]
        assert account_for(session, shop.id, "5353").available == 60
        assert count(session, IdempotencyRecord, IdempotencyRecord.shop_id == shop.id) == 1
        assert verify_balances(session, shop_id=shop.id) == []


# --------------------------------------------------------------------------- reordering


@pytest.mark.postgres
@pytest.mark.parametrize("seed", range(4))
def test_reordered_and_repeated_order_lifecycle_deliveries_net_to_zero_after_cancel(
        live_app, live_db, live_shop, seed):
    shop, _ = live_shop
    order_id = 6_100_000_000 + seed
    refund_id = 7_100_000_000 + seed
    refund = shopify_refund(order_id, refund_id, "30.00")
    paid = shopify_order(order_id, customer_id=6161, subtotal="100.00",
                         updated_at="2026-11-20T10:00:00-05:00")
    updated = shopify_order(order_id, customer_id=6161, subtotal="100.00",
                            financial_status="partially_refunded", refunds=[refund],
                            updated_at="2026-11-21T10:00:00-05:00")
    cancelled = shopify_order(order_id, customer_id=6161, subtotal="100.00",
                              financial_status="partially_refunded", refunds=[refund],
                              cancelled_at="2026-11-22T10:00:00-05:00",
                              updated_at="2026-11-22T10:00:00-05:00")
    topics = {"orders/paid": paid, "orders/updated": updated, "refunds/create": refund,
              "orders/cancelled": cancelled}
    calls = []
    for topic, payload in topics.items():
        body = json.dumps(payload).encode()
        for copy in range(3):
            webhook_id = f"wh-{seed}-{topic}-{copy}"
            # Each delivery twice under its own id (a Shopify retry), plus fresh ids.
            calls += [deliver(shop, topic, body, webhook_id)] * 2
    random.Random(seed).shuffle(calls)

    results = run_together(live_app, calls)

    assert [status for status, _ in results] == [200] * len(calls), results
    by_delivery = Counter((payload["delivery_id"], payload["status"] == "duplicate")
                          for _, payload in results)
    assert all(by_delivery[(webhook_id, False)] == 1 and by_delivery[(webhook_id, True)] == 1
               for webhook_id, _ in by_delivery), by_delivery
    with live_db.transaction() as session:
        order = session.execute(select(Order).where(Order.shop_id == shop.id)).scalar_one()
        assert order.is_cancelled and order.status is OrderStatus.CANCELLED
        assert order.points_reversed == order.points_awarded
        earns = entries(session, shop.id, EntryKind.EARN)
        reversals = entries(session, shop.id, EntryKind.REFUND_CLAWBACK, EntryKind.CANCEL_CLAWBACK)
        assert len(earns) <= 1
        awarded = sum(entry.points for entry in earns)
        reversed_ = -sum(entry.points for entry in reversals)
        assert awarded in (0, 100)  # 0 when the cancellation got there before the payment
        assert reversed_ == awarded
        assert len([e for e in reversals if e.kind is EntryKind.REFUND_CLAWBACK]) <= 1
        assert len([e for e in reversals if e.kind is EntryKind.CANCEL_CLAWBACK]) <= 1
        account = account_for(session, shop.id, "6161")
        assert (account.available, account.pending, account.lifetime) == (0, 0, 0)
        assert count(session, InboundDelivery, InboundDelivery.shop_id == shop.id) == 12
        assert verify_balances(session, shop_id=shop.id) == []


# --------------------------------------------------------------------------- restarts


def _fail_first_delivery(live_app, live_db, shop, monkeypatch, *, webhook_id: str,
                         customer: int, subtotal: str) -> bytes:
    """Deliver a paid order whose processing crashes after writing; check nothing stuck."""
    crash = FailOnce(ledger.credit_values)
    monkeypatch.setattr(ledger, "credit_values", crash)  # the earn's ledger write
    body = json.dumps(shopify_order(customer_id=customer, subtotal=subtotal)).encode()

    response = post_shopify(live_app.test_client(), shop, "orders/paid", body,
                            webhook_id=webhook_id)

    assert crash.calls == 1
    assert response.status_code == 500
    assert response.get_json()["error"]["code"] == "internal_error"
    with live_db.transaction() as session:
        delivery = session.execute(select(InboundDelivery).where(
            InboundDelivery.shop_id == shop.id)).scalar_one()
        assert delivery.delivery_id == webhook_id
        assert delivery.status is DeliveryStatus.FAILED
        assert delivery.body == body
        assert delivery.topic == "orders/paid"
        assert "RuntimeError: simulated crash" in delivery.error
        assert delivery.processed_at is None
        # The ledger entry, the order and the account written before the crash were rolled back.
        assert entries(session, shop.id) == []
        assert count(session, Order, Order.shop_id == shop.id) == 0
        assert count(session, CustomerAccount, CustomerAccount.shop_id == shop.id) == 0
    return body


@pytest.mark.postgres
def test_failed_delivery_is_kept_and_concurrent_shopify_retries_apply_it_once(
        live_app, live_db, live_shop, monkeypatch):
    shop, _ = live_shop
    body = _fail_first_delivery(live_app, live_db, shop, monkeypatch, webhook_id="wh-crash",
                                customer=7171, subtotal="64.00")

    results = run_together(live_app, [deliver(shop, "orders/paid", body, "wh-crash")
                                      for _ in range(10)])

    assert [status for status, _ in results] == [200] * 10, results
    assert Counter(payload["status"] for _, payload in results) == {"processed": 1, "duplicate": 9}
    with live_db.transaction() as session:
        delivery = session.execute(select(InboundDelivery).where(
            InboundDelivery.shop_id == shop.id)).scalar_one()
        assert delivery.status is DeliveryStatus.PROCESSED
        assert delivery.attempts == 2
        assert delivery.error is None
        assert [entry.points for entry in entries(session, shop.id)] == [64]
        assert account_for(session, shop.id, "7171").available == 64
        assert verify_balances(session, shop_id=shop.id) == []


@pytest.mark.postgres
def test_failed_delivery_replayed_concurrently_applies_once(
        live_app, live_db, live_shop, monkeypatch):
    shop, _ = live_shop
    body = _fail_first_delivery(live_app, live_db, shop, monkeypatch, webhook_id="wh-replay",
                                customer=7272, subtotal="45.00")
    with live_db.transaction() as session:
        delivery_row = session.execute(select(InboundDelivery.id).where(
            InboundDelivery.shop_id == shop.id)).scalar_one()

    def replay_once():
        with live_db.transaction() as session:
            return replay(session, session.get(InboundDelivery, delivery_row))

    results = run_concurrently([replay_once] * 5)

    notes = Counter(result["note"] for result in results)
    assert notes["awarded 45 points"] == 1, notes
    assert {result["status"] for result in results} == {"processed"}
    # Shopify retrying the same webhook id afterwards finds it done.
    retry = post_shopify(live_app.test_client(), shop, "orders/paid", body, webhook_id="wh-replay")
    assert retry.get_json() == {"status": "duplicate", "delivery_id": "wh-replay"}
    with live_db.transaction() as session:
        delivery = session.get(InboundDelivery, delivery_row)
        assert delivery.status is DeliveryStatus.PROCESSED
        assert delivery.error is None
        assert [entry.points for entry in entries(session, shop.id)] == [45]
        assert account_for(session, shop.id, "7272").available == 45
        assert verify_balances(session, shop_id=shop.id) == []
