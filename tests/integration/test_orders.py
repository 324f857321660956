"""The order state machine against the database: awards, refunds, cancellations, any order."""
from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal

import pytest
from sqlalchemy import select

from loyalty_plugin.events import CustomerRef
from loyalty_plugin.models import (AwardOn, CustomerAccount, EntryKind, EntryStatus, LedgerEntry,
                                   NegativeBalancePolicy, Order, OrderStatus, Rounding)
from loyalty_plugin.services import ledger
from loyalty_plugin.services.accounts import find_by_external_id
from loyalty_plugin.services.adjustments import adjust_points
from loyalty_plugin.services.customers import apply_customer_changed
from loyalty_plugin.services.orders import apply_order_snapshot, apply_refund
from tests.factories import make_order, make_refund, make_shop

NOW = dt.datetime(2026, 11, 24, 12, 0, tzinfo=dt.timezone.utc)


def balance(session, shop, external_id="1001") -> tuple[int, int, int]:
    account = find_by_external_id(session, shop.id, external_id)
    session.refresh(account)
    return account.available, account.pending, account.lifetime


def entries(session, shop) -> list[LedgerEntry]:
    return list(session.execute(select(LedgerEntry).where(LedgerEntry.shop_id == shop.id)
                                .order_by(LedgerEntry.id)).scalars())


@pytest.fixture
def shop(session):
    return make_shop(session)[0]


def test_paid_order_awards_and_records_what_it_was_computed_from(session, shop):
    shop.settings.points_per_unit = Decimal("2.5")
    shop.settings.rule_version = 3
    outcome = apply_order_snapshot(session, shop, make_order("A", items="10.30"), NOW)
    assert outcome.note == "awarded 25 points"
    (earn,) = entries(session, shop)
    assert (earn.kind, earn.points, earn.status) == (EntryKind.EARN, 25, EntryStatus.AVAILABLE)
    assert (earn.base_amount, earn.rate, earn.multiplier, earn.rule_version) == (
        Decimal("10.30"), Decimal("2.5"), Decimal("1"), 3)
    assert balance(session, shop) == (25, 0, 25)


@pytest.mark.parametrize("rounding, expected", [(Rounding.FLOOR, 10), (Rounding.HALF_UP, 11),
                                                (Rounding.CEIL, 11)])
def test_rounding_mode_applies_once(session, shop, rounding, expected):
    shop.settings.rounding = rounding
    apply_order_snapshot(session, shop, make_order(items="10.50"), NOW)
    assert balance(session, shop)[0] == expected


def test_shipping_and_taxes_only_when_included(session, shop):
    apply_order_snapshot(session, shop, make_order("plain", items="50", shipping="10", taxes="5"), NOW)
    assert balance(session, shop)[0] == 50
    shop.settings.include_shipping = True
    shop.settings.include_taxes = True
    apply_order_snapshot(session, shop, make_order("all-in", items="50", shipping="10", taxes="5"), NOW)
    assert balance(session, shop)[0] == 50 + 65


def test_unpaid_order_waits_and_minimum_amount_skips(session, shop):
    outcome = apply_order_snapshot(session, shop, make_order("u", paid=False), NOW)
    assert "waiting for payment" in outcome.note
    shop.settings.min_order_amount = Decimal("25")
    outcome = apply_order_snapshot(session, shop, make_order("small", items="24.99"), NOW)
    assert outcome.ignored and "minimum" in outcome.note
    assert entries(session, shop) == []


def test_award_on_fulfilled_waits_for_fulfilment(session, shop):
    shop.settings.award_on = AwardOn.FULFILLED
    assert "fulfilment" in apply_order_snapshot(session, shop, make_order("F"), NOW).note
    assert apply_order_snapshot(session, shop, make_order("F", fulfilled=True), NOW).note == \
        "awarded 100 points"


def test_pending_points_cannot_be_spent_until_they_mature(session, shop):
    shop.settings.pending_days = 14
    apply_order_snapshot(session, shop, make_order("P"), NOW)
    assert balance(session, shop) == (0, 100, 100)
    account = find_by_external_id(session, shop.id, "1001")
    with pytest.raises(Exception, match="available"):
        adjust_points(session, account, points=-1, reason="spend", now=NOW)
    assert ledger.mature_due(session, NOW + dt.timedelta(days=13)) == 0
    assert ledger.mature_due(session, NOW + dt.timedelta(days=14)) == 1
    assert balance(session, shop) == (100, 0, 100)
    assert ledger.verify_balances(session, shop_id=shop.id) == []


