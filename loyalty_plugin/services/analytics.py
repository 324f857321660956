"""The dashboard overview: points, members, redemptions, code revenue, orders, liability.

``overview(session, shop, start=..., end=..., bucket="week", now=...)`` reads a shop's
numbers for the local days ``start`` to ``end`` (both included, in the shop's time
zone), per bucket (``day``, ``week`` Monday to Sunday, ``month``; the first and last
buckets are cut to the range) and in total. Read-only: plain aggregate queries, grouped
by local day in SQL on PostgreSQL and SQLite alike, exact across daylight-saving changes.

Definitions (every entry, code or order counts at its own time):

- **points issued**: earn entries (orders) and bonuses (signup, tier entry, birthday,
  referral). **points reversed**: refund, cancellation and referral clawbacks.
  **points redeemed**: redemption debits less the points returned for codes that failed
  or were cancelled, counted when they came back (so a bucket can be negative).
  **points expired**: expiry entries. Manual adjustments, imports and merges are none of these.
- **member**: a registered customer's account (the platform's customer id is known);
  guest accounts kept by email for guest checkouts are not members, and once merged
  their activity and orders are the member's. ``members`` counts members whose account
  existed at the end of the bucket or range; ``new_members`` those created in it.
- **active member**: a member with an earn entry (an order that earned) or a redemption
  debit in the bucket or range.
- **redemption rate**: members who got at least one code for points in the range
  (issued, used or expired since; failed and cancelled ones gave the points back)
  divided by ``members`` at the end of the range; None without members.
- **code revenue**: the revenue recorded on loyalty codes (of any origin) when an order
  used them, counted once per order however many codes it used, when the code was used.
- **member vs guest orders**: paid, non-test, non-cancelled orders first seen in the
  range, by whether their account is a member's now. Order value is items, shipping and
  tax in shop currency, before refunds. Each guest account is one customer; an order
  with neither customer nor email is a customer of its own.
- **liability**: now, not at ``end``: the sum over accounts of available plus pending
  points, an account in debt counting as zero. Its value uses the point value of the
  cheapest active money-off reward (fixed amount or variable: fewest points, then the
  lowest value per point): ``value / points_cost``; None when the shop has no such reward.
"""
from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import Date, and_, case, cast, distinct, func, literal, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from ..errors import Unprocessable
from ..models import (CodeOrigin, CodeStatus, CustomerAccount, EntryKind, LedgerEntry, Order, Reward,
                      RewardCode, RewardKind, Shop)
from ..rules.calendar import Bucket, bucket_start, offsets_between, periods, utc_span

ISSUED_KINDS = (EntryKind.EARN, EntryKind.SIGNUP_BONUS, EntryKind.TIER_BONUS,
                EntryKind.BIRTHDAY_BONUS, EntryKind.REFERRAL_BONUS)
REVERSED_KINDS = (EntryKind.REFUND_CLAWBACK, EntryKind.CANCEL_CLAWBACK, EntryKind.REFERRAL_CLAWBACK)
REDEEMED_KINDS = (EntryKind.REDEEM, EntryKind.REDEEM_REFUND)
EXPIRED_KINDS = (EntryKind.EXPIRE,)
ACTIVE_KINDS = (EntryKind.EARN, EntryKind.REDEEM)
# Codes that kept the points they cost.
REDEEMED_CODE_STATUSES = (CodeStatus.ISSUED, CodeStatus.USED, CodeStatus.EXPIRED)
MONEY_OFF_KINDS = (RewardKind.FIXED_AMOUNT, RewardKind.VARIABLE)

# The longest range per bucket size, in days: about two years of days, ten of weeks or months.
MAX_DAYS = {Bucket.DAY: 731, Bucket.WEEK: 3653, Bucket.MONTH: 3653}
DEFAULT_DAYS = 30
EARLIEST = dt.date(1970, 1, 1)
LATEST = dt.date(2999, 12, 31)

