"""Signed-in widget summaries on real PostgreSQL connections: statements on their own, first looks at once."""
from __future__ import annotations

import pytest
from sqlalchemy import event, select

from loyalty_plugin.events import CustomerRef
from loyalty_plugin.models import CustomerAccount, utcnow
from loyalty_plugin.services import referral_codes
from loyalty_plugin.services.accounts import resolve_account
from loyalty_plugin.services.shops import get_shop
from tests.concurrency.test_concurrent_deliveries import run_together
from tests.widget_factories import signed


def _customer(live_db, shop_id: int, customer_id: str) -> None:
    with live_db.transaction() as session:
        shop = get_shop(session, shop_id)
        shop.settings.referrals_enabled = True
        resolve_account(session, shop, CustomerRef(platform_id=customer_id), utcnow())


def _summary(shop, customer_id: str):
    return lambda client: client.get(f"/widget/v1/{shop.id}/summary", headers=signed(shop, customer_id))


def _stored_code(live_db, shop_id: int, customer_id: str) -> str | None:
    with live_db.transaction() as session:
        return session.execute(select(CustomerAccount.referral_code).where(
            CustomerAccount.shop_id == shop_id, CustomerAccount.platform_customer_id == customer_id)
        ).scalar_one()


@pytest.mark.postgres
def test_a_signed_in_summary_reads_without_a_transaction_on_a_kept_connection(
        live_app, live_db, live_shop, engine):
    shop, _ = live_shop
    _customer(live_db, shop.id, "reader")
    client = live_app.test_client()
    # The first request of a worker reads the shop and its catalog for the cache, in a
    # transaction: the summary then keeps to it.
    assert client.get(f"/widget/v1/{shop.id}/summary", headers=signed(shop, "none")).status_code == 404
    seen: list[tuple[str, bool]] = []
    drivers: set[int] = set()

    def record(conn, _cursor, statement, *_args):
        seen.append((statement.split()[0].upper(), conn.connection.driver_connection.autocommit))
        drivers.add(id(conn.connection.driver_connection))

    event.listen(engine, "before_cursor_execute", record)
    try:
        first = client.get(f"/widget/v1/{shop.id}/summary", headers=signed(shop, "reader"))
        first_look, seen[:] = list(seen), []
        again = client.get(f"/widget/v1/{shop.id}/summary", headers=signed(shop, "reader"))
    finally:
        event.remove(engine, "before_cursor_execute", record)

    assert first.status_code == again.status_code == 200
    code = first.json["referral"]["code"]
    assert code and again.json["referral"]["code"] == code == _stored_code(live_db, shop.id, "reader")
    # The first look draws the code with one more statement; a later look is one statement.
    assert first_look == [("SELECT", True), ("UPDATE", True)]
    assert seen == [("SELECT", True)]
    # Both requests read on the connection the first one borrowed, kept between them.
    assert len(drivers) == 1 and len(live_db.readers) == 1
    reader = live_db.readers.borrow()
    kept = reader.connection.driver_connection
    live_db.readers.give_back(reader)
    assert id(kept) in drivers and kept.autocommit is True


@pytest.mark.postgres
def test_a_summary_from_warm_caches_creates_no_session(live_app, live_db, live_shop, monkeypatch):
    shop, _ = live_shop
    _customer(live_db, shop.id, "cached")
    client = live_app.test_client()
    # The first look fills the caches (and draws the referral code, which commits).
    assert client.get(f"/widget/v1/{shop.id}/summary", headers=signed(shop, "cached")).status_code == 200
    created = []
    new_session = live_db.new_session
    monkeypatch.setattr(live_db, "new_session", lambda: created.append(1) or new_session())

    again = client.get(f"/widget/v1/{shop.id}/summary", headers=signed(shop, "cached"))
    guest = client.get(f"/widget/v1/{shop.id}/summary")

    assert again.status_code == guest.status_code == 200 and again.json["referral"]["code"]
    assert created == []


@pytest.mark.postgres
def test_twelve_concurrent_first_looks_agree_on_one_referral_code(live_app, live_db, live_shop):
    shop, _ = live_shop
    _customer(live_db, shop.id, "first-look")
    assert _stored_code(live_db, shop.id, "first-look") is None

    results = run_together(live_app, [_summary(shop, "first-look") for _ in range(12)])

    assert [status for status, _ in results] == [200] * 12
    codes = {body["referral"]["code"] for _, body in results}
    assert codes == {_stored_code(live_db, shop.id, "first-look")}
    assert None not in codes


@pytest.mark.postgres
def test_a_first_look_whose_drawn_code_is_taken_draws_again_without_a_transaction(
        live_app, live_db, live_shop, monkeypatch):
    shop, _ = live_shop
    _customer(live_db, shop.id, "holder")
    _customer(live_db, shop.id, "newcomer")
    client = live_app.test_client()
    taken = client.get(f"/widget/v1/{shop.id}/summary", headers=signed(shop, "holder")).json["referral"]["code"]
    draws = iter([taken, "QRSTVWXYZ2"])
    monkeypatch.setattr(referral_codes, "new_referral_code", lambda: next(draws))

    response = client.get(f"/widget/v1/{shop.id}/summary", headers=signed(shop, "newcomer"))

    assert response.status_code == 200 and response.json["referral"]["code"] == "QRSTVWXYZ2"
    assert _stored_code(live_db, shop.id, "newcomer") == "QRSTVWXYZ2"
    assert _stored_code(live_db, shop.id, "holder") == taken
