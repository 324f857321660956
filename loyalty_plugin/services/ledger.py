"""The only code that writes the points ledger.

Every write locks the account row first (``SELECT ... FOR NO KEY UPDATE``; SQLite's
transactions already hold the write lock), checks the entry's idempotency key,
inserts the entry and its lot allocations, and moves the cached balances by SQL
expressions in the same transaction.
"""
from __future__ import annotations

import datetime as dt
import enum
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import bindparam, case, func, nulls_last, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.util import identity_key

from ..errors import InsufficientPoints
from . import outbox
from .driver_sql import DriverStatement
from .shop_rows import cached_shop_row
from .sql import insert_id_or_none, insert_or_none, load_rows
from ..models import (LIFETIME_KINDS, CustomerAccount, EntryKind, EntrySource, EntryStatus,
                      ExpiryPolicy, LedgerEntry, LotAllocation, Shop)
from ..rules.expiry import lot_expiry

log = logging.getLogger(__name__)


class Shortfall(str, enum.Enum):
    """What a debit does when the account's lots cannot cover it."""

    FAIL = "fail"    # raise InsufficientPoints and change nothing
    DEBT = "debt"    # take the rest anyway: the balance goes negative
    CLAMP = "clamp"  # take only what there is


@dataclass(frozen=True)
class EarnDetails:
    base_amount: Decimal
    rate: Decimal
    multiplier: Decimal
    rule_version: int


_LOCKED = "loyalty_locked_accounts"


def mark_locked(session: Session, account_id: int) -> None:
    """Record that this transaction holds ``account_id``'s row lock (it inserted the row)."""
    transaction, locked = session.info.get(_LOCKED, (None, set()))
    if transaction is not session.get_transaction():
        transaction, locked = session.get_transaction(), set()
        session.info[_LOCKED] = (transaction, locked)
    locked.add(account_id)


def _already_locked(session: Session, account_id: int) -> CustomerAccount | None:
    transaction, locked = session.info.get(_LOCKED, (None, ()))
    if transaction is not session.get_transaction() or account_id not in locked:
        return None
    return session.identity_map.get(identity_key(CustomerAccount, account_id))


_ACCOUNTS = CustomerAccount.__table__
_LOCK_ACCOUNT = DriverStatement(select(_ACCOUNTS).where(_ACCOUNTS.c.id == bindparam("account_id"))
                                .with_for_update(key_share=True))


def lock_account(session: Session, account_id: int) -> CustomerAccount:
    """Lock the account that holds ``account_id``'s points: itself, or the one it merged into."""
    # FOR NO KEY UPDATE: it still serialises every writer of the balance, but does not
    # conflict with the KEY SHARE locks that foreign-key checks take on the account
    # (pointing an order or entry at it); FOR UPDATE would, and two transactions
    # holding KEY SHARE then deadlock upgrading.
    while True:
        account = _already_locked(session, account_id)
        if account is None:
            account = load_rows(session, CustomerAccount, _LOCK_ACCOUNT, {"account_id": account_id},
                                refresh=True)[0]
            mark_locked(session, account_id)
        if account.merged_into_id is None:
            return account
        account_id = account.merged_into_id


def find_entry(session: Session, shop_id: int, key: str) -> LedgerEntry | None:
    return session.execute(select(LedgerEntry).where(
        LedgerEntry.shop_id == shop_id, LedgerEntry.idempotency_key == key)).scalar_one_or_none()


class _FromPolicy:
    """The lot's expiry follows the shop's expiry policy."""


FROM_POLICY = _FromPolicy()

# Earning or spending these restarts an inactivity clock; moving points between a
# customer's own accounts, or getting them back, does not. Nor does a birthday: it
# comes by itself, and would otherwise keep an idle balance from ever expiring.
ACTIVITY_KINDS = frozenset({EntryKind.EARN, EntryKind.SIGNUP_BONUS, EntryKind.ADJUSTMENT,
                            EntryKind.TIER_BONUS, EntryKind.REDEEM, EntryKind.REFERRAL_BONUS})