CENT = Decimal("0.01")
RATE_PLACES = Decimal("0.0001")
POINT_VALUE_PLACES = Decimal("0.000001")
ZERO = Decimal("0")


@dataclass(frozen=True)
class PointsFlow:
    issued: int = 0
    reversed: int = 0
    redeemed: int = 0
    expired: int = 0


@dataclass(frozen=True)
class BucketFigures:
    """One bucket: local days ``first`` to ``last``, both included."""

    first: dt.date
    last: dt.date
    points: PointsFlow
    members: int
    new_members: int
    active_members: int
    code_orders: int
    code_revenue: Decimal


@dataclass(frozen=True)
class OrderFigures:
    orders: int
    customers: int
    revenue: Decimal
    average_order_value: Decimal | None
    orders_per_customer: Decimal | None


@dataclass(frozen=True)
class OrdersByMembership:
    members: OrderFigures
    guests: OrderFigures


@dataclass(frozen=True)
class Liability:
    points: int
    pending_points: int
    point_value: Decimal | None  # money per point, to 6 places; None without a money-off reward
    value: Decimal | None


@dataclass(frozen=True)
class Overview:
    start: dt.date
    end: dt.date
    bucket: Bucket
    timezone: str
    currency: str
    today: dt.date  # the shop's local date at ``now``: its bucket is still filling, later ones empty
    buckets: list[BucketFigures]
    points: PointsFlow
    members: int
    new_members: int
    active_members: int
    redeeming_members: int
    redemption_rate: Decimal | None
    code_orders: int
    code_revenue: Decimal
    orders: OrdersByMembership
    liability: Liability


def default_range(shop: Shop, now: dt.datetime, *, start: dt.date | None = None,
                  end: dt.date | None = None) -> tuple[dt.date, dt.date]:
    """Fill in a missing end with the shop's local today, a missing start with
    ``DEFAULT_DAYS`` days up to the end."""
    if end is None:
        end = _local_today(shop, now)
    if start is None:
        start = max(EARLIEST, end - dt.timedelta(days=DEFAULT_DAYS - 1))
    return start, end


def check_range(start: dt.date, end: dt.date, bucket: Bucket | str) -> Bucket:
    """The bucket size, or Unprocessable naming the parameter that is out of bounds."""
    try:
        size = Bucket(bucket)
    except ValueError:
        raise Unprocessable("Unknown bucket size.", details={"fields": {
            "bucket": [f"Must be one of: {', '.join(b.value for b in Bucket)}."]}}) from None
    for name, day in (("from", start), ("to", end)):
        if not EARLIEST <= day <= LATEST:
            raise Unprocessable("The range is out of bounds.", details={"fields": {
                name: [f"Must be between {EARLIEST} and {LATEST}."]}})
    if start > end:
        raise Unprocessable("The range ends before it starts.",
                            details={"fields": {"to": ["Must not be before from."]}})
    if (end - start).days + 1 > MAX_DAYS[size]:
        raise Unprocessable("The range is too long for this bucket size.", details={"fields": {
            "to": [f"At most {MAX_DAYS[size]} days from from with {size.value} buckets."]}})
    return size