def test_partial_refunds_reverse_proportionally_and_never_exceed_the_award(session, shop):
    apply_order_snapshot(session, shop, make_order("R", items="99.00"), NOW)
    apply_refund(session, shop, make_refund("R", "r1", items="33.00"), NOW)
    assert balance(session, shop)[0] == 66
    apply_refund(session, shop, make_refund("R", "r2", items="33.00"), NOW)
    apply_refund(session, shop, make_refund("R", "r3", items="40.00"), NOW)  # more than is left
    assert balance(session, shop) == (0, 0, 0)
    order = session.execute(select(Order).where(Order.platform_order_id == "R")).scalar_one()
    assert (order.points_awarded, order.points_reversed) == (99, 99)


def test_shipping_only_refund_reverses_nothing(session, shop):
    apply_order_snapshot(session, shop, make_order("S", items="80", shipping="20"), NOW)
    outcome = apply_refund(session, shop, make_refund("S", items="0", shipping="20"), NOW)
    assert "reverses no points" in outcome.note
    assert balance(session, shop)[0] == 80


def test_same_refund_twice_and_again_inside_orders_updated_reverses_once(session, shop):
    apply_order_snapshot(session, shop, make_order("D", items="100"), NOW)
    refund = make_refund("D", "dup", items="25")
    apply_refund(session, shop, refund, NOW)
    apply_refund(session, shop, refund, NOW)
    apply_order_snapshot(session, shop, make_order("D", items="100", refunds=(refund,)), NOW)
    assert balance(session, shop)[0] == 75
    assert [e.kind for e in entries(session, shop)] == [EntryKind.EARN, EntryKind.REFUND_CLAWBACK]


def test_refund_waits_until_its_money_moves(session, shop):
    apply_order_snapshot(session, shop, make_order("W", items="100"), NOW)
    apply_refund(session, shop, make_refund("W", "slow", items="50", effective=False), NOW)
    assert balance(session, shop)[0] == 100
    apply_order_snapshot(session, shop, make_order("W", refunds=(make_refund("W", "slow", items="50"),)),
                         NOW)
    assert balance(session, shop)[0] == 50


def test_cancellation_reverses_what_is_left_after_refunds(session, shop):
    apply_order_snapshot(session, shop, make_order("C", items="100"), NOW)
    apply_refund(session, shop, make_refund("C", items="30"), NOW)
    outcome = apply_order_snapshot(session, shop, make_order("C", cancelled=True), NOW)
    assert outcome.note == "cancelled: reversed 70 points"
    assert balance(session, shop) == (0, 0, 0)
    # A late paid delivery cannot re-award a cancelled order.
    apply_order_snapshot(session, shop, make_order("C"), NOW)
    assert balance(session, shop) == (0, 0, 0)


def test_pending_points_are_reversed_before_available_ones(session, shop):
    apply_order_snapshot(session, shop, make_order("old", items="50"), NOW)
    shop.settings.pending_days = 30
    apply_order_snapshot(session, shop, make_order("new", items="40"), NOW)
    assert balance(session, shop) == (50, 40, 90)
    apply_refund(session, shop, make_refund("new", items="40"), NOW)
    assert balance(session, shop) == (50, 0, 50)
    clawback = entries(session, shop)[-1]
    assert clawback.status is EntryStatus.PENDING
    assert ledger.verify_balances(session, shop_id=shop.id) == []


def test_refund_of_spent_points_goes_negative_or_clamps_by_policy(session, shop):
    apply_order_snapshot(session, shop, make_order("N", items="100"), NOW)
    account = find_by_external_id(session, shop.id, "1001")
    adjust_points(session, account, points=-80, reason="redeemed", now=NOW)
    apply_refund(session, shop, make_refund("N", items="100"), NOW)
    # Lifetime counts manual adjustments as corrections of earnings, hence -80 there too.
    assert balance(session, shop) == (-80, 0, -80)
    # Later earnings pay the debt off first.
    apply_order_snapshot(session, shop, make_order("N2", items="100"), NOW)
    assert balance(session, shop)[0] == 20
    assert ledger.verify_balances(session, shop_id=shop.id) == []

    shop.settings.negative_balance = NegativeBalancePolicy.CLAMP
    apply_order_snapshot(session, shop, make_order("M", customer_id="2002", items="100"), NOW)
    other = find_by_external_id(session, shop.id, "2002")
    adjust_points(session, other, points=-80, reason="redeemed", now=NOW)
    apply_refund(session, shop, make_refund("M", items="100"), NOW)
    assert balance(session, shop, "2002")[0] == 0
    assert ledger.verify_balances(session, shop_id=shop.id) == []


