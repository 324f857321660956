"""The webhook path's plain reads and lean inserts agree with what the ORM would load."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import event, inspect, select

from loyalty_plugin.models import (CustomerAccount, DeliveryStatus, EntryKind, EntrySource, EntryStatus,
                                   InboundDelivery, LedgerEntry, Order, OrderStatus, OutboundEvent,
                                   Platform, ProgramSettings, Shop)
from loyalty_plugin.services import ledger
from loyalty_plugin.services.accounts import normalise_email
from loyalty_plugin.services.driver_sql import DriverStatement
from loyalty_plugin.services.ledger import lock_account
from loyalty_plugin.services.shop_rows import cached_shop_row, load_shop_row, orm_shop
from loyalty_plugin.services.sql import insert_id_or_none, insert_or_none, load_rows, write_changes
from tests.factories import make_shop, unique

NOW = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.timezone.utc)


def test_shop_row_holds_every_setting_the_object_has(session):
    shop, _ = make_shop(session, points_per_unit=Decimal("2.5"), pending_days=7)
    row = load_shop_row(session, shop.id, Platform.SHOPIFY)
    assert row is not None
    for column in ProgramSettings.__table__.c:
        assert getattr(row.settings, column.key) == getattr(shop.settings, column.key), column.key
    assert (row.id, row.platform, row.domain, row.timezone, row.status) == (
        shop.id, shop.platform, shop.domain, shop.timezone, shop.status)
    assert row.webhook_secrets() == shop.webhook_secrets()


def test_shop_row_needs_the_right_platform(session):
    shop, _ = make_shop(session)
    assert load_shop_row(session, shop.id, Platform.WOOCOMMERCE) is None
    assert load_shop_row(session, shop.id + 1000, Platform.SHOPIFY) is None


def test_shop_row_is_kept_for_its_transaction_only(session):
    shop, _ = make_shop(session)
    row = load_shop_row(session, shop.id)
    assert cached_shop_row(session, shop.id) is row
    assert cached_shop_row(session, shop.id + 1) is None
    assert orm_shop(session, row) is session.get(Shop, shop.id)
    # Code about to change the shop drops the row, so later reads see the change.
    assert cached_shop_row(session, shop.id) is None


def test_inserted_object_has_the_database_defaults_and_no_unloaded_columns(session):
    shop, _ = make_shop(session)
    delivery = insert_or_none(session, InboundDelivery, dict(
        shop_id=shop.id, delivery_id=unique("d"), topic="orders/paid", status=DeliveryStatus.FAILED,
        received_at=NOW, attempts=1, body=b"{}", headers={}), conflict=["shop_id", "delivery_id"])
    assert delivery is not None and delivery.id is not None
    state = inspect(delivery)
    assert state.persistent and not state.unloaded and not session.dirty
    stored = session.execute(select(InboundDelivery.__table__).where(
        InboundDelivery.id == delivery.id)).one()._asdict()
    assert {key: getattr(delivery, key) for key in stored} == stored


def test_insert_of_an_existing_key_returns_none(session):
    shop, _ = make_shop(session)
    values = dict(shop_id=shop.id, delivery_id=unique("d"), topic="orders/paid",
                  status=DeliveryStatus.FAILED, received_at=NOW, attempts=1, body=b"{}", headers={})
    assert insert_or_none(session, InboundDelivery, values, conflict=["shop_id", "delivery_id"])
    assert insert_or_none(session, InboundDelivery, values, conflict=["shop_id", "delivery_id"]) is None


def _account(session, shop: Shop) -> CustomerAccount:
    account = CustomerAccount(shop_id=shop.id, platform_customer_id=unique("c"),
                              email=normalise_email(f"{unique('e')}@example.com"), available=5,
                              pending=0, lifetime=5, created_at=NOW, updated_at=NOW)
    session.add(account)
    session.flush()
    return account


def test_loaded_rows_reuse_the_object_the_session_holds(session):
    shop, _ = make_shop(session)
    account = _account(session, shop)
    stmt = DriverStatement(select(CustomerAccount.__table__).where(CustomerAccount.id == account.id))
    assert load_rows(session, CustomerAccount, stmt, {}) == [account]


def test_loaded_rows_become_persistent_objects(session):
    shop, _ = make_shop(session)
    account_id = _account(session, shop).id
    session.expunge_all()
    stmt = DriverStatement(select(CustomerAccount.__table__).where(CustomerAccount.id == account_id))
    [account] = load_rows(session, CustomerAccount, stmt, {})
    assert inspect(account).persistent and not inspect(account).unloaded
    assert session.get(CustomerAccount, account_id) is account
    account.first_name = "Ada"
    session.flush()
    assert session.execute(select(CustomerAccount.first_name).where(
        CustomerAccount.id == account_id)).scalar_one() == "Ada"


def test_locking_an_account_reads_its_balances_afresh(session):
    shop, _ = make_shop(session)
    account = _account(session, shop)
    session.execute(CustomerAccount.__table__.update().where(CustomerAccount.id == account.id)
                    .values(available=42))
    assert lock_account(session, account.id) is account
    assert account.available == 42
    assert not session.dirty


def _stored(session, model, row_id: int) -> dict:
    return session.execute(select(model.__table__).where(model.id == row_id)).one()._asdict()


def test_written_changes_reach_the_row_and_leave_the_object_clean(session):
    shop, _ = make_shop(session)
    order = insert_or_none(session, Order, dict(
        shop_id=shop.id, platform_order_id=unique("o"), status=OrderStatus.OPEN, created_at=NOW,
        updated_at=NOW, items_amount=0, shipping_amount=0, tax_amount=0, refunded_base=0,
        points_awarded=0, points_reversed=0, is_paid=False, is_fulfilled=False, is_cancelled=False,
        is_test=False, snapshot_seen=False), conflict=["shop_id", "platform_order_id"])
    assert order is not None
    order.items_amount = Decimal("12.50")
    order.status = OrderStatus.AWARDED
    order.points_awarded = 12
    order.is_paid = False  # unchanged: not written
    write_changes(session, order)
    state = inspect(order)
    assert state.persistent and not session.dirty and not state.attrs.status.history.has_changes()
    assert session.get(Order, order.id) is order
    stored = _stored(session, Order, order.id)
    assert {key: getattr(order, key) for key in stored} == stored
    assert (stored["status"], stored["points_awarded"], stored["items_amount"]) == (
        OrderStatus.AWARDED, 12, Decimal("12.50"))
    # The update stamp the ORM would have added is written and held alike.
    assert stored["updated_at"] > NOW


def test_an_unchanged_object_writes_nothing(session):
    shop, _ = make_shop(session)
    delivery = insert_or_none(session, InboundDelivery, dict(
        shop_id=shop.id, delivery_id=unique("d"), topic="orders/paid", status=DeliveryStatus.FAILED,
        received_at=NOW, attempts=1, body=b"{}", headers={}), conflict=["shop_id", "delivery_id"])
    assert delivery is not None
    delivery.attempts = 1
    statements = []
    engine = session.get_bind()
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(engine, "before_cursor_execute", listener)
    try:
        write_changes(session, delivery)
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    # Nor is the flush left anything to consider.
    assert statements == [] and not session.dirty


def test_inserted_id_names_the_new_row_or_none_for_an_existing_key(session):
    shop, _ = make_shop(session)
    values = dict(shop_id=shop.id, type="points.earned", account_id=None, key=unique("k"),
                  payload={"points": 5}, created_at=NOW, fanned_out_at=None)
    event_id = insert_id_or_none(session, OutboundEvent, values, conflict=["shop_id", "key"])
    assert event_id is not None
    assert _stored(session, OutboundEvent, event_id)["key"] == values["key"]
    assert insert_id_or_none(session, OutboundEvent, values, conflict=["shop_id", "key"]) is None
    assert not any(isinstance(obj, OutboundEvent) for obj in session.identity_map.values())


def _earn_values(session, account: CustomerAccount, key: str, points: int = 20):
    return ledger.credit_values(session, account.id, kind=EntryKind.EARN, points=points,
                                source=EntrySource.ORDER, source_ref="o-1", key=key, now=NOW)


def test_credit_values_write_the_entry_credit_would_and_repeat_nothing(session):
    shop, _ = make_shop(session)
    account = _account(session, shop)
    key = unique("order")
    first = _earn_values(session, account, key)
    assert not any(isinstance(obj, LedgerEntry) for obj in session.identity_map.values())
    stored = _stored(session, LedgerEntry, first.id)
    assert (stored["account_id"], stored["points"], stored["remaining"], stored["status"]) == (
        account.id, 20, 20, EntryStatus.AVAILABLE)
    assert (first.shop_id, first.account_id, first.points, first.status, first.matures_at) == (
        shop.id, account.id, 20, EntryStatus.AVAILABLE, None)
    assert (account.available, account.lifetime) == (25, 25)
    assert _earn_values(session, account, key) == first
    assert (account.available, account.lifetime) == (25, 25)


def test_credit_values_settle_a_debt_first(session):
    shop, _ = make_shop(session)
    account = _account(session, shop)
    debt = ledger.debit(session, account.id, kind=EntryKind.ADJUSTMENT, points=10,
                        source=EntrySource.API, source_ref="a", key=unique("debt"), now=NOW,
                        shortfall=ledger.Shortfall.DEBT)
    assert debt is not None and account.available == -5
    lot = _earn_values(session, account, unique("order"))
    assert account.available == 15
    assert _stored(session, LedgerEntry, debt.id)["remaining"] == 0
    assert _stored(session, LedgerEntry, lot.id)["remaining"] == 10


def test_a_lean_insert_works_as_a_fresh_process_first_touch_of_the_orm(tmp_path):
    # Building objects past the constructor must still configure the mappers first.
    import subprocess
    import sys

    script = f"""
from sqlalchemy.orm import Session
from loyalty_plugin.db import make_engine
from loyalty_plugin.migrate import upgrade
from loyalty_plugin.models import Platform, Shop
from loyalty_plugin.services.sql import insert_or_none
engine = make_engine("sqlite:///{tmp_path / 'fresh.db'}")
upgrade(engine)
with Session(engine) as session:
    shop = insert_or_none(session, Shop, dict(platform=Platform.SHOPIFY, domain="fresh.myshopify.com",
                                              currency="USD", timezone="UTC", webhook_secret="s",
                                              widget_secret="w"), conflict=["id"])
    print(shop.id, shop.domain)
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["1", "fresh.myshopify.com"]