def overview(session: Session, shop: Shop, *, start: dt.date, end: dt.date, bucket: Bucket | str,
             now: dt.datetime) -> Overview:
    size = check_range(start, end, bucket)
    window = _Window(session, shop, start, end, size)
    spans = periods(start, end, size)

    flows = _points_by_bucket(session, window)
    new_members = _new_members_by_bucket(session, window)
    active = _active_members_by_bucket(session, window)
    revenue = _code_revenue_by_bucket(session, window)
    members_before = _count_members(session, shop.id, before=window.begin)

    rows = []
    members = members_before
    for period in spans:
        key = bucket_start(period.first, size)
        members += new_members.get(key, 0)
        orders, money = revenue.get(key, (0, ZERO))
        rows.append(BucketFigures(first=period.first, last=period.last,
                                  points=flows.get(key, PointsFlow()), members=members,
                                  new_members=new_members.get(key, 0),
                                  active_members=active.get(key, 0), code_orders=orders,
                                  code_revenue=_money(money)))

    redeeming = _redeeming_members(session, window)
    return Overview(
        start=start, end=end, bucket=size, timezone=shop.timezone, currency=shop.currency,
        today=_local_today(shop, now),
        buckets=rows, points=_sum_flows(row.points for row in rows), members=members,
        new_members=members - members_before, active_members=_active_members(session, window),
        redeeming_members=redeeming,
        redemption_rate=(Decimal(redeeming) / members).quantize(RATE_PLACES) if members else None,
        code_orders=sum(row.code_orders for row in rows),
        code_revenue=_money(sum((row.code_revenue for row in rows), ZERO)),
        orders=_orders_by_membership(session, window),
        liability=liability(session, shop))


def liability(session: Session, shop: Shop) -> Liability:
    """Outstanding points now, from the accounts' cached balances, valued as the module says."""
    net = CustomerAccount.available + CustomerAccount.pending
    points, pending = session.execute(select(
        func.coalesce(func.sum(case((net > 0, net), else_=0)), 0),
        func.coalesce(func.sum(CustomerAccount.pending), 0),
    ).where(CustomerAccount.shop_id == shop.id)).one()
    reward = _valuing_reward(session, shop.id)
    if reward is None:
        return Liability(points=int(points), pending_points=int(pending), point_value=None,
                         value=None)
    cost, value = reward
    return Liability(points=int(points), pending_points=int(pending),
                     point_value=(value / cost).quantize(POINT_VALUE_PLACES),
                     value=_money(Decimal(int(points)) * value / cost))


def _valuing_reward(session: Session, shop_id: int) -> tuple[int, Decimal] | None:
    """(points_cost, value) of the reward that values a point, if any."""
    rewards = session.execute(select(Reward.points_cost, Reward.value).where(
        Reward.shop_id == shop_id, Reward.kind.in_(MONEY_OFF_KINDS), Reward.active.is_(True),
        Reward.archived_at.is_(None), Reward.value > 0)).all()
    if not rewards:
        return None
    cost, value = min(rewards, key=lambda r: (r.points_cost, r.value / r.points_cost))
    return int(cost), Decimal(value)


class _Window:
    """The range as UTC instants, and how to name the bucket of a timestamp column in SQL."""

    def __init__(self, session: Session, shop: Shop, start: dt.date, end: dt.date, size: Bucket):
        self.shop_id = shop.id
        self.timezone = shop.timezone
        self.size = size
        self.begin, self.end = utc_span(start, end, shop.timezone)
        self.dialect = session.get_bind().dialect.name

    def within(self, column: Any) -> ColumnElement[bool]:
        return and_(column >= self.begin, column < self.end)

    def bucket_of(self, column: Any) -> ColumnElement[Any]:
        """The first local day of the calendar bucket ``column`` falls in."""
        if self.dialect == "postgresql":
            local = func.timezone(self.timezone, column)
            return cast(func.date_trunc(self.size.value, local), Date)
        # SQLite knows no time zones: shift by the zone's offset, which is constant
        # between the offset changes inside the range (a handful a year at most).
        pieces = offsets_between(self.begin, self.end, self.timezone)
        shifts = [(column < until, literal(f"{minutes:+d} minutes")) for until, minutes in pieces[:-1]]
        last = literal(f"{pieces[-1][1]:+d} minutes")
        shift = case(*shifts, else_=last) if shifts else last
        modifiers = {Bucket.DAY: (), Bucket.WEEK: ("weekday 0", "-6 days"),
                     Bucket.MONTH: ("start of month",)}[self.size]
        return func.date(column, shift, *modifiers)


