"""Orders and refunds: award points once, reverse them exactly, whatever order events come in.

Every delivery about an order locks the order row first, folds what it reports
into the row (payment, fulfilment and cancellation only ever latch on; amounts
follow the newest snapshot), and then settles: award if due, apply refunds not
yet applied, reverse the rest on cancellation. Deliveries can therefore repeat
and arrive in any order and still converge on the same ledger.
"""
from __future__ import annotations

import datetime as dt
import logging
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..events import OrderSnapshot, Outcome, RefundSnapshot
from ..models import (AwardOn, EntryKind, EntrySource, LedgerEntry, LotAllocation,
                      NegativeBalancePolicy, Order, OrderRefund, OrderStatus, Shop, ShopStatus,
                      TierChangeReason)
from ..rules.earning import Amounts, earn_base, points_for, reversal_target
from . import codes, ledger, outbox, referral_progress, tiers
from .accounts import resolve_account
from .sql import insert_ignore, insert_or_none, write_changes

log = logging.getLogger(__name__)


def lock_order(session: Session, shop_id: int, platform_order_id: str,
               now: dt.datetime) -> tuple[Order, bool]:
    """The order's row, created if unseen, locked for the rest of the transaction.

    Also says whether this call created it.
    """
    order = insert_or_none(session, Order, dict(
        shop_id=shop_id, platform_order_id=platform_order_id, status=OrderStatus.OPEN,
        created_at=now, updated_at=now, items_amount=0, shipping_amount=0, tax_amount=0,
        refunded_base=0, points_awarded=0, points_reversed=0, is_paid=False, is_fulfilled=False,
        is_cancelled=False, is_test=False, snapshot_seen=False),
        conflict=["shop_id", "platform_order_id"])
    if order is not None:
        return order, True
    return session.execute(
        select(Order).where(Order.shop_id == shop_id, Order.platform_order_id == platform_order_id)
        .with_for_update(key_share=True).execution_options(populate_existing=True)).scalar_one(), False


def apply_order_snapshot(session: Session, shop: Shop, snap: OrderSnapshot, now: dt.datetime) -> Outcome:
    order, created = lock_order(session, shop.id, snap.order_id, now)
    account = resolve_account(session, shop, snap.customer, now) if order.account_id is None else None
    # The order's row is written once, at the end of settle_order.
    with session.no_autoflush:
        if account is not None:
            order.account_id = account.id
        _fold_snapshot(session, shop, order, snap, now)
        # A refund can only be recorded against an order row that existed before.
        outcome = settle_order(session, shop, order, now, refunds_possible=not created or bool(snap.refunds))
    # Last, so the account (locked by any award above) is always locked before a code.
    codes.mark_used_by_order(session, shop, snap, now)
    return outcome


def _fold_snapshot(session: Session, shop: Shop, order: Order, snap: OrderSnapshot,
                   now: dt.datetime) -> None:
    newer = (not order.snapshot_seen or order.platform_updated_at is None
             or snap.updated_at is None or snap.updated_at >= order.platform_updated_at)
    if newer:
        order.items_amount = snap.amounts.items
        order.shipping_amount = snap.amounts.shipping
        order.tax_amount = snap.amounts.taxes
        order.name = snap.name or order.name
        order.currency = snap.currency or order.currency
        order.is_test = snap.is_test
        order.platform_updated_at = snap.updated_at or order.platform_updated_at
    order.snapshot_seen = True
    # These only move one way: a stale snapshot cannot unpay or uncancel an order.
    order.is_paid = order.is_paid or snap.is_paid
    order.is_fulfilled = order.is_fulfilled or snap.is_fulfilled
    order.is_cancelled = order.is_cancelled or snap.is_cancelled
    for refund in snap.refunds:
        _record_refund(session, shop.id, order, refund, now)
    if snap.refunds:
        session.flush()  # the refunds' is_effective changes, before _apply_refunds reads them


def apply_refund(session: Session, shop: Shop, refund: RefundSnapshot, now: dt.datetime) -> Outcome:
    order, _ = lock_order(session, shop.id, refund.order_id, now)
    _record_refund(session, shop.id, order, refund, now)
    session.flush()
    return settle_order(session, shop, order, now)


def _record_refund(session: Session, shop_id: int, order: Order, refund: RefundSnapshot,
                   now: dt.datetime) -> None:
    insert_ignore(session, OrderRefund, dict(
        shop_id=shop_id, order_id=order.id, platform_refund_id=refund.refund_id,
        items_amount=refund.amounts.items, shipping_amount=refund.amounts.shipping,
        tax_amount=refund.amounts.taxes, is_effective=refund.is_effective, points_reversed=0,
        platform_created_at=refund.created_at, created_at=now),
        conflict=["shop_id", "platform_refund_id"])
    if refund.is_effective:
        # A refund first seen with pending transactions takes effect once they succeed.
        row = session.execute(select(OrderRefund).where(
            OrderRefund.shop_id == shop_id, OrderRefund.platform_refund_id == refund.refund_id,
            OrderRefund.is_effective.is_(False))).scalar_one_or_none()
        if row is not None:
            row.is_effective = True


