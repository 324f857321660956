"""The dashboard overview's numbers for a range of the shop's local days. Read-only.

A stand-in for the analytics service (which defines these numbers in full): the same
ledger, code and order data, read with plain queries. Per day: points issued (earning
and bonuses), redeemed (redemptions less points returned for codes) and expired.
Over the range: members (registered customers, not guests), active members (an order
that earned, or a redemption), the redemption rate (members who redeemed / members),
revenue of orders that used loyalty codes, member and guest orders (count, average
value, orders per customer), and the outstanding points' liability in shop currency.
"""
from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import case, distinct, func, select
from sqlalchemy.orm import Session

from ..models import (CodeStatus, CustomerAccount, EntryKind, LedgerEntry, Order, Reward, RewardCode,
                      RewardKind, Shop)

ISSUED = (EntryKind.EARN, EntryKind.SIGNUP_BONUS, EntryKind.TIER_BONUS, EntryKind.BIRTHDAY_BONUS,
          EntryKind.REFERRAL_BONUS)
REDEEMED = (EntryKind.REDEEM, EntryKind.REDEEM_REFUND)
EXPIRED = (EntryKind.EXPIRE,)
MAX_DAYS = 366
CENT = Decimal("0.01")


@dataclass(frozen=True)
class Day:
    day: dt.date
    issued: int
    redeemed: int
    expired: int


@dataclass(frozen=True)
class OrderGroup:
    orders: int
    customers: int
    revenue: Decimal

    @property
    def average(self) -> Decimal | None:
        return (self.revenue / self.orders).quantize(CENT, ROUND_HALF_UP) if self.orders else None

    @property
    def per_customer(self) -> Decimal | None:
        return (Decimal(self.orders) / self.customers).quantize(CENT) if self.customers else None


@dataclass(frozen=True)
class Numbers:
    days: list[Day]
    members: int
    active_members: int
    redemption_rate: Decimal | None
    code_revenue: Decimal
    member_orders: OrderGroup
    guest_orders: OrderGroup
    liability_points: int
    liability_value: Decimal | None


def utc_bounds(shop: Shop, start: dt.date, end: dt.date) -> tuple[dt.datetime, dt.datetime]:
    zone = zoneinfo.ZoneInfo(shop.timezone)
    first = dt.datetime.combine(start, dt.time(), zone).astimezone(dt.timezone.utc)
    after = dt.datetime.combine(end + dt.timedelta(days=1), dt.time(), zone).astimezone(dt.timezone.utc)
    return first, after


def overview_numbers(session: Session, shop: Shop, *, start: dt.date, end: dt.date) -> Numbers:
    first, after = utc_bounds(shop, start, end)
    in_range = (LedgerEntry.shop_id == shop.id, LedgerEntry.created_at >= first,
                LedgerEntry.created_at < after)
    zone = zoneinfo.ZoneInfo(shop.timezone)
    totals: dict[dt.date, list[int]] = {start + dt.timedelta(days=n): [0, 0, 0]
                                        for n in range((end - start).days + 1)}
    rows = session.execute(select(LedgerEntry.created_at, LedgerEntry.kind, LedgerEntry.points).where(
        *in_range, LedgerEntry.kind.in_(ISSUED + REDEEMED + EXPIRED)))
    for created_at, kind, points in rows:
        day = totals.get(created_at.astimezone(zone).date())
        if day is not None:
            day[0 if kind in ISSUED else 1 if kind in REDEEMED else 2] += points if kind in ISSUED else -points
    members_filter = (CustomerAccount.shop_id == shop.id, CustomerAccount.platform_customer_id.is_not(None),
                      CustomerAccount.merged_into_id.is_(None))
    members = session.execute(select(func.count()).where(*members_filter)).scalar_one()
    active = session.execute(select(func.count(distinct(LedgerEntry.account_id))).join(
        CustomerAccount, CustomerAccount.id == LedgerEntry.account_id).where(
        *in_range, *members_filter, LedgerEntry.kind.in_((EntryKind.EARN, EntryKind.REDEEM)))).scalar_one()
    redeemers = session.execute(select(func.count(distinct(RewardCode.account_id))).join(
        CustomerAccount, CustomerAccount.id == RewardCode.account_id).where(
        *members_filter, RewardCode.shop_id == shop.id, RewardCode.created_at >= first,
        RewardCode.created_at < after, RewardCode.points_spent > 0,
        RewardCode.status.in_((CodeStatus.ISSUED, CodeStatus.USED, CodeStatus.EXPIRED)))).scalar_one()
    code_revenue = session.execute(select(func.coalesce(func.sum(RewardCode.order_revenue), 0)).where(
        RewardCode.shop_id == shop.id, RewardCode.status == CodeStatus.USED,
        RewardCode.used_at >= first, RewardCode.used_at < after)).scalar_one()
    liability = session.execute(select(func.coalesce(func.sum(
        case((CustomerAccount.available > 0, CustomerAccount.available), else_=0)
        + CustomerAccount.pending), 0)).where(CustomerAccount.shop_id == shop.id)).scalar_one()
    per_point = point_value(session, shop.id)
    return Numbers(
        days=[Day(day, *values) for day, values in totals.items()], members=members,
        active_members=active,
        redemption_rate=(Decimal(redeemers) / members).quantize(Decimal("0.0001")) if members else None,
        code_revenue=Decimal(code_revenue).quantize(CENT), member_orders=orders(session, shop, first, after, True),
        guest_orders=orders(session, shop, first, after, False), liability_points=int(liability),
        liability_value=(per_point * liability).quantize(CENT, ROUND_HALF_UP) if per_point else None)


def orders(session: Session, shop: Shop, first: dt.datetime, after: dt.datetime, members: bool) -> OrderGroup:
    value = Order.items_amount + Order.shipping_amount + Order.tax_amount
    member = CustomerAccount.platform_customer_id.is_not(None)
    count, customers, revenue = session.execute(
        select(func.count(Order.id), func.count(distinct(Order.account_id)), func.coalesce(func.sum(value), 0))
        .join(CustomerAccount, CustomerAccount.id == Order.account_id)
        .where(Order.shop_id == shop.id, Order.created_at >= first, Order.created_at < after,
               Order.is_paid.is_(True), Order.is_test.is_(False), Order.is_cancelled.is_(False),
               member if members else ~member)).one()
    return OrderGroup(orders=count, customers=customers, revenue=Decimal(revenue).quantize(CENT))


def point_value(session: Session, shop_id: int) -> Decimal | None:
    """What one point is worth: the cheapest active money-off reward's value per point."""
    reward = session.execute(select(Reward).where(
        Reward.shop_id == shop_id, Reward.active.is_(True), Reward.archived_at.is_(None),
        Reward.kind.in_((RewardKind.FIXED_AMOUNT, RewardKind.VARIABLE)))
        .order_by(Reward.points_cost, Reward.value).limit(1)).scalar_one_or_none()
    return reward.value / reward.points_cost if reward is not None else None