def _local_today(shop: Shop, now: dt.datetime) -> dt.date:
    return now.astimezone(zoneinfo.ZoneInfo(shop.timezone)).date()


def _day(value: dt.date | str) -> dt.date:
    return dt.date.fromisoformat(value) if isinstance(value, str) else value


def _is_member(account: type[CustomerAccount] | Any = CustomerAccount) -> ColumnElement[bool]:
    # Only guest accounts are ever merged, and always into a registered customer's.
    return or_(account.platform_customer_id.is_not(None), account.merged_into_id.is_not(None))


def _member_id(account: type[CustomerAccount] | Any = CustomerAccount) -> ColumnElement[int]:
    return func.coalesce(account.merged_into_id, account.id)


def _points_by_bucket(session: Session, window: _Window) -> dict[dt.date, PointsFlow]:
    kinds = (*ISSUED_KINDS, *REVERSED_KINDS, *REDEEMED_KINDS, *EXPIRED_KINDS)
    inner = select(window.bucket_of(LedgerEntry.created_at).label("bucket"), LedgerEntry.kind,
                   LedgerEntry.points).where(
        LedgerEntry.shop_id == window.shop_id, window.within(LedgerEntry.created_at),
        LedgerEntry.kind.in_(kinds)).subquery()
    rows = session.execute(select(inner.c.bucket, inner.c.kind, func.sum(inner.c.points))
                           .group_by(inner.c.bucket, inner.c.kind)).all()
    totals: dict[dt.date, dict[str, int]] = {}
    for day, kind, total in rows:
        points = int(total)  # PostgreSQL sums BIGINT as NUMERIC
        flow = totals.setdefault(_day(day), {"issued": 0, "reversed": 0, "redeemed": 0, "expired": 0})
        if kind in ISSUED_KINDS:
            flow["issued"] += points
        elif kind in REVERSED_KINDS:
            flow["reversed"] -= points
        elif kind in REDEEMED_KINDS:
            flow["redeemed"] -= points  # debits are negative, returned points positive
        else:
            flow["expired"] -= points
    return {day: PointsFlow(**flow) for day, flow in totals.items()}


def _count_members(session: Session, shop_id: int, *, before: dt.datetime) -> int:
    return session.execute(select(func.count()).select_from(CustomerAccount).where(
        CustomerAccount.shop_id == shop_id, CustomerAccount.platform_customer_id.is_not(None),
        CustomerAccount.merged_into_id.is_(None), CustomerAccount.created_at < before)).scalar_one()


def _new_members_by_bucket(session: Session, window: _Window) -> dict[dt.date, int]:
    inner = select(window.bucket_of(CustomerAccount.created_at).label("bucket")).where(
        CustomerAccount.shop_id == window.shop_id, CustomerAccount.platform_customer_id.is_not(None),
        CustomerAccount.merged_into_id.is_(None), window.within(CustomerAccount.created_at)).subquery()
    return _counted(session.execute(select(inner.c.bucket, func.count()).group_by(inner.c.bucket)))


def _active_entries(window: _Window, *columns: Any):
    return select(*columns).select_from(LedgerEntry).join(
        CustomerAccount, CustomerAccount.id == LedgerEntry.account_id).where(
        LedgerEntry.shop_id == window.shop_id, window.within(LedgerEntry.created_at),
        LedgerEntry.kind.in_(ACTIVE_KINDS), _is_member())


def _active_members_by_bucket(session: Session, window: _Window) -> dict[dt.date, int]:
    inner = _active_entries(window, window.bucket_of(LedgerEntry.created_at).label("bucket"),
                            _member_id().label("member")).subquery()
    return _counted(session.execute(select(inner.c.bucket, func.count(distinct(inner.c.member)))
                                    .group_by(inner.c.bucket)))


def _active_members(session: Session, window: _Window) -> int:
    return session.execute(_active_entries(window, func.count(distinct(_member_id())))).scalar_one()


