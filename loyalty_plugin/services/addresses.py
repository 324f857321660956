"""Customers' postal addresses, kept only as digests for the referral self-referral check.

Platforms report addresses on orders and customer records; the program keeps one
digest per distinct address and account, and only while the shop runs referrals,
since nothing else needs them.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import delete, or_, select
from sqlalchemy.orm import Session

from ..events import PostalAddress
from ..models import CustomerAccount, CustomerAddress, Shop
from ..rules.referrals import address_digest, normalise_address
from .sql import insert_ignore


def digest_of(address: PostalAddress | None) -> str | None:
    if address is None:
        return None
    normalised = normalise_address(address.line1, address.line2, address.city, address.postal_code)
    return address_digest(normalised) if normalised else None


def remember_address(session: Session, shop: Shop, account_id: int, address: PostalAddress | None,
                     now: dt.datetime) -> None:
    digest = digest_of(address)
    if digest is None or not shop.settings.referrals_enabled:
        return
    insert_ignore(session, CustomerAddress, dict(shop_id=shop.id, account_id=account_id,
                                                 digest=digest, created_at=now),
                  conflict=["account_id", "digest"])


def lives_at(session: Session, account_id: int, digest: str) -> bool:
    """Whether the account, or a guest account merged into it, was ever reported at ``digest``."""
    holders = select(CustomerAccount.id).where(
        or_(CustomerAccount.id == account_id, CustomerAccount.merged_into_id == account_id))
    return session.execute(select(CustomerAddress.id).where(
        CustomerAddress.account_id.in_(holders), CustomerAddress.digest == digest).limit(1)
    ).first() is not None


def forget_addresses(session: Session, account_ids: list[int]) -> None:
    if account_ids:
        session.execute(delete(CustomerAddress).where(CustomerAddress.account_id.in_(account_ids))
                        .execution_options(synchronize_session=False))