def settle_order(session: Session, shop: Shop, order: Order, now: dt.datetime, *,
                 refunds_possible: bool = True) -> Outcome:
    notes: list[str] = []
    awarded, reversed_before, status_before = order.points_awarded, order.points_reversed, order.status
    if order.status is OrderStatus.OPEN:
        _maybe_award(session, shop, order, now, notes)
    if refunds_possible and order.status in (OrderStatus.AWARDED, OrderStatus.CANCELLED):
        _apply_refunds(session, shop, order, now, notes)
    if order.is_cancelled and order.status in (OrderStatus.OPEN, OrderStatus.AWARDED):
        _cancel(session, shop, order, now, notes)
    ignored = False
    if order.status is OrderStatus.OPEN and order.skip_reason:
        notes.append(order.skip_reason)
        ignored = order.account_id is None
    elif order.status is OrderStatus.SKIPPED:
        notes.append(f"skipped: {order.skip_reason}")
        ignored = True
    # The account as it stands now: an award follows a guest account's merge.
    outcome = Outcome(note="; ".join(notes) or "no change", ignored=ignored,
                      account_id=order.account_id, order_id=order.platform_order_id)
    outcome.details = {"points_awarded": order.points_awarded, "points_reversed": order.points_reversed,
                       "order_status": order.status.value}
    write_changes(session, order)
    session.flush()
    # After the flush: tier progress is read from the order row and its entries.
    if order.account_id is not None and order.points_reversed != reversed_before:
        tiers.evaluate_account(session, shop, order.account_id, now, trigger=TierChangeReason.REVERSAL)
    elif order.account_id is not None and order.points_awarded != awarded:
        tiers.evaluate_account(session, shop, order.account_id, now, trigger=TierChangeReason.PROMOTION)
    cancelled = order.status is OrderStatus.CANCELLED and status_before is not OrderStatus.CANCELLED
    if order.account_id is not None and (order.points_awarded != awarded or cancelled
                                         or order.points_reversed != reversed_before):
        referral_progress.follow_order(session, shop, order, now,
                                       newly_awarded=order.points_awarded != awarded)
    return outcome


def _maybe_award(session: Session, shop: Shop, order: Order, now: dt.datetime, notes: list[str]) -> None:
    settings = shop.settings
    if shop.status is ShopStatus.UNINSTALLED:
        order.skip_reason = "shop is uninstalled"
        return
    if order.is_test and settings.skip_test_orders:
        _skip(order, "test order")
        return
    if order.is_cancelled:
        return
    if not order.snapshot_seen:
        order.skip_reason = "waiting for the order itself"
        return
    if not order.is_paid:
        order.skip_reason = "waiting for payment"
        return
    if settings.award_on is AwardOn.FULFILLED and not order.is_fulfilled:
        order.skip_reason = "waiting for fulfilment"
        return
    if order.account_id is None:
        order.skip_reason = "order has no customer or email: nothing awarded"
        return
    base = earn_base(_amounts(order), include_shipping=settings.include_shipping,
                     include_taxes=settings.include_taxes)
    if base < settings.min_order_amount:
        _skip(order, f"below the minimum order amount of {settings.min_order_amount}")
        return
    # The tier the customer holds before this order counts; the order may then promote them.
    multiplier = tiers.multiplier_for(session, ledger.lock_account(session, order.account_id))
    points = points_for(base, settings.points_per_unit, multiplier, settings.rounding)
    if points:
        entry = _earn(session, shop, order, points, base, multiplier, now)
        outbox.points_earned(session, order, entry, now)
        order.earn_entry_id = entry.id
        order.account_id = entry.account_id  # the account that holds it, after any merge
        notes.append(f"awarded {points} points" + (" (pending)" if settings.pending_days else ""))
    else:
        notes.append("order earns 0 points")
    # Set after the ledger write, so the order row is updated once.
    order.earn_base = base
    order.base_includes_shipping = settings.include_shipping
    order.base_includes_taxes = settings.include_taxes
    order.points_awarded = points
    order.status = OrderStatus.AWARDED
    order.skip_reason = None


def _earn(session: Session, shop: Shop, order: Order, points: int, base: Decimal,
          multiplier: Decimal, now: dt.datetime) -> ledger.Credit:
    settings = shop.settings
    matures_at = now + dt.timedelta(days=settings.pending_days) if settings.pending_days else None
    assert order.account_id is not None
    return ledger.credit_values(
        session, order.account_id, kind=EntryKind.EARN, points=points,
        source=EntrySource.ORDER, source_ref=order.platform_order_id,
        key=f"order:{order.platform_order_id}:earn", now=now, matures_at=matures_at, order_id=order.id,
        earn=ledger.EarnDetails(base_amount=base, rate=settings.points_per_unit,
                                multiplier=multiplier, rule_version=settings.rule_version),
        reason=f"Order {order.name or order.platform_order_id}")