def _redeeming_members(session: Session, window: _Window) -> int:
    return session.execute(
        select(func.count(distinct(_member_id()))).select_from(RewardCode).join(
            CustomerAccount, CustomerAccount.id == RewardCode.account_id).where(
            RewardCode.shop_id == window.shop_id, window.within(RewardCode.created_at),
            RewardCode.origin == CodeOrigin.REDEMPTION,
            RewardCode.status.in_(REDEEMED_CODE_STATUSES), _is_member())).scalar_one()


def _code_revenue_by_bucket(session: Session, window: _Window) -> dict[dt.date, tuple[int, Decimal]]:
    # One row per order: an order that used two codes recorded its revenue on both.
    per_order = select(func.min(RewardCode.used_at).label("used_at"),
                       func.max(RewardCode.order_revenue).label("revenue")).where(
        RewardCode.shop_id == window.shop_id, RewardCode.status == CodeStatus.USED,
        window.within(RewardCode.used_at)).group_by(RewardCode.used_order_id).subquery()
    bucketed = select(window.bucket_of(per_order.c.used_at).label("bucket"),
                      per_order.c.revenue).subquery()
    rows = session.execute(select(bucketed.c.bucket, func.count(),
                                  func.coalesce(func.sum(bucketed.c.revenue), 0))
                           .group_by(bucketed.c.bucket)).all()
    return {_day(day): (orders, Decimal(revenue)) for day, orders, revenue in rows}


def _orders_by_membership(session: Session, window: _Window) -> OrdersByMembership:
    per_order = select(
        case((_is_member(), 1), else_=0).label("member"),
        _member_id().label("customer"),  # NULL for an order without an account
        (Order.items_amount + Order.shipping_amount + Order.tax_amount).label("total"),
    ).select_from(Order).outerjoin(CustomerAccount, CustomerAccount.id == Order.account_id).where(
        Order.shop_id == window.shop_id, window.within(Order.created_at), Order.is_paid.is_(True),
        Order.is_test.is_(False), Order.is_cancelled.is_(False)).subquery()
    per_customer = select(per_order.c.member, per_order.c.customer, func.count().label("orders"),
                          func.sum(per_order.c.total).label("revenue")).group_by(
        per_order.c.member, per_order.c.customer).subquery()
    rows = session.execute(select(
        per_customer.c.member, func.sum(per_customer.c.orders),
        # Orders without an account share the NULL group: each is a customer of its own.
        func.sum(case((per_customer.c.customer.is_(None), per_customer.c.orders), else_=1)),
        func.sum(per_customer.c.revenue),
    ).group_by(per_customer.c.member)).all()
    found = {bool(member): (int(orders), int(customers), Decimal(revenue))
             for member, orders, customers, revenue in rows}
    return OrdersByMembership(members=_order_figures(*found.get(True, (0, 0, ZERO))),
                              guests=_order_figures(*found.get(False, (0, 0, ZERO))))


def _order_figures(orders: int, customers: int, revenue: Decimal) -> OrderFigures:
    return OrderFigures(
        orders=orders, customers=customers, revenue=_money(revenue),
        average_order_value=_money(revenue / orders) if orders else None,
        orders_per_customer=(Decimal(orders) / customers).quantize(CENT) if customers else None)


def _counted(rows: Iterable[Sequence[Any]]) -> dict[dt.date, int]:
    return {_day(day): int(count) for day, count in rows}


def _sum_flows(flows: Iterable[PointsFlow]) -> PointsFlow:
    issued = reversed_ = redeemed = expired = 0
    for flow in flows:
        issued += flow.issued
        reversed_ += flow.reversed
        redeemed += flow.redeemed
        expired += flow.expired
    return PointsFlow(issued, reversed_, redeemed, expired)


def _money(amount: Decimal) -> Decimal:
    return Decimal(amount).quantize(CENT, rounding=ROUND_HALF_UP)