def policy_expiry(session: Session, shop_id: int, available_at: dt.datetime) -> dt.datetime | None:
    """When a lot that becomes spendable at ``available_at`` expires under the shop's policy."""
    settings, timezone = _expiry_settings(session, shop_id)
    if settings is None:
        return None
    return lot_expiry(settings.expiry_policy, settings.expiry_days, available_at,
                      settings.expiry_enabled_at, timezone)


def _expiry_settings(session: Session, shop_id: int) -> tuple[Any, str]:
    """The shop's settings and time zone: the webhook path's plain row when it read one."""
    row = cached_shop_row(session, shop_id)
    if row is not None:
        return row.settings, row.timezone
    shop = session.get(Shop, shop_id)
    return (shop.settings, shop.timezone) if shop is not None else (None, "UTC")


def credit(session: Session, account_id: int, *, kind: EntryKind, points: int,
           source: EntrySource, source_ref: str, key: str, now: dt.datetime,
           matures_at: dt.datetime | None = None,
           expires_at: dt.datetime | None | _FromPolicy = FROM_POLICY,
           order_id: int | None = None, earn: EarnDetails | None = None,
           reason: str | None = None, actor: str | None = None) -> LedgerEntry:
    """Add a lot of ``points``; pending until ``matures_at`` if that is in the future.

    The lot expires as the shop's policy says, counted from when it becomes
    spendable, unless ``expires_at`` is given (a merged lot keeps its date).
    Returns the existing entry unchanged when ``key`` was used before.
    """
    account, values = _credit_values(
        session, account_id, kind=kind, points=points, source=source, source_ref=source_ref,
        key=key, now=now, matures_at=matures_at, expires_at=expires_at, order_id=order_id,
        earn=earn, reason=reason, actor=actor)
    entry = _insert_entry(session, values)
    if entry is None:
        return _existing_entry(session, account.shop_id, key)
    _credited(session, account, values, entry.id, now, lot=entry)
    return entry


@dataclass(frozen=True)
class Credit:
    """A credit's values, for callers that need no entry object."""

    id: int
    shop_id: int
    account_id: int
    points: int
    status: EntryStatus
    matures_at: dt.datetime | None


def credit_values(session: Session, account_id: int, *, kind: EntryKind, points: int,
                  source: EntrySource, source_ref: str, key: str, now: dt.datetime,
                  matures_at: dt.datetime | None = None, order_id: int | None = None,
                  earn: EarnDetails | None = None, reason: str | None = None) -> Credit:
    """``credit``, returning plain values: the entry is written by a Core INSERT and no
    object is built for it (the webhook's earn needs its id and a few values only)."""
    account, values = _credit_values(
        session, account_id, kind=kind, points=points, source=source, source_ref=source_ref,
        key=key, now=now, matures_at=matures_at, expires_at=FROM_POLICY, order_id=order_id,
        earn=earn, reason=reason, actor=None)
    entry_id = insert_id_or_none(session, LedgerEntry, values, conflict=["shop_id", "idempotency_key"])
    if entry_id is None:
        existing = _existing_entry(session, account.shop_id, key)
        return Credit(existing.id, existing.shop_id, existing.account_id, existing.points,
                      existing.status, existing.matures_at)
    # Settling a debt needs the lot's object; rare enough to read it then.
    _credited(session, account, values, entry_id, now, lot=lambda: session.get(LedgerEntry, entry_id))
    return Credit(entry_id, account.shop_id, account.id, points, values["status"],
                  values["matures_at"])


