"""Discount code records: creating them, listing them, and what happens to them later
(used on an order, expired, points returned)."""
from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from decimal import Decimal

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from ..errors import Conflict, ErrorCode, NotFound
from ..events import OrderSnapshot
from ..models import (CodeOrigin, CodeStatus, CustomerAccount, EntryKind, EntrySource, LedgerEntry,
                      Platform, RewardCode, RewardKind, Shop)
from ..providers.discounts import DiscountSpec
from ..providers.native import NATIVE
from ..rules.codes import clean_prefix, generate_code, normalise_code
from . import ledger
from .queries import newest_first
from .sql import insert_or_none

log = logging.getLogger(__name__)

_ATTEMPTS = 5  # a clash in 60 random bits is already unheard of; five in a row is a bug
# Codes the platform may still honour: an order naming one consumed it.
_USABLE_ON_PLATFORM = (CodeStatus.PENDING, CodeStatus.ISSUED, CodeStatus.EXPIRED)


def insert_code(session: Session, shop: Shop, account: CustomerAccount, *, reward_id: int,
                kind: RewardKind, value: Decimal, min_order_subtotal: Decimal,
                product_variant_id: str | None, points_spent: int, debit_entry_id: int | None,
                provider: str, expires_at: dt.datetime, now: dt.datetime,
                origin: CodeOrigin = CodeOrigin.REDEMPTION, grant_key: str | None = None) -> RewardCode:
    """A new PENDING code record with a fresh random code string."""
    prefix = clean_prefix(shop.settings.code_prefix, shop.domain)
    for _ in range(_ATTEMPTS):
        code = insert_or_none(session, RewardCode, dict(
            shop_id=shop.id, account_id=account.id, reward_id=reward_id,
            code=generate_code(prefix), status=CodeStatus.PENDING, origin=origin, kind=kind,
            value=value, min_order_subtotal=min_order_subtotal,
            product_variant_id=product_variant_id, points_spent=points_spent,
            debit_entry_id=debit_entry_id, grant_key=grant_key, provider=provider,
            expires_at=expires_at, created_at=now), conflict=["shop_id", "code"])
        if code is not None:
            return code
    raise RuntimeError(f"no free code after {_ATTEMPTS} attempts for shop {shop.id}")


def expected_provider(shop: Shop) -> str:
    """Who will hold a code recorded before any provider was asked; issuing records who did."""
    return NATIVE if shop.platform is Platform.CUSTOM else shop.platform.value


def find_code(session: Session, shop_id: int, text: str, *, lock: bool = False) -> RewardCode | None:
    code = normalise_code(text)
    if code is None:
        return None
    stmt = select(RewardCode).where(RewardCode.shop_id == shop_id, RewardCode.code == code)
    if lock:
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    return session.execute(stmt).scalar_one_or_none()


def get_code(session: Session, shop_id: int, text: str, *, lock: bool = False) -> RewardCode:
    code = find_code(session, shop_id, text, lock=lock)
    if code is None:
        raise NotFound(f"No discount code {text[:64]!r} in this shop.", code=ErrorCode.CODE_NOT_FOUND)
    return code


def list_codes(session: Session, *, shop_id: int, limit: int, cursor: int | None,
               account_id: int | None = None, status: CodeStatus | None = None,
               origin: CodeOrigin | None = None, reward_id: int | None = None,
               ) -> tuple[list[RewardCode], int | None]:
    """The shop's codes newest first, or one customer's, optionally filtered;
    ``cursor`` is the last id of the previous page."""
    stmt = select(RewardCode).where(RewardCode.shop_id == shop_id)
    if account_id is not None:
        stmt = stmt.where(RewardCode.account_id == account_id)
    if status is not None:
        stmt = stmt.where(RewardCode.status == status)
    if origin is not None:
        stmt = stmt.where(RewardCode.origin == origin)
    if reward_id is not None:
        stmt = stmt.where(RewardCode.reward_id == reward_id)
    return newest_first(session, stmt, RewardCode.id, limit=limit, cursor=cursor)


def discount_spec(shop: Shop, account: CustomerAccount, code: RewardCode) -> DiscountSpec:
    kind = RewardKind.FIXED_AMOUNT if code.kind is RewardKind.VARIABLE else code.kind
    title = f"Loyalty reward {code.code}" + (f" ({code.points_spent} points)" if code.points_spent else "")
    return DiscountSpec(
        code=code.code, kind=kind, value=code.value, currency=shop.currency,
        min_order_subtotal=code.min_order_subtotal, product_variant_id=code.product_variant_id,
        customer_platform_id=account.platform_customer_id, customer_email=account.email,
        starts_at=code.created_at, expires_at=code.expires_at, title=title)


