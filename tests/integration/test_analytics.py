"""The dashboard overview against a seeded shop: every number, on SQLite and PostgreSQL."""
from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import select

from loyalty_plugin.errors import ProviderRejected, Unprocessable
from loyalty_plugin.models import CustomerAccount, LedgerEntry, RewardKind
from loyalty_plugin.rules.calendar import Bucket
from loyalty_plugin.services import codes, expiry, issuing, redemptions
from loyalty_plugin.services.accounts import find_by_external_id
from loyalty_plugin.services.analytics import (OrderFigures, PointsFlow, liability, overview)
from loyalty_plugin.services.orders import apply_order_snapshot, apply_refund
from tests.factories import make_order, make_refund, make_reward, make_shop

UTC = dt.timezone.utc
MARCH = {"start": dt.date(2026, 3, 1), "end": dt.date(2026, 3, 31)}
NOW = dt.datetime(2026, 4, 2, 12, tzinfo=UTC)


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=UTC)


def order(session, shop, order_id: str, when: str, *, customer: str | None, items: str = "100.00",
          email: str | None = None, **kwargs):
    snap = make_order(order_id, customer_id=customer, items=items,
                      email=email if email is not None or customer is None else f"{customer}@example.com",
                      **{k: v for k, v in kwargs.items() if k != "codes"})
    if kwargs.get("codes"):
        snap = dataclasses.replace(snap, discount_codes=tuple(kwargs["codes"]))
    apply_order_snapshot(session, shop, snap, at(when))


def redeem(session, shop, customer: str, reward, when: str):
    account = find_by_external_id(session, shop.id, customer)
    reserved = redemptions.reserve(session, shop, account, reward_id=reward.id, points=None,
                                   idempotency_key=None, provider="native", now=at(when),
                                   lease=dt.timedelta(minutes=1))
    return reserved.code


@pytest.fixture
def shop(session):
    """A Paris shop's March 2026 (summer time from 29 March, 01:00 UTC), seeded to the minute."""
    shop, _ = make_shop(session)
    shop.timezone = "Europe/Paris"
    five_off = make_reward(session, shop)  # 100 points for 5.00: 0.05 a point
    make_reward(session, shop, name="30 off", points_cost=500, value=Decimal("30.00"))
    make_reward(session, shop, name="10%", kind=RewardKind.PERCENTAGE, points_cost=50, value=Decimal("10"))
    make_reward(session, shop, name="old", points_cost=50, value=Decimal("10.00"), active=False)

    # Before the range: two members.
    order(session, shop, "c0", "2026-02-10T10:00", customer="carol", items="70.00")
    order(session, shop, "a0", "2026-02-15T10:00", customer="alice")
    carol_lot = session.execute(select(LedgerEntry).where(LedgerEntry.source_ref == "c0")).scalar_one()
    carol_lot.expires_at = at("2026-03-12T23:00")
    # 1 March, 00:30 in Paris: the first bucket.
    order(session, shop, "f1", "2026-02-28T23:30", customer="frank", items="25.00")
    # Week of 2 March: Alice earns, redeems, and uses the code on an order.
    order(session, shop, "a1", "2026-03-02T10:00", customer="alice", items="200.00")
    first = redeem(session, shop, "alice", five_off, "2026-03-05T10:00")
    issuing.record_issue(session, first, first.code, at("2026-03-05T10:00"))
    order(session, shop, "a2", "2026-03-06T10:00", customer="alice", items="60.00", codes=[first.code.lower()])
    # Week of 9 March: a new member, guests, a test order, a cancelled one, a failed code.
    order(session, shop, "b1", "2026-03-10T10:00", customer="bob", items="150.00", shipping="10", taxes="5")
    order(session, shop, "g1", "2026-03-11T10:00", customer=None, email="gina@example.com", items="80.00")
    order(session, shop, "n1", "2026-03-12T10:00", customer=None, email=None, items="30.00")
    order(session, shop, "t1", "2026-03-13T10:00", customer="alice", test=True)
    order(session, shop, "x1", "2026-03-14T10:00", customer="bob", items="20.00", cancelled=True)
    failed = redeem(session, shop, "bob", five_off, "2026-03-15T10:00")
    issuing.record_failure(session, failed, ProviderRejected("no"), at("2026-03-15T10:00:05"))
    # Week of 16 March: a redemption later cancelled, expiry, a guest's second order.
    cancelled = redeem(session, shop, "alice", five_off, "2026-03-16T10:00")
    issuing.record_issue(session, cancelled, cancelled.code, at("2026-03-16T10:00"))
    expiry.expire_due(session, at("2026-03-20T12:00"))
    order(session, shop, "g2", "2026-03-20T10:00", customer=None, email="gina@example.com", items="40.00")
    # Week of 23 March: a partial refund, the cancelled code's points back.
    apply_refund(session, shop, make_refund("b1", items="75.00"), at("2026-03-24T10:00"))
    codes.cancel_code(session, cancelled, at("2026-03-23T10:00"))
    # 30 March, 00:30 summer time (29 March, 23:30 in winter time): the last bucket.
    order(session, shop, "d1", "2026-03-29T22:30", customer="dave", items="10.00")
    # 1 April, 00:30 in Paris: after the range.
    order(session, shop, "e1", "2026-03-31T22:30", customer="eve", items="40.00")

    other, _ = make_shop(session)
    order(session, other, "o1", "2026-03-10T10:00", customer="alice", items="999.00")
    session.flush()
    return shop


