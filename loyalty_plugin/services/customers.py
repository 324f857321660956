"""Customer lifecycle from the platform: sign-up, profile changes, privacy requests."""
from __future__ import annotations

import datetime as dt
import logging

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from ..events import CustomerRef, Outcome
from ..models import (CustomerAccount, EntryKind, EntrySource, InboundDelivery, Order, Shop, ShopStatus,
                      TierChangeReason)
from . import ledger, tiers
from .accounts import normalise_email, resolve_account
from .addresses import forget_addresses
from .referrals import forget_friends

log = logging.getLogger(__name__)


def apply_customer_changed(session: Session, shop: Shop, ref: CustomerRef, *, created: bool,
                           now: dt.datetime) -> Outcome:
    account = resolve_account(session, shop, ref, now)
    if account is None:
        return Outcome(note="customer has neither id nor email", ignored=True)
    notes = ["customer created" if created else "customer updated"]
    bonus = shop.settings.signup_bonus_points
    if created and bonus > 0 and ref.platform_id and shop.status is ShopStatus.ACTIVE:
        ledger.credit(session, account.id, kind=EntryKind.SIGNUP_BONUS, points=bonus,
                      source=EntrySource.CUSTOMER, source_ref=ref.platform_id,
                      key=f"customer:{ref.platform_id}:signup_bonus", now=now, reason="Sign-up bonus")
        notes.append(f"sign-up bonus of {bonus} points")
        tiers.evaluate_account(session, shop, account.id, now, trigger=TierChangeReason.PROMOTION)
    session.flush()
    return Outcome(note="; ".join(notes), account_id=account.id)


def _accounts_for(session: Session, shop_id: int, ref: CustomerRef) -> list[CustomerAccount]:
    conditions = []
    if ref.platform_id:
        conditions.append(CustomerAccount.platform_customer_id == ref.platform_id)
    email = normalise_email(ref.email)
    if email:
        conditions.append(CustomerAccount.email == email)
    if not conditions:
        return []
    return list(session.execute(select(CustomerAccount).where(
        CustomerAccount.shop_id == shop_id, or_(*conditions))).scalars())


def record_data_request(session: Session, shop: Shop, ref: CustomerRef,
                        order_ids: tuple[str, ...]) -> Outcome:
    accounts = _accounts_for(session, shop.id, ref)
    log.info("customer data request shop=%s accounts=%s orders=%s", shop.id,
             [a.id for a in accounts], len(order_ids))
    return Outcome(note=f"data request recorded: {len(accounts)} account(s), {len(order_ids)} order(s)",
                   account_id=accounts[0].id if accounts else None)


def redact_customer(session: Session, shop: Shop, ref: CustomerRef, order_ids: tuple[str, ...],
                    now: dt.datetime) -> Outcome:
    """Erase personal data; balances and ledger totals stay, attached to an anonymous account."""
    accounts = _accounts_for(session, shop.id, ref)
    if accounts:
        # Guest accounts merged into theirs carry their old deliveries.
        accounts += session.execute(select(CustomerAccount).where(
            CustomerAccount.merged_into_id.in_([a.id for a in accounts]))).scalars().all()
    account_ids = [a.id for a in accounts]
    for account in accounts:
        account.email = None
        account.first_name = None
        account.last_name = None
        account.platform_customer_id = None
        account.birth_month = account.birth_day = account.birth_year = None
        account.birthday_set_at = None
        account.redacted_at = now
    # The stored delivery bodies carry names, emails and addresses: erase them too.
    conditions = []
    if account_ids:
        conditions.append(InboundDelivery.account_id.in_(account_ids))
    if order_ids:
        conditions.append(InboundDelivery.platform_order_id.in_(list(order_ids)))
    erased = 0
    if conditions:
        erased = session.execute(
            update(InboundDelivery).where(InboundDelivery.shop_id == shop.id, or_(*conditions))
            .values(body=None, headers={}).execution_options(synchronize_session=False)).rowcount
    if account_ids:
        session.execute(update(Order).where(Order.account_id.in_(account_ids)).values(name=None)
                        .execution_options(synchronize_session=False))
    forget_addresses(session, account_ids)
    forget_friends(session, shop.id, account_ids, normalise_email(ref.email))
    session.flush()
    log.info("customer redacted shop=%s accounts=%s deliveries=%s", shop.id, account_ids, erased)
    return Outcome(note=f"redacted {len(accounts)} account(s) and {erased} stored delivery body(ies)")
