"""Each customer's VIP tier: progress over the shop's window, promotions, downgrades.

A customer is evaluated inside the transaction that moved their points, under
the account's row lock, so two deliveries can never promote them twice. Moves
are recorded as TierChange rows that copy names and thresholds, so the history
still reads right after the shop edits its tiers.
"""
from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session

from ..db import Executor
from ..models import (TIER_PROGRESS_KINDS, CodeOrigin, CustomerAccount, EntryKind, EntrySource,
                      EntryStatus, LedgerEntry, Order, OrderStatus, Reward, Shop, Tier, TierBasis,
                      TierChange, TierChangeReason, TierWindow)
from ..rules.tiers import (Level, Span, current_window, downgrade_target, next_level,
                           previous_window, qualifying_level, rank, status_expiry)
from . import codes, ledger, outbox
from .sql import fixed_values

log = logging.getLogger(__name__)

NO_MULTIPLIER = Decimal("1")
# ProgramSettings.tiers_version of a shop that has never created a tier.
FIRST_TIERS_VERSION = 1


def active_tiers(session: Session, shop_id: int) -> list[Tier]:
    return list(session.execute(select(Tier).where(
        Tier.shop_id == shop_id, Tier.archived_at.is_(None)).order_by(Tier.threshold, Tier.id)).scalars())


def levels_of(tiers: list[Tier]) -> list[Level]:
    return [Level(t.id, t.name, t.threshold, t.multiplier) for t in tiers]


def multiplier_for(session: Session, account: CustomerAccount) -> Decimal:
    """The earning multiplier of the account's tier; an archived tier no longer multiplies."""
    if account.tier_id is None:
        return NO_MULTIPLIER
    tier = session.get(Tier, account.tier_id)
    return tier.multiplier if tier is not None and tier.archived_at is None else NO_MULTIPLIER


def _holders(account_id: int):
    """The account and the guest accounts merged into it: their orders are its orders."""
    return select(CustomerAccount.id).where(
        or_(CustomerAccount.id == account_id, CustomerAccount.merged_into_id == account_id))


def _between(column, start, end):
    conditions = []
    if start is not None:
        conditions.append(column >= start)
    if end is not None:
        conditions.append(column < end)
    return conditions


def _within(column, span: Span):
    return _between(column, span.start, span.end)


def points_progress(account_id, start=None, end=None) -> Select:
    """The points that count toward a tier between ``start`` and ``end``, as a query.

    Each argument may be a value or a SQL expression (a column, a bound parameter),
    so the storefront can read it beside the account in one prepared statement.
    """
    return select(func.coalesce(func.sum(LedgerEntry.points), 0)).where(
        LedgerEntry.account_id == account_id,
        LedgerEntry.kind.in_(fixed_values(LedgerEntry.kind, TIER_PROGRESS_KINDS)),
        LedgerEntry.status == EntryStatus.AVAILABLE, *_between(LedgerEntry.matured_at, start, end))


def progress(session: Executor, shop: Shop, account_id: int, span: Span) -> Decimal:
    """What counts toward a tier within ``span``; pending points and orders do not count yet."""
    basis = shop.settings.tier_basis
    if basis is TierBasis.POINTS_EARNED:
        return Decimal(session.execute(points_progress(account_id, span.start, span.end)).scalar_one())
    earn = LedgerEntry.__table__.alias("earn")
    orders = (select(Order.earn_base, Order.refunded_base)
              .join(earn, earn.c.id == Order.earn_entry_id)
              .where(Order.account_id.in_(_holders(account_id)), Order.status == OrderStatus.AWARDED,
                     earn.c.status == EntryStatus.AVAILABLE, *_within(earn.c.matured_at, span)))
    rows = session.execute(orders).all()
    if basis is TierBasis.AMOUNT_SPENT:
        return sum((base - refunded for base, refunded in rows if base is not None), Decimal("0"))
    return Decimal(sum(1 for base, refunded in rows if base is not None and refunded < base))


def _standing(session: Session, shop: Shop, account_id: int, levels: list[Level],
              now: dt.datetime) -> tuple[Level | None, Decimal, dt.datetime]:
    """The best tier the customer holds by progress, the progress, and when it was earned."""
    settings = shop.settings
    current = current_window(settings.tier_window, now, shop.timezone)
    amount = progress(session, shop, account_id, current)
    best, earned_at = qualifying_level(levels, amount), now
    previous = previous_window(settings.tier_window, now, shop.timezone)
    if previous is not None:
        kept = qualifying_level(levels, progress(session, shop, account_id, previous))
        if rank(levels, kept.id if kept else None) > rank(levels, best.id if best else None):
            assert previous.start is not None
            best, earned_at = kept, previous.start
    return best, amount, earned_at