def test_weekly_overview_counts_every_number_exactly(session, shop):
    result = overview(session, shop, **MARCH, bucket="week", now=NOW)

    assert [(b.first.isoformat(), b.last.isoformat()) for b in result.buckets] == [
        ("2026-03-01", "2026-03-01"), ("2026-03-02", "2026-03-08"), ("2026-03-09", "2026-03-15"),
        ("2026-03-16", "2026-03-22"), ("2026-03-23", "2026-03-29"), ("2026-03-30", "2026-03-31")]
    assert [b.points for b in result.buckets] == [
        PointsFlow(issued=25), PointsFlow(issued=260, redeemed=100), PointsFlow(issued=230),
        PointsFlow(issued=40, redeemed=100, expired=70), PointsFlow(reversed=75, redeemed=-100),
        PointsFlow(issued=10)]
    assert [(b.members, b.new_members, b.active_members) for b in result.buckets] == [
        (3, 1, 1), (3, 0, 1), (4, 1, 1), (4, 0, 1), (4, 0, 0), (5, 1, 1)]
    assert [(b.code_orders, b.code_revenue) for b in result.buckets] == [
        (0, Decimal("0.00")), (1, Decimal("60.00")), (0, Decimal("0.00")), (0, Decimal("0.00")),
        (0, Decimal("0.00")), (0, Decimal("0.00"))]

    assert result.points == PointsFlow(issued=565, reversed=75, redeemed=100, expired=70)
    assert (result.members, result.new_members, result.active_members) == (5, 3, 4)
    assert result.redeeming_members == 1 and result.redemption_rate == Decimal("0.2000")
    assert (result.code_orders, result.code_revenue) == (1, Decimal("60.00"))
    assert result.orders.members == OrderFigures(
        orders=5, customers=4, revenue=Decimal("460.00"), average_order_value=Decimal("92.00"),
        orders_per_customer=Decimal("1.25"))
    assert result.orders.guests == OrderFigures(
        orders=3, customers=2, revenue=Decimal("150.00"), average_order_value=Decimal("50.00"),
        orders_per_customer=Decimal("1.50"))
    # Alice 260, Bob 75, Gina (a guest) 120, Frank 25, Dave 10, Eve 40; Carol's expired.
    assert result.liability.points == 530 and result.liability.pending_points == 0
    assert result.liability.point_value == Decimal("0.050000")
    assert result.liability.value == Decimal("26.50")
    assert (result.timezone, result.currency, result.bucket) == ("Europe/Paris", "USD", Bucket.WEEK)
    assert result.today == dt.date(2026, 4, 2)


def test_daily_and_monthly_buckets_add_up_to_the_same_totals(session, shop):
    weekly = overview(session, shop, **MARCH, bucket="week", now=NOW)
    daily = overview(session, shop, **MARCH, bucket=Bucket.DAY, now=NOW)
    monthly = overview(session, shop, **MARCH, bucket="month", now=NOW)

    assert len(daily.buckets) == 31 and len(monthly.buckets) == 1
    by_day = {b.first.day: b for b in daily.buckets}
    assert by_day[1].points.issued == 25
    assert by_day[29].points.issued == 0 and by_day[30].points.issued == 10  # summer time
    assert by_day[20].points == PointsFlow(issued=40, expired=70)
    for other in (daily, monthly):
        assert other.points == weekly.points
        assert (other.members, other.active_members, other.code_revenue) == (5, 4, Decimal("60.00"))
        assert other.orders == weekly.orders
    assert monthly.buckets[0].active_members == 4  # distinct over the month, not a sum of days


