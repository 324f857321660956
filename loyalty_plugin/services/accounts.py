"""Finding, creating and joining customer accounts."""
from __future__ import annotations

import datetime as dt
import hashlib
import logging

from sqlalchemy import BigInteger, bindparam, func, select, text, update
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm import Session

from ..events import CustomerRef
from ..models import CustomerAccount, EntryKind, EntrySource, LedgerEntry, Shop
from . import ledger
from .addresses import remember_address
from .driver_sql import DriverStatement
from .sql import insert_or_none, load_rows

log = logging.getLogger(__name__)

_ADVISORY_LOCK = DriverStatement(select(func.pg_advisory_xact_lock(bindparam("key", type_=BigInteger))))


def normalise_email(email: str | None) -> str | None:
    """Lower-cased and trimmed; None for anything that is not an address."""
    if not email:
        return None
    email = email.strip().lower()
    local, _, domain = email.rpartition("@")
    if not local or "." not in domain or len(email) > 320 or any(c.isspace() for c in email):
        return None
    return email


# Built once: every storefront request and most webhooks look a customer up this way.
_BY_EXTERNAL_ID = select(CustomerAccount).where(
    CustomerAccount.shop_id == bindparam("shop_id"),
    CustomerAccount.platform_customer_id == bindparam("external_id"))


def find_by_external_id(session: Session, shop_id: int, external_id: str) -> CustomerAccount | None:
    return session.execute(_BY_EXTERNAL_ID, {"shop_id": shop_id, "external_id": external_id}
                           ).scalar_one_or_none()


def _find_guest(session: Session, shop_id: int, email: str) -> CustomerAccount | None:
    return session.execute(select(CustomerAccount).where(
        CustomerAccount.shop_id == shop_id, CustomerAccount.platform_customer_id.is_(None),
        CustomerAccount.email == email)).scalar_one_or_none()


_ACCOUNTS = CustomerAccount.__table__
_REGISTERED = DriverStatement(select(_ACCOUNTS).where(
    _ACCOUNTS.c.shop_id == bindparam("shop_id"),
    _ACCOUNTS.c.platform_customer_id == bindparam("platform_id")))
_REGISTERED_AND_GUEST = DriverStatement(select(_ACCOUNTS).where(
    _ACCOUNTS.c.shop_id == bindparam("shop_id"),
    (_ACCOUNTS.c.platform_customer_id == bindparam("platform_id"))
    | (_ACCOUNTS.c.platform_customer_id.is_(None) & (_ACCOUNTS.c.email == bindparam("email")))))


def _registered_and_guest(session: Session, shop_id: int, platform_id: str, email: str | None
                          ) -> tuple[CustomerAccount | None, CustomerAccount | None]:
    """In one query: the account of ``platform_id``, and the guest account of ``email``."""
    stmt, params = _REGISTERED_AND_GUEST, {"shop_id": shop_id, "platform_id": platform_id, "email": email}
    if not email:
        stmt, params = _REGISTERED, {"shop_id": shop_id, "platform_id": platform_id}
    rows = load_rows(session, CustomerAccount, stmt, params)
    registered = next((a for a in rows if a.platform_customer_id == platform_id), None)
    guest = next((a for a in rows if a.platform_customer_id is None), None)
    return registered, guest


def _find_single_registered(session: Session, shop_id: int, email: str) -> CustomerAccount | None:
    rows = session.execute(select(CustomerAccount).where(
        CustomerAccount.shop_id == shop_id, CustomerAccount.platform_customer_id.is_not(None),
        CustomerAccount.email == email).limit(2)).scalars().all()
    return rows[0] if len(rows) == 1 else None


def resolve_account(session: Session, shop: Shop, ref: CustomerRef,
                    now: dt.datetime) -> CustomerAccount | None:
    """The account a customer reference belongs to, created if needed.

    A platform customer id wins. A guest (email only) joins the one registered
    account with that email if there is one, else a guest account keyed by the
    email. When the platform later names the customer, the guest account is
    claimed or merged into theirs, so no points are lost.
    """
    account = _resolve(session, shop, ref, now)
    if account is not None and ref.address is not None:
        remember_address(session, shop, account.id, ref.address, now)
    return account


def _resolve(session: Session, shop: Shop, ref: CustomerRef, now: dt.datetime) -> CustomerAccount | None:
    email = normalise_email(ref.email)
    if email:
        _lock_email(session, shop.id, email)
    if ref.platform_id:
        account, guest = _registered_and_guest(session, shop.id, ref.platform_id, email)
        if account is None and guest is not None and _claim_guest(session, guest, ref.platform_id):
            account, guest = guest, None
        if account is None:
            account = insert_or_none(session, CustomerAccount, _new_account(shop, ref, email, now),
                                     conflict=["shop_id", "platform_customer_id"])
            if account is not None:
                ledger.mark_locked(session, account.id)  # inserted by this transaction
            else:
                account = find_by_external_id(session, shop.id, ref.platform_id)
            assert account is not None
        elif guest is not None:
            merge_accounts(session, guest, account, now)
        _update_profile(session, account, ref, email)
        return account
    if email:
        account = _find_single_registered(session, shop.id, email)
        if account is not None:
            return account
        account = insert_or_none(session, CustomerAccount,
                                 _new_account(shop, CustomerRef(email=email, first_name=ref.first_name,
                                                                last_name=ref.last_name), email, now),
                                 conflict=["shop_id", "email"],
                                 where=text("platform_customer_id IS NULL"))
        if account is not None:
            ledger.mark_locked(session, account.id)  # inserted by this transaction
        else:
            account = _find_guest(session, shop.id, email)
        assert account is not None
        _update_profile(session, account, ref, email)
        return account
    return None