def evaluate_account(session: Session, shop: Shop, account_id: int, now: dt.datetime, *,
                     trigger: TierChangeReason) -> TierChange | None:
    """Move the customer to the tier their progress calls for, if it is time to.

    ``trigger`` says what moved the points: an earn can only promote; a reversal
    can also undo a promotion; a re-evaluation after the shop changed its tiers
    goes either way.
    """
    account = ledger.lock_account(session, account_id)
    if account.tiers_version != shop.settings.tiers_version:
        # Assigned only when it moves: even an equal value would leave the account for a flush.
        account.tiers_version = shop.settings.tiers_version
    if shop.settings.tiers_version == FIRST_TIERS_VERSION and account.tier_id is None:
        return None  # the shop never had a tier: every tier change raises the version
    tiers = active_tiers(session, shop.id)
    if not tiers and account.tier_id is None:
        return None
    levels = levels_of(tiers)
    best, amount, earned_at = _standing(session, shop, account.id, levels, now)
    held = rank(levels, account.tier_id)
    wanted = rank(levels, best.id if best else None)
    expiry = status_expiry(shop.settings.tier_window, earned_at, shop.timezone)
    if wanted > held or (held == 0 and account.tier_id is not None):
        reason = TierChangeReason.PROMOTION if wanted > held else trigger
        return _move(session, shop, account, best, amount, now, expiry, reason)
    if wanted == held:
        # Qualifying again for the tier held keeps it for another period.
        if best is not None and account.tier_expires_at is not None and (
                expiry is None or expiry > account.tier_expires_at):
            account.tier_expires_at = expiry
        return None
    if trigger is TierChangeReason.REEVALUATION or (
            trigger is TierChangeReason.REVERSAL and _last_move_was_promotion(session, account)):
        return _move(session, shop, account, best, amount, now, expiry, trigger)
    return None


def _last_move_was_promotion(session: Session, account: CustomerAccount) -> bool:
    """A status kept by a downgrade policy is not taken away by a refund; a promotion is."""
    last = session.execute(select(TierChange.reason, TierChange.to_tier_id).where(
        TierChange.account_id == account.id).order_by(TierChange.id.desc()).limit(1)).first()
    return last is not None and last.to_tier_id == account.tier_id and last.reason in (
        TierChangeReason.PROMOTION, TierChangeReason.REEVALUATION)


def _move(session: Session, shop: Shop, account: CustomerAccount, target: Level | None,
          amount: Decimal, now: dt.datetime, expiry: dt.datetime | None,
          reason: TierChangeReason) -> TierChange:
    before = session.get(Tier, account.tier_id) if account.tier_id is not None else None
    after = session.get(Tier, target.id) if target is not None else None
    settings = shop.settings
    change = TierChange(
        shop_id=shop.id, account_id=account.id, from_tier_id=before.id if before else None,
        to_tier_id=after.id if after else None, from_name=before.name if before else None,
        to_name=after.name if after else None, to_threshold=after.threshold if after else None,
        reason=reason, basis=settings.tier_basis, window=settings.tier_window, progress=amount,
        window_start=current_window(settings.tier_window, now, shop.timezone).start, created_at=now)
    session.add(change)
    account.tier_id = after.id if after else None
    account.tier_since = now if after else None
    account.tier_expires_at = expiry if after else None
    session.flush()
    if reason is TierChangeReason.PROMOTION and after is not None:
        change.bonus_entry_id = _pay_entry_bonus(session, shop, account, after, change, now)
        change.entry_code_id = _grant_entry_reward(session, shop, account, after, now)
    outbox.tier_changed(session, change, before, after, account.tier_expires_at)
    log.info("tier change shop=%s account=%s from=%s to=%s reason=%s", shop.id, account.id,
             change.from_tier_id, change.to_tier_id, reason.value)
    return change


def _pay_entry_bonus(session: Session, shop: Shop, account: CustomerAccount, tier: Tier,
                     change: TierChange, now: dt.datetime) -> int | None:
    """Paid on promotion, once per window: climbing back within it pays nothing."""
    if tier.entry_bonus_points <= 0 or _given_this_window(
            session, shop, account, tier, TierChange.bonus_entry_id, now):
        return None
    entry = ledger.credit(
        session, account.id, kind=EntryKind.TIER_BONUS, points=tier.entry_bonus_points,
        source=EntrySource.TIER, source_ref=str(change.id), key=f"tier-entry:{change.id}", now=now,
        reason=f"Welcome to {tier.name}")
    return entry.id


def _grant_entry_reward(session: Session, shop: Shop, account: CustomerAccount, tier: Tier,
                        now: dt.datetime) -> int | None:
    """A code for the tier's catalog reward, once per window like the bonus.

    Recorded PENDING here, in the promotion's transaction; the codes job creates it
    on the platform after commit (``issuing.stale_pending``).
    """
    if tier.entry_reward_id is None or _given_this_window(
            session, shop, account, tier, TierChange.entry_code_id, now):
        return None
    reward = session.get(Reward, tier.entry_reward_id)
    if reward is None or reward.shop_id != shop.id or not reward.active \
            or reward.archived_at is not None:
        log.warning("tier entry reward unavailable shop=%s tier=%s reward=%s", shop.id, tier.id,
                    tier.entry_reward_id)
        return None
    code = codes.insert_code(
        session, shop, account, reward_id=reward.id, kind=reward.kind, value=reward.value,
        min_order_subtotal=reward.min_order_subtotal, product_variant_id=reward.product_variant_id,
        points_spent=0, debit_entry_id=None, provider=codes.expected_provider(shop),
        expires_at=now + dt.timedelta(days=reward.validity_days), now=now,
        origin=CodeOrigin.TIER_ENTRY)
    log.info("tier entry code granted shop=%s account=%s tier=%s code=%s", shop.id, account.id,
             tier.id, code.id)
    return code.id