def _skip(order: Order, reason: str) -> None:
    order.status = OrderStatus.SKIPPED
    order.skip_reason = reason


def _amounts(order: Order) -> Amounts:
    return Amounts(items=order.items_amount, shipping=order.shipping_amount, taxes=order.tax_amount)


def _apply_refunds(session: Session, shop: Shop, order: Order, now: dt.datetime, notes: list[str]) -> None:
    refunds = session.execute(select(OrderRefund).where(
        OrderRefund.order_id == order.id, OrderRefund.applied_at.is_(None),
        OrderRefund.is_effective.is_(True)).order_by(OrderRefund.id)).scalars().all()
    for refund in refunds:
        refund.base_amount = earn_base(
            _refund_amounts(refund), include_shipping=bool(order.base_includes_shipping),
            include_taxes=bool(order.base_includes_taxes))
        order.refunded_base += refund.base_amount
        target = reversal_target(order.points_awarded, order.earn_base or Decimal("0"),
                                 order.refunded_base)
        points = max(0, target - order.points_reversed)
        refund.applied_at = now
        refund.points_reversed = points
        if points:
            _reverse(session, shop, order, points, kind=EntryKind.REFUND_CLAWBACK,
                     source=EntrySource.REFUND, source_ref=refund.platform_refund_id,
                     key=f"refund:{refund.platform_refund_id}:clawback", now=now)
            order.points_reversed += points
            notes.append(f"refund {refund.platform_refund_id} reversed {points} points")
        else:
            notes.append(f"refund {refund.platform_refund_id} reverses no points")


def _refund_amounts(refund: OrderRefund) -> Amounts:
    return Amounts(items=refund.items_amount, shipping=refund.shipping_amount, taxes=refund.tax_amount)


def _cancel(session: Session, shop: Shop, order: Order, now: dt.datetime, notes: list[str]) -> None:
    points = order.points_awarded - order.points_reversed
    if order.status is OrderStatus.AWARDED and points > 0:
        _reverse(session, shop, order, points, kind=EntryKind.CANCEL_CLAWBACK, source=EntrySource.ORDER,
                 source_ref=order.platform_order_id, key=f"order:{order.platform_order_id}:cancel",
                 now=now)
        order.points_reversed += points
        notes.append(f"cancelled: reversed {points} points")
    else:
        notes.append("cancelled")
    order.status = OrderStatus.CANCELLED
    order.skip_reason = None


def _expired_unforgiven(session: Session, order: Order, own_lots: list[int]) -> int:
    """Expired points of the order's lots that no earlier reversal has already let off."""
    if not own_lots:
        return 0
    expired = session.execute(
        select(func.coalesce(func.sum(LotAllocation.points), 0))
        .join(LedgerEntry, LedgerEntry.id == LotAllocation.debit_entry_id)
        .where(LotAllocation.lot_entry_id.in_(own_lots), LedgerEntry.kind == EntryKind.EXPIRE)).scalar_one()
    taken = -session.execute(select(func.coalesce(func.sum(LedgerEntry.points), 0)).where(
        LedgerEntry.order_id == order.id, LedgerEntry.points < 0,
        LedgerEntry.kind.in_((EntryKind.REFUND_CLAWBACK, EntryKind.CANCEL_CLAWBACK)))).scalar_one()
    forgiven = order.points_reversed - taken
    return max(0, int(expired) - forgiven)


def _reverse(session: Session, shop: Shop, order: Order, points: int, *, kind: EntryKind,
             source: EntrySource, source_ref: str, key: str, now: dt.datetime) -> LedgerEntry | None:
    assert order.account_id is not None
    # The order's own lots, wherever a merge has moved them (debit keeps the account's).
    own_lots = session.execute(select(LedgerEntry.id).where(
        LedgerEntry.order_id == order.id, LedgerEntry.points > 0)).scalars().all()
    # Points of this order that expired unspent are gone already: a refund does not
    # take them a second time.
    ledger.expire_lots(session, order.account_id, now)
    points -= min(points, _expired_unforgiven(session, order, own_lots))
    if points == 0:
        return None
    shortfall = (ledger.Shortfall.DEBT if shop.settings.negative_balance is NegativeBalancePolicy.ALLOW
                 else ledger.Shortfall.CLAMP)
    entry = ledger.debit(session, order.account_id, kind=kind,
                         points=points, source=source, source_ref=source_ref, key=key, now=now,
                         shortfall=shortfall, order_id=order.id, preferred_lots=own_lots,
                         reason=f"Order {order.name or order.platform_order_id}")
    if entry is not None:
        outbox.points_reversed(session, order, entry, now)
    return entry