def test_a_range_in_another_zone_moves_the_day_boundaries(session, shop):
    shop.timezone = "UTC"
    result = overview(session, shop, **MARCH, bucket="day", now=NOW)
    by_day = {b.first.day: b for b in result.buckets}
    assert by_day[1].points.issued == 0  # Frank's order was 28 February in UTC
    assert by_day[29].points.issued == 10
    assert by_day[31].points.issued == 40  # Eve's order is in the range in UTC


def test_an_empty_shop_has_zeros_and_no_rates(session):
    shop, _ = make_shop(session)
    result = overview(session, shop, **MARCH, bucket="month", now=NOW)
    assert result.points == PointsFlow() and result.members == 0
    assert result.redemption_rate is None
    assert result.orders.members == OrderFigures(0, 0, Decimal("0.00"), None, None)
    assert result.liability.point_value is None and result.liability.value is None


def test_an_account_in_debt_adds_nothing_to_the_liability(session, shop):
    bob = find_by_external_id(session, shop.id, "bob")
    bob.available = -500
    session.flush()
    assert liability(session, shop).points == 530 - 75


def test_merged_guests_orders_and_points_become_the_members(session, shop):
    gina = session.execute(select(CustomerAccount).where(
        CustomerAccount.shop_id == shop.id, CustomerAccount.email == "gina@example.com")).scalar_one()
    gina.platform_customer_id = "gina"  # she registered: the platform now names her
    session.flush()
    result = overview(session, shop, **MARCH, bucket="month", now=NOW)
    assert (result.orders.members.orders, result.orders.members.customers) == (7, 5)
    assert (result.orders.guests.orders, result.orders.guests.customers) == (1, 1)
    assert result.members == 6


@pytest.mark.parametrize("start, end, bucket, field", [
    (dt.date(2026, 3, 2), dt.date(2026, 3, 1), "day", "to"),
    (dt.date(2024, 1, 1), dt.date(2026, 1, 1), "day", "to"),
    (dt.date(2010, 1, 1), dt.date(2026, 1, 1), "month", "to"),
    (dt.date(1969, 12, 31), dt.date(1970, 1, 1), "day", "from"),
    (dt.date(2026, 1, 1), dt.date(2026, 1, 2), "year", "bucket"),
])
def test_ranges_out_of_bounds_are_refused_naming_the_parameter(session, shop, start, end, bucket, field):
    with pytest.raises(Unprocessable) as excinfo:
        overview(session, shop, start=start, end=end, bucket=bucket, now=NOW)
    assert field in excinfo.value.details["fields"]


def test_two_years_of_days_are_allowed(session, shop):
    result = overview(session, shop, start=dt.date(2025, 4, 1), end=dt.date(2027, 3, 31),
                      bucket="day", now=NOW)
    assert len(result.buckets) == 730 and result.points.issued == 565 + 40 + 100 + 70


def test_sql_buckets_follow_new_york_days_across_both_changes_and_the_new_year(session):
    shop, _ = make_shop(session)
    shop.timezone = "America/New_York"
    for number, (when, items) in enumerate([
            ("2026-03-09T03:30", "1"),   # 8 March 23:30 EDT (22:30 in winter time)
            ("2026-03-09T04:30", "2"),   # 9 March 00:30 EDT
            ("2026-11-01T04:30", "4"),   # 1 November 00:30 EDT
            ("2026-11-02T04:30", "8"),   # 1 November 23:30 EST (2 November in summer time)
            ("2026-11-02T05:30", "16"),  # 2 November 00:30 EST
            ("2027-01-01T04:30", "32"),  # 31 December 23:30 EST
            ("2027-01-01T05:30", "64")]):  # 1 January 00:30 EST
        order(session, shop, f"ny{number}", when, customer=f"c{number}", items=items)

    def issued(bucket: str) -> dict[str, int]:
        result = overview(session, shop, start=dt.date(2026, 3, 1), end=dt.date(2027, 1, 10),
                          bucket=bucket, now=NOW)
        return {b.first.isoformat(): b.points.issued for b in result.buckets if b.points.issued}

    assert issued("day") == {"2026-03-08": 1, "2026-03-09": 2, "2026-11-01": 12, "2026-11-02": 16,
                             "2026-12-31": 32, "2027-01-01": 64}
    assert issued("week") == {"2026-03-02": 1, "2026-03-09": 2, "2026-10-26": 12, "2026-11-02": 16,
                              "2026-12-28": 96}
    assert issued("month") == {"2026-03-01": 3, "2026-11-01": 28, "2026-12-01": 32, "2027-01-01": 64}