def _given_this_window(session: Session, shop: Shop, account: CustomerAccount, tier: Tier,
                       given, now: dt.datetime) -> bool:
    """Whether a promotion to ``tier`` within the current window already gave ``given``."""
    window = current_window(shop.settings.tier_window, now, shop.timezone)
    return session.execute(select(TierChange.id).where(
        TierChange.account_id == account.id, TierChange.to_tier_id == tier.id,
        given.is_not(None), *_within(TierChange.created_at, window)).limit(1)).first() is not None


@dataclass(frozen=True)
class TierStatus:
    """Where a customer stands, for the admin API and the storefront."""

    tier: Tier | None
    since: dt.datetime | None
    expires_at: dt.datetime | None
    progress: Decimal
    basis: TierBasis
    window: TierWindow
    window_start: dt.datetime | None
    next_tier: Tier | None
    remaining: Decimal | None


def tier_status(session: Executor, shop: Shop, account: CustomerAccount, now: dt.datetime, *,
                tiers: list[Tier] | None = None, amount: Decimal | None = None,
                levels: list[Level] | None = None) -> TierStatus:
    """``tiers``: the shop's active tiers, and ``amount``: the progress in the current window,
    when the caller has read them already; ``levels``: those tiers as ``levels_of`` gives them.
    A connection does for ``session`` when ``tiers`` is given: only the tiers are read as
    entities."""
    tiers = active_tiers(session, shop.id) if tiers is None else tiers
    settings = shop.settings
    window = current_window(settings.tier_window, now, shop.timezone)
    if amount is None:
        amount = progress(session, shop, account.id, window) if tiers else Decimal("0")
    held = next((t for t in tiers if t.id == account.tier_id), None)
    upcoming = next_level(levels_of(tiers) if levels is None else levels, held.id if held else None, amount)
    return TierStatus(
        tier=held, since=account.tier_since if held else None,
        expires_at=account.tier_expires_at if held else None, progress=amount,
        basis=settings.tier_basis, window=settings.tier_window, window_start=window.start,
        next_tier=next(t for t in tiers if t.id == upcoming.level.id) if upcoming else None,
        remaining=upcoming.remaining if upcoming else None)


def roll_over_due(session: Session, shop: Shop, now: dt.datetime, *, limit: int = 500) -> int:
    """Judge every status that ran out (plus the grace period); returns how many were judged."""
    cutoff = now - dt.timedelta(days=shop.settings.tier_grace_days)
    due = session.execute(select(CustomerAccount.id).where(
        CustomerAccount.shop_id == shop.id, CustomerAccount.tier_id.is_not(None),
        CustomerAccount.merged_into_id.is_(None), CustomerAccount.tier_expires_at <= cutoff)
        .order_by(CustomerAccount.id).limit(limit)).scalars().all()
    for account_id in due:
        _roll_over(session, shop, account_id, now, cutoff)
    return len(due)


def _roll_over(session: Session, shop: Shop, account_id: int, now: dt.datetime,
               cutoff: dt.datetime) -> int:
    account = ledger.lock_account(session, account_id)
    if account.tier_expires_at is None or account.tier_expires_at > cutoff:
        return 0  # another run got here first
    settings = shop.settings
    levels = levels_of(active_tiers(session, shop.id))
    best, amount, earned_at = _standing(session, shop, account.id, levels, now)
    if rank(levels, best.id if best else None) >= rank(levels, account.tier_id):
        account.tier_expires_at = status_expiry(settings.tier_window, earned_at, shop.timezone)
        session.flush()
        return 0
    target = downgrade_target(levels, account.tier_id, best, settings.tier_downgrade)
    if target == best:
        expiry = status_expiry(settings.tier_window, earned_at, shop.timezone)
    else:  # a step down holds until the end of this window
        window = current_window(settings.tier_window, now, shop.timezone)
        expiry = window.end or status_expiry(settings.tier_window, now, shop.timezone)
    _move(session, shop, account, target, amount, now, expiry, TierChangeReason.WINDOW_END)
    return 1


def reevaluate_due(session: Session, shop: Shop, now: dt.datetime, *, limit: int = 500) -> int:
    """Evaluate accounts not yet judged against the shop's current tiers; returns how many."""
    stale = session.execute(select(CustomerAccount.id).where(
        CustomerAccount.shop_id == shop.id, CustomerAccount.merged_into_id.is_(None),
        CustomerAccount.tiers_version < shop.settings.tiers_version,
        or_(CustomerAccount.tier_id.is_not(None), CustomerAccount.lifetime != 0))
        .order_by(CustomerAccount.id).limit(limit)).scalars().all()
    for account_id in stale:
        evaluate_account(session, shop, account_id, now, trigger=TierChangeReason.REEVALUATION)
    session.flush()
    return len(stale)