def return_points(session: Session, code: RewardCode, now: dt.datetime, reason: str) -> LedgerEntry | None:
    """Give back what the code cost, once: the credit's key is derived from the debit."""
    if code.debit_entry_id is None or code.points_spent == 0:
        return None
    entry = ledger.credit(session, code.account_id, kind=EntryKind.REDEEM_REFUND,
                          points=code.points_spent, source=EntrySource.REDEMPTION,
                          source_ref=code.code, key=f"redeem-refund:{code.debit_entry_id}",
                          now=now, reason=reason)
    code.refund_entry_id = entry.id
    return entry


def check_cancellable(session: Session, shop_id: int, text: str, now: dt.datetime,
                      lease: dt.timedelta) -> RewardCode:
    """The code, if the shop may cancel it: issued, already cancelled (a repeat), or pending
    for longer than any request could still be issuing it."""
    code = get_code(session, shop_id, text)
    fresh = code.status is CodeStatus.PENDING and code.created_at > now - lease
    if fresh or code.status not in (CodeStatus.ISSUED, CodeStatus.PENDING, CodeStatus.CANCELLED):
        raise Conflict(f"The code is {code.status.value} and cannot be cancelled"
                       + (" yet; retry in a minute." if fresh else "."),
                       code=ErrorCode.CODE_NOT_CANCELLABLE, details={"status": code.status.value})
    return code


def cancel_code(session: Session, code: RewardCode, now: dt.datetime) -> RewardCode:
    """CANCELLED and the points back, once. Call after the platform revoked the code."""
    ledger.lock_account(session, code.account_id)  # accounts before codes, as everywhere
    changed = session.execute(update(RewardCode).where(
        RewardCode.id == code.id, RewardCode.status.in_((CodeStatus.ISSUED, CodeStatus.PENDING)),
    ).values(status=CodeStatus.CANCELLED, cancelled_at=now)
        .execution_options(synchronize_session=False)).rowcount
    session.refresh(code)
    if changed:
        return_points(session, code, now, reason=f"Code {code.code} cancelled by the shop")
        session.flush()
        log.info("code cancelled shop=%s code=%s", code.shop_id, code.id)
    elif code.status is not CodeStatus.CANCELLED:
        raise Conflict(f"The code was {code.status.value} meanwhile and cannot be cancelled.",
                       code=ErrorCode.CODE_NOT_CANCELLABLE, details={"status": code.status.value})
    return code


def mark_used_by_order(session: Session, shop: Shop, snap: OrderSnapshot, now: dt.datetime) -> int:
    """Codes of this shop that the order names are used by it, with the order's revenue.

    Idempotent: a code already used keeps its first order. Returns how many changed.
    """
    codes = _normalised(snap.discount_codes)
    if not codes:
        return 0
    revenue = snap.amounts.items + snap.amounts.shipping + snap.amounts.taxes
    result = session.execute(
        update(RewardCode)
        .where(RewardCode.shop_id == shop.id, RewardCode.code.in_(codes),
               RewardCode.status.in_(_USABLE_ON_PLATFORM))
        .values(status=CodeStatus.USED, used_at=now, used_order_id=snap.order_id,
                order_revenue=revenue)
        .execution_options(synchronize_session=False))
    if result.rowcount:
        log.info("codes used shop=%s order=%s count=%s", shop.id, snap.order_id, result.rowcount)
    return result.rowcount


def _normalised(texts: Iterable[str]) -> list[str]:
    return sorted({code for code in map(normalise_code, texts) if code})


def expire_codes(session: Session, shop: Shop, now: dt.datetime) -> int:
    """Issued codes past their expiry become EXPIRED; the points are not returned."""
    result = session.execute(
        update(RewardCode)
        .where(RewardCode.shop_id == shop.id, RewardCode.status == CodeStatus.ISSUED,
               RewardCode.expires_at <= now)
        .values(status=CodeStatus.EXPIRED).execution_options(synchronize_session=False))
    if result.rowcount:
        log.info("codes expired shop=%s count=%s", shop.id, result.rowcount)
    return result.rowcount


def shops_with_expired_codes(session: Session, now: dt.datetime) -> list[int]:
    return list(session.execute(select(RewardCode.shop_id).where(
        RewardCode.status == CodeStatus.ISSUED, RewardCode.expires_at <= now).distinct()).scalars())