def _credit_values(session: Session, account_id: int, *, kind: EntryKind, points: int,
                   source: EntrySource, source_ref: str, key: str, now: dt.datetime,
                   matures_at: dt.datetime | None, expires_at: dt.datetime | None | _FromPolicy,
                   order_id: int | None, earn: EarnDetails | None, reason: str | None,
                   actor: str | None) -> tuple[CustomerAccount, dict[str, Any]]:
    """The locked account that takes a credit, and the credit's entry as column values."""
    if points <= 0:
        raise ValueError("a credit needs a positive number of points")
    account = lock_account(session, account_id)
    pending = matures_at is not None and matures_at > now
    if isinstance(expires_at, _FromPolicy):
        expires_at = policy_expiry(session, account.shop_id, matures_at if pending else now)
    return account, dict(
        shop_id=account.shop_id, account_id=account.id, kind=kind, points=points,
        status=EntryStatus.PENDING if pending else EntryStatus.AVAILABLE, remaining=points,
        created_at=now, matures_at=matures_at if pending else None,
        matured_at=None if pending else now, expires_at=expires_at, source=source,
        source_ref=source_ref, idempotency_key=key, order_id=order_id, reason=reason, actor=actor,
        base_amount=earn.base_amount if earn else None, rate=earn.rate if earn else None,
        multiplier=earn.multiplier if earn else None, rule_version=earn.rule_version if earn else None,
    )


def _credited(session: Session, account: CustomerAccount, values: dict[str, Any], entry_id: int,
              now: dt.datetime, *, lot: LedgerEntry | Callable[[], LedgerEntry | None]) -> None:
    """What a new credit entry does to its account: balances, debts, the inactivity clock."""
    kind, points = values["kind"], values["points"]
    pending = values["status"] is EntryStatus.PENDING
    in_debt = account.available < 0
    _move_balances(session, account.id, kind=kind, points=points,
                   pending=points if pending else 0, available=0 if pending else points)
    if in_debt and not pending:
        entry = lot if isinstance(lot, LedgerEntry) else lot()
        assert entry is not None
        _settle_debts(session, account.id, entry, now)
    if kind in ACTIVITY_KINDS:
        _restart_inactivity_clock(session, account, now)
    log.info("ledger credit shop=%s account=%s entry=%s kind=%s points=%s",
             account.shop_id, account.id, entry_id, kind.value, points)


def debit(session: Session, account_id: int, *, kind: EntryKind, points: int,
          source: EntrySource, source_ref: str, key: str, now: dt.datetime,
          shortfall: Shortfall, order_id: int | None = None,
          preferred_lots: Sequence[int] = (), reason: str | None = None,
          actor: str | None = None) -> LedgerEntry | None:
    """Take ``points`` from the account's lots, soonest-expiring first.

    ``preferred_lots`` are consumed before any other (a refund takes back the
    order's own points first). Returns None when nothing was taken (clamped at
    zero), the existing entry when ``key`` was used before.
    """
    if points <= 0:
        raise ValueError("a debit needs a positive number of points")
    account = lock_account(session, account_id)
    existing = find_entry(session, account.shop_id, key)
    if existing is not None:
        return existing
    # Points past their expiry are gone even if the expiry job has not run yet.
    expire_lots(session, account.id, now)

    plan: list[tuple[LedgerEntry, int]] = []
    wanted = points
    for lot in _spendable_lots(session, account.id, preferred_lots, now):
        if wanted == 0:
            break
        take = min(lot.remaining, wanted)
        plan.append((lot, take))
        wanted -= take
    if wanted and shortfall is Shortfall.FAIL:
        raise InsufficientPoints(
            f"The customer has {points - wanted} points available, {points} are needed.",
            details={"available": points - wanted, "requested": points})
    debt = wanted if shortfall is Shortfall.DEBT else 0
    taken = points - wanted + debt
    if taken == 0:
        return None

    from_pending = sum(take for lot, take in plan if lot.status is EntryStatus.PENDING)
    entry = _insert_entry(session, dict(
        shop_id=account.shop_id, account_id=account.id, kind=kind, points=-taken,
        status=EntryStatus.PENDING if from_pending == taken else EntryStatus.AVAILABLE,
        remaining=debt, created_at=now, matured_at=now, source=source, source_ref=source_ref,
        idempotency_key=key, order_id=order_id, reason=reason, actor=actor,
    ))
    assert entry is not None, "the account lock makes the key check above final"
    for lot, take in plan:
        _allocate(session, lot_id=lot.id, debit_id=entry.id, shop_id=account.shop_id,
                  points=take, now=now)
    _move_balances(session, account.id, kind=kind, points=-taken,
                   pending=-from_pending, available=-(taken - from_pending))
    if kind in ACTIVITY_KINDS:
        _restart_inactivity_clock(session, account, now)
    log.info("ledger debit shop=%s account=%s entry=%s kind=%s points=%s debt=%s",
             account.shop_id, account.id, entry.id, kind.value, taken, debt)
    return entry