def _lock_email(session: Session, shop_id: int, email: str) -> None:
    """Serialise everything that may create, claim or merge the accounts of one email.

    Without it a guest order and a registered order with the same email, running
    at once, could each miss the other's new account. SQLite transactions are
    already serial.
    """
    if session.get_bind().dialect.name != "postgresql":
        return
    digest = hashlib.sha256(f"account-email:{shop_id}:{email}".encode()).digest()
    _ADVISORY_LOCK.rows(session, {"key": int.from_bytes(digest[:8], "big", signed=True)})


def _new_account(shop: Shop, ref: CustomerRef, email: str | None, now: dt.datetime) -> dict:
    return dict(shop_id=shop.id, platform_customer_id=ref.platform_id, email=email,
                first_name=ref.first_name, last_name=ref.last_name, available=0, pending=0,
                lifetime=0, created_at=now, updated_at=now,
                # Nothing to re-evaluate or re-date yet: it starts on the shop's current rules.
                tiers_version=shop.settings.tiers_version,
                expiry_version=shop.settings.expiry_version)


def _claim_guest(session: Session, guest: CustomerAccount, platform_id: str) -> bool:
    # Conditional, so two deliveries racing for the same guest cannot both claim it.
    claimed = session.execute(
        update(CustomerAccount)
        .where(CustomerAccount.id == guest.id, CustomerAccount.platform_customer_id.is_(None))
        .values(platform_customer_id=platform_id).execution_options(synchronize_session=False))
    if claimed.rowcount != 1:
        return False
    set_committed_value(guest, "platform_customer_id", platform_id)
    ledger.mark_locked(session, guest.id)  # the UPDATE holds its row lock
    log.info("guest account joined shop=%s account=%s", guest.shop_id, guest.id)
    return True


def _update_profile(session: Session, account: CustomerAccount, ref: CustomerRef,
                    email: str | None) -> None:
    if email and account.email != email:
        account.email = email
    if ref.first_name is not None and account.first_name != ref.first_name:
        account.first_name = ref.first_name
    if ref.last_name is not None and account.last_name != ref.last_name:
        account.last_name = ref.last_name
    if session.is_modified(account):
        # Now, so a later locking read of the account cannot overwrite the change.
        session.flush()


def merge_accounts(session: Session, source: CustomerAccount, target: CustomerAccount,
                   now: dt.datetime) -> None:
    """Move a guest account's open lots (with their dates) and debts into ``target``."""
    first, second = sorted((source.id, target.id))
    ledger.lock_account(session, first)
    ledger.lock_account(session, second)
    lots = session.execute(select(LedgerEntry).where(
        LedgerEntry.account_id == source.id, LedgerEntry.remaining > 0,
    ).order_by(LedgerEntry.id)).scalars().all()
    for entry in lots:
        ref = f"{source.id}:{entry.id}"
        if entry.points > 0:
            ledger.credit(session, target.id, kind=EntryKind.MERGE_IN, points=entry.remaining,
                          source=EntrySource.MERGE, source_ref=ref, key=f"merge:{ref}:in", now=now,
                          matures_at=entry.matures_at, expires_at=entry.expires_at,
                          order_id=entry.order_id)
            ledger.debit(session, source.id, kind=EntryKind.MERGE_OUT, points=entry.remaining,
                         source=EntrySource.MERGE, source_ref=ref, key=f"merge:{ref}:out", now=now,
                         shortfall=ledger.Shortfall.FAIL, preferred_lots=[entry.id],
                         order_id=entry.order_id)
        else:
            # A debt moves too: the target owes it, a credit clears it on the source.
            debt = entry.remaining
            ledger.debit(session, target.id, kind=EntryKind.MERGE_IN, points=debt,
                         source=EntrySource.MERGE, source_ref=ref, key=f"merge:{ref}:in", now=now,
                         shortfall=ledger.Shortfall.DEBT)
            ledger.credit(session, source.id, kind=EntryKind.MERGE_OUT, points=debt,
                          source=EntrySource.MERGE, source_ref=ref, key=f"merge:{ref}:out", now=now)
    # Orders and deliveries keep pointing at the source: ledger writes follow
    # ``merged_into_id`` (see ledger.lock_account), so no other transaction's locked
    # order row has to be touched here.
    source.merged_into_id = target.id
    source.email = None
    session.flush()
    log.info("accounts merged shop=%s source=%s target=%s", source.shop_id, source.id, target.id)