ORDER_EVENTS = {
    "create": lambda: make_order("X", paid=False, updated_at=NOW - dt.timedelta(hours=2)),
    "paid": lambda: make_order("X", updated_at=NOW - dt.timedelta(hours=1)),
    "updated_with_refund": lambda: make_order(
        "X", updated_at=NOW, refunds=(make_refund("X", "xr", items="40"),)),
    "refund": lambda: make_refund("X", "xr", items="40"),
}


@pytest.mark.parametrize("sequence", list(itertools.permutations(ORDER_EVENTS)))
def test_any_delivery_order_converges_on_the_same_balance(session, shop, sequence):
    for name in sequence + sequence:  # and each one delivered twice
        event = ORDER_EVENTS[name]()
        if name == "refund":
            apply_refund(session, shop, event, NOW)
        else:
            apply_order_snapshot(session, shop, event, NOW)
    assert balance(session, shop) == (60, 0, 60)
    assert ledger.verify_balances(session, shop_id=shop.id) == []


def test_test_orders_are_skipped_unless_configured(session, shop):
    assert apply_order_snapshot(session, shop, make_order("T", test=True), NOW).ignored
    shop.settings.skip_test_orders = False
    apply_order_snapshot(session, shop, make_order("T2", test=True), NOW)
    assert balance(session, shop)[0] == 100


def test_guest_points_join_the_customer_when_the_platform_names_them(session, shop):
    apply_order_snapshot(session, shop, make_order("G1", customer_id=None, email=" Guest@Example.COM"),
                         NOW)
    apply_customer_changed(session, shop, CustomerRef(platform_id="77", email="guest@example.com"),
                           created=True, now=NOW)
    assert balance(session, shop, "77") == (100, 0, 100)
    # A later guest order with that email goes straight to the registered account.
    apply_order_snapshot(session, shop, make_order("G2", customer_id=None, email="guest@example.com"),
                         NOW)
    assert balance(session, shop, "77") == (200, 0, 200)


def test_guest_account_merges_into_an_existing_customer_with_pending_lots(session, shop):
    shop.settings.pending_days = 10
    apply_order_snapshot(session, shop, make_order("M1", customer_id="88", email="a@example.com"), NOW)
    apply_order_snapshot(session, shop, make_order("M2", customer_id=None, email="b@example.com"), NOW)
    # The customer changes their email to the guest's: the guest's points move over, still pending.
    apply_customer_changed(session, shop, CustomerRef(platform_id="88", email="b@example.com"),
                           created=False, now=NOW)
    assert balance(session, shop, "88") == (0, 200, 200)
    guest = session.execute(select(CustomerAccount).where(
        CustomerAccount.merged_into_id.is_not(None))).scalar_one()
    assert (guest.available, guest.pending) == (0, 0)
    # Refunding the guest order now reverses from the customer's pending points.
    apply_refund(session, shop, make_refund("M2", items="100"), NOW)
    assert balance(session, shop, "88") == (0, 100, 100)
    assert ledger.verify_balances(session, shop_id=shop.id) == []


def test_signup_bonus_is_paid_once(session, shop):
    shop.settings.signup_bonus_points = 50
    ref = CustomerRef(platform_id="55", email="new@example.com")
    apply_customer_changed(session, shop, ref, created=True, now=NOW)
    apply_customer_changed(session, shop, ref, created=True, now=NOW)
    assert balance(session, shop, "55") == (50, 0, 50)


def test_orders_are_isolated_per_shop(session, shop):
    other, _ = make_shop(session)
    apply_order_snapshot(session, shop, make_order("same-id"), NOW)
    apply_order_snapshot(session, other, make_order("same-id"), NOW)
    assert balance(session, shop)[0] == 100
    assert balance(session, other)[0] == 100


def test_order_status_reports_the_award(session, shop):
    apply_order_snapshot(session, shop, make_order("Z", items="12"), NOW)
    order = session.execute(select(Order).where(Order.platform_order_id == "Z")).scalar_one()
    assert (order.status, order.earn_base, order.points_awarded) == (OrderStatus.AWARDED,
                                                                     Decimal("12"), 12)