def expire_lots(session: Session, account_id: int, now: dt.datetime) -> LedgerEntry | None:
    """Take the unspent remainders of the account's lots whose expiry has passed."""
    account = lock_account(session, account_id)
    lots = session.execute(select(LedgerEntry).where(
        LedgerEntry.account_id == account.id, LedgerEntry.points > 0, LedgerEntry.remaining > 0,
        LedgerEntry.status == EntryStatus.AVAILABLE, LedgerEntry.expires_at <= now,
    ).order_by(LedgerEntry.id).execution_options(populate_existing=True)).scalars().all()
    total = sum(lot.remaining for lot in lots)
    if total == 0:
        return None
    entry = _insert_entry(session, dict(
        shop_id=account.shop_id, account_id=account.id, kind=EntryKind.EXPIRE, points=-total,
        status=EntryStatus.AVAILABLE, remaining=0, created_at=now, matured_at=now,
        source=EntrySource.EXPIRY, source_ref=",".join(str(lot.id) for lot in lots)[:128],
        # The lock and the re-read above make a second run find nothing; the key only
        # has to be unique.
        idempotency_key=f"expire:{account.id}:{lots[0].id}:{lots[-1].id}:{total}:{now.isoformat()}",
        reason="Points expired",
    ))
    assert entry is not None
    for lot in lots:
        _allocate(session, lot_id=lot.id, debit_id=entry.id, shop_id=account.shop_id,
                  points=lot.remaining, now=now)
    _move_balances(session, account.id, kind=EntryKind.EXPIRE, points=-total, pending=0,
                   available=-total)
    outbox.points_expired(session, entry, now)
    log.info("ledger expire shop=%s account=%s entry=%s points=%s", account.shop_id, account.id,
             entry.id, total)
    return entry


def _restart_inactivity_clock(session: Session, account: CustomerAccount, now: dt.datetime) -> None:
    settings, _ = _expiry_settings(session, account.shop_id)
    if settings is None or settings.expiry_policy is not ExpiryPolicy.INACTIVITY:
        return
    deadline = policy_expiry(session, account.shop_id, now)
    session.execute(update(LedgerEntry).where(
        LedgerEntry.account_id == account.id, LedgerEntry.points > 0, LedgerEntry.remaining > 0,
    ).values(expires_at=deadline).execution_options(synchronize_session=False))


def _insert_entry(session: Session, values: dict) -> LedgerEntry | None:
    """The new entry, or None when its idempotency key exists (the database decides)."""
    return insert_or_none(session, LedgerEntry, values, conflict=["shop_id", "idempotency_key"])


def _existing_entry(session: Session, shop_id: int, key: str) -> LedgerEntry:
    entry = find_entry(session, shop_id, key)
    assert entry is not None
    return entry


def mature_due(session: Session, now: dt.datetime, *, shop_id: int | None = None,
               limit: int = 500) -> int:
    """Make pending lots whose time has come available; returns how many matured."""
    stmt = (select(LedgerEntry.account_id).where(
        LedgerEntry.status == EntryStatus.PENDING, LedgerEntry.points > 0,
        LedgerEntry.matures_at <= now).distinct().limit(limit))
    if shop_id is not None:
        stmt = stmt.where(LedgerEntry.shop_id == shop_id)
    matured = 0
    for account_id in session.execute(stmt).scalars().all():
        matured += mature_account(session, account_id, now)
    return matured


def mature_account(session: Session, account_id: int, now: dt.datetime) -> int:
    lock_account(session, account_id)
    lots = session.execute(select(LedgerEntry).where(
        LedgerEntry.account_id == account_id, LedgerEntry.status == EntryStatus.PENDING,
        LedgerEntry.points > 0, LedgerEntry.matures_at <= now,
    ).order_by(LedgerEntry.id)).scalars().all()
    for lot in lots:
        lot.status = EntryStatus.AVAILABLE
        lot.matured_at = now
        session.flush()
        if lot.remaining:
            account = session.get(CustomerAccount, account_id)
            in_debt = account is not None and account.available < 0
            _move_balances(session, account_id, kind=None, points=0,
                           pending=-lot.remaining, available=lot.remaining)
            if in_debt:
                _settle_debts(session, account_id, lot, now)
    return len(lots)


def _spendable_lots(session: Session, account_id: int, preferred: Sequence[int],
                    now: dt.datetime) -> list[LedgerEntry]:
    preferred_lots: list[LedgerEntry] = []
    if preferred:
        preferred_lots = list(session.execute(select(LedgerEntry).where(
            LedgerEntry.id.in_(preferred), LedgerEntry.account_id == account_id,
            LedgerEntry.points > 0, LedgerEntry.remaining > 0,
        ).order_by(case((LedgerEntry.status == EntryStatus.PENDING, 0), else_=1), LedgerEntry.id)
            .execution_options(populate_existing=True)).scalars())
    others = session.execute(select(LedgerEntry).where(
        LedgerEntry.account_id == account_id, LedgerEntry.points > 0, LedgerEntry.remaining > 0,
        LedgerEntry.status == EntryStatus.AVAILABLE,
        (LedgerEntry.expires_at.is_(None)) | (LedgerEntry.expires_at > now),
        LedgerEntry.id.not_in(preferred) if preferred else True,
    ).order_by(nulls_last(LedgerEntry.expires_at.asc()), LedgerEntry.id)
        .execution_options(populate_existing=True)).scalars().all()
    return preferred_lots + list(others)


def _settle_debts(session: Session, account_id: int, lot: LedgerEntry, now: dt.datetime) -> None:
    """A new available lot first covers any negative balance, oldest debt first."""
    debts = session.execute(select(LedgerEntry).where(
        LedgerEntry.account_id == account_id, LedgerEntry.points < 0, LedgerEntry.remaining > 0,
    ).order_by(LedgerEntry.id).execution_options(populate_existing=True)).scalars().all()
    available = lot.remaining
    for debt in debts:
        if available == 0:
            break
        take = min(available, debt.remaining)
        _allocate(session, lot_id=lot.id, debit_id=debt.id, shop_id=lot.shop_id, points=take, now=now)
        session.execute(update(LedgerEntry).where(LedgerEntry.id == debt.id)
                        .values(remaining=LedgerEntry.remaining - take))
        available -= take
    session.refresh(lot, ["remaining"])


def _allocate(session: Session, *, lot_id: int, debit_id: int, shop_id: int, points: int,
              now: dt.datetime) -> None:
    session.add(LotAllocation(shop_id=shop_id, lot_entry_id=lot_id, debit_entry_id=debit_id,
                              points=points, created_at=now))
    session.execute(update(LedgerEntry).where(LedgerEntry.id == lot_id)
                    .values(remaining=LedgerEntry.remaining - points))


_MOVE_BALANCES = DriverStatement(_ACCOUNTS.update().where(_ACCOUNTS.c.id == bindparam("account_id")).values(
    available=_ACCOUNTS.c.available + bindparam("available_by"),
    pending=_ACCOUNTS.c.pending + bindparam("pending_by"),
    lifetime=_ACCOUNTS.c.lifetime + bindparam("lifetime_by")))


def _move_balances(session: Session, account_id: int, *, kind: EntryKind | None, points: int,
                   pending: int, available: int) -> None:
    lifetime = points if kind in LIFETIME_KINDS else 0
    _MOVE_BALANCES.execute(session, {"account_id": account_id, "available_by": available,
                                     "pending_by": pending, "lifetime_by": lifetime})
    # The row is locked by this transaction, so the loaded copy can follow without a read.
    account = session.identity_map.get(identity_key(CustomerAccount, account_id))
    if account is not None:
        set_committed_value(account, "available", account.available + available)
        set_committed_value(account, "pending", account.pending + pending)
        set_committed_value(account, "lifetime", account.lifetime + lifetime)


@dataclass(frozen=True)
class Mismatch:
    account_id: int
    field: str
    cached: int
    ledger: int


def verify_balances(session: Session, *, shop_id: int | None = None) -> list[Mismatch]:
    """Recompute every account's balances from entries and allocations; list the differences."""
    mismatches: list[Mismatch] = []
    allocated_from = (select(LotAllocation.lot_entry_id.label("entry_id"),
                             func.sum(LotAllocation.points).label("points"))
                      .group_by(LotAllocation.lot_entry_id))
    allocated_to = (select(LotAllocation.debit_entry_id.label("entry_id"),
                           func.sum(LotAllocation.points).label("points"))
                    .group_by(LotAllocation.debit_entry_id))
    for name, subquery, sign in (("lot", allocated_from, 1), ("debit", allocated_to, -1)):
        sub = subquery.subquery()
        stmt = (select(LedgerEntry.account_id, LedgerEntry.id, LedgerEntry.points,
                       LedgerEntry.remaining, func.coalesce(sub.c.points, 0))
                .outerjoin(sub, sub.c.entry_id == LedgerEntry.id)
                .where(LedgerEntry.points * sign > 0))
        if shop_id is not None:
            stmt = stmt.where(LedgerEntry.shop_id == shop_id)
        for account_id, entry_id, points, remaining, allocated in session.execute(stmt):
            expected = abs(points) - allocated
            if remaining != expected or expected < 0:
                mismatches.append(Mismatch(account_id, f"{name} {entry_id} remaining",
                                           remaining, expected))

    is_credit = LedgerEntry.points > 0
    derived = (select(
        LedgerEntry.account_id.label("account_id"),
        func.sum(case((is_credit & (LedgerEntry.status == EntryStatus.PENDING),
                       LedgerEntry.remaining), else_=0)).label("pending"),
        func.sum(case((is_credit & (LedgerEntry.status == EntryStatus.AVAILABLE),
                       LedgerEntry.remaining),
                      (LedgerEntry.points < 0, -LedgerEntry.remaining), else_=0)).label("available"),
        func.sum(case((LedgerEntry.kind.in_(list(LIFETIME_KINDS)), LedgerEntry.points),
                      else_=0)).label("lifetime"),
    ).group_by(LedgerEntry.account_id)).subquery()
    stmt = (select(CustomerAccount.id, CustomerAccount.pending, CustomerAccount.available,
                   CustomerAccount.lifetime,
                   func.coalesce(derived.c.pending, 0), func.coalesce(derived.c.available, 0),
                   func.coalesce(derived.c.lifetime, 0))
            .outerjoin(derived, derived.c.account_id == CustomerAccount.id))
    if shop_id is not None:
        stmt = stmt.where(CustomerAccount.shop_id == shop_id)
    for row in session.execute(stmt):
        account_id, *cached_and_derived = row
        for field, cached, ledger in zip(("pending", "available", "lifetime"),
                                         cached_and_derived[:3], cached_and_derived[3:]):
            if int(cached) != int(ledger):
                mismatches.append(Mismatch(account_id, field, int(cached), int(ledger)))
    return mismatches
