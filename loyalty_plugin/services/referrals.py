"""Referral codes and recording a referral, with the fraud checks.

Recording locks the referrer's account, so one referrer's referrals are checked
against the limit one at a time; the unique index on the friend's mailbox makes
sure a friend has one live referral however many requests race. A refused
referral is kept as ``rejected`` with its reason, so the shop sees attempts.
"""
from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from ..errors import Conflict, ErrorCode, Unprocessable
from ..events import CustomerRef, PostalAddress
from ..models import (CustomerAccount, EntryKind, LedgerEntry, Order, ProgramSettings, Referral,
                      ReferralReason, ReferralStatus, ReferrerReward, Shop)
from ..models.referral import LIVE_REFERRAL
from ..rules.referrals import email_identity, parse_referral_code
from . import ledger, referral_rewards
from .accounts import find_by_external_id, normalise_email, resolve_account
from .addresses import digest_of, lives_at, remember_address
from .sql import insert_or_none

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Friend:
    email: str
    external_id: str | None = None
    address: PostalAddress | None = None


@dataclass(frozen=True)
class Recorded:
    referral: Referral
    created: bool


def update_program(session: Session, shop: Shop, changes: dict) -> ProgramSettings:
    """Change the program; a reward it names must be one a referral can give."""
    for field in ("welcome_reward_id", "referrer_reward_id"):
        if changes.get(field) is not None:
            referral_rewards.check_reward(session, shop.id, changes[field], field)
    settings = shop.settings
    after = {key: changes.get(key, getattr(settings, key))
             for key in ("referrer_reward", "referrer_reward_id")}
    if after["referrer_reward"] is ReferrerReward.REWARD and after["referrer_reward_id"] is None:
        raise Unprocessable("A referrer rewarded with a code needs the reward: set referrer_reward_id.",
                            details={"fields": {"referrer_reward_id": ["Required when referrer_reward "
                                                                       "is 'reward'."]}})
    for key, value in changes.items():
        setattr(settings, key, value)
    session.flush()
    return settings


def record_referral(session: Session, shop: Shop, *, code: str, friend: Friend,
                    now: dt.datetime) -> Recorded:
    if not shop.settings.referrals_enabled:
        raise Conflict("This shop's referral program is turned off.", code=ErrorCode.REFERRALS_DISABLED)
    referrer = _referrer(session, shop, code)
    email = normalise_email(friend.email)
    identity = email_identity(email)
    if email is None or identity is None:
        raise Unprocessable("The friend's email is not an email address.",
                            details={"fields": {"friend": {"email": ["Not a valid email address."]}}})
    referrer = ledger.lock_account(session, referrer.id)
    existing = _live_referral(session, shop.id, identity)
    if existing is not None:
        return _again(existing, referrer)
    values = dict(shop_id=shop.id, referrer_account_id=referrer.id, friend_email=email,
                  friend_identity=identity, friend_external_id=friend.external_id,
                  friend_address_digest=digest_of(friend.address), referrer_points=0, created_at=now)
    reason = _refusal(session, shop, referrer, friend, email, identity, now)
    if reason is not None:
        referral = Referral(status=ReferralStatus.REJECTED, reason=reason, closed_at=now, **values)
        session.add(referral)
        session.flush()
        log.info("referral rejected shop=%s referral=%s reason=%s", shop.id, referral.id, reason.value)
        return Recorded(referral, True)
    referral = insert_or_none(session, Referral, dict(status=ReferralStatus.PENDING, **values),
                              conflict=["shop_id", "friend_identity"], where=LIVE_REFERRAL)
    if referral is None:  # another referrer's request for this friend committed first
        existing = _live_referral(session, shop.id, identity)
        assert existing is not None
        return _again(existing, referrer)
    referral.friend_account_id = _friend_account(session, shop, friend, email, now).id
    # The row was inserted by this transaction: it is locked until commit.
    referral_rewards.grant_welcome_code(session, shop, referral, now)
    session.flush()
    log.info("referral recorded shop=%s referral=%s referrer=%s", shop.id, referral.id, referrer.id)
    return Recorded(referral, True)


def _referrer(session: Session, shop: Shop, code: str) -> CustomerAccount:
    parsed = parse_referral_code(code)
    referrer = None if parsed is None else session.execute(select(CustomerAccount).where(
        CustomerAccount.shop_id == shop.id, CustomerAccount.referral_code == parsed)).scalar_one_or_none()
    if referrer is None:
        raise Unprocessable("No customer of this shop has this referral code.",
                            code=ErrorCode.UNKNOWN_REFERRAL_CODE,
                            details={"fields": {"referral_code": ["Unknown referral code."]}})
    return referrer


def _live_referral(session: Session, shop_id: int, identity: str) -> Referral | None:
    return session.execute(select(Referral).where(
        Referral.shop_id == shop_id, Referral.friend_identity == identity,
        Referral.status != ReferralStatus.REJECTED)).scalar_one_or_none()


def _again(existing: Referral, referrer: CustomerAccount) -> Recorded:
    """The same referral sent twice is the same referral; another referrer's friend is taken."""
    if existing.referrer_account_id == referrer.id:
        return Recorded(existing, False)
    raise Conflict("Someone else has already referred this friend.",
                   code=ErrorCode.FRIEND_ALREADY_REFERRED, details={"field": "friend.email"})


def _refusal(session: Session, shop: Shop, referrer: CustomerAccount, friend: Friend, email: str,
             identity: str, now: dt.datetime) -> ReferralReason | None:
    known = _known_accounts(session, shop.id, friend.external_id, email)
    digest = digest_of(friend.address)
    if (referrer.id in {a.id for a in known} | {a.merged_into_id for a in known}
            or (friend.external_id is not None and friend.external_id == referrer.platform_customer_id)
            or email_identity(referrer.email) == identity
            or (digest is not None and lives_at(session, referrer.id, digest))
            or _referred_by(session, [a.id for a in known], referrer.id)):
        return ReferralReason.SELF_REFERRAL
    if known and _has_history(session, [a.id for a in known]):
        return ReferralReason.FRIEND_NOT_NEW
    settings = shop.settings
    recent = session.execute(select(func.count(Referral.id)).where(
        Referral.referrer_account_id == referrer.id, Referral.status != ReferralStatus.REJECTED,
        Referral.created_at > now - dt.timedelta(days=settings.referral_limit_days))).scalar_one()
    if recent >= settings.referral_limit:
        return ReferralReason.LIMIT_REACHED
    return None


def _referred_by(session: Session, friend_ids: list[int], referrer_id: int) -> bool:
    """Two customers referring each other are one referral twice over."""
    if not friend_ids:
        return False
    referrer = select(CustomerAccount.id).where(
        or_(CustomerAccount.id == referrer_id, CustomerAccount.merged_into_id == referrer_id))
    return session.execute(select(Referral.id).where(
        Referral.referrer_account_id.in_(friend_ids), Referral.friend_account_id.in_(referrer),
        Referral.status != ReferralStatus.REJECTED).limit(1)).first() is not None


def forget_friends(session: Session, shop_id: int, account_ids: list[int], email: str | None) -> None:
    """Erase what referrals, rejected attempts too, say about a friend whose data is being erased."""
    conditions = [Referral.friend_account_id.in_(account_ids)] if account_ids else []
    if email:
        conditions.append(Referral.friend_email == email)
    if conditions:
        session.execute(update(Referral).where(Referral.shop_id == shop_id, or_(*conditions)).values(
            friend_email=None, friend_identity=None, friend_external_id=None,
            friend_address_digest=None).execution_options(synchronize_session=False))


def _known_accounts(session: Session, shop_id: int, external_id: str | None,
                    email: str) -> list[CustomerAccount]:
    """Every account the friend already has: by their id, their email, and guests merged into those."""
    conditions = [CustomerAccount.email == email]
    if external_id is not None:
        conditions.append(CustomerAccount.platform_customer_id == external_id)
    accounts = list(session.execute(select(CustomerAccount).where(
        CustomerAccount.shop_id == shop_id, or_(*conditions))).scalars())
    if accounts:
        accounts += session.execute(select(CustomerAccount).where(
            CustomerAccount.merged_into_id.in_([a.id for a in accounts]))).scalars().all()
    return accounts


def _has_history(session: Session, account_ids: list[int]) -> bool:
    """A paid order, or any points moved other than a sign-up bonus: not a new customer."""
    paid = session.execute(select(Order.id).where(
        Order.account_id.in_(account_ids), Order.is_paid.is_(True)).limit(1)).first()
    moved = session.execute(select(LedgerEntry.id).where(
        LedgerEntry.account_id.in_(account_ids), LedgerEntry.kind != EntryKind.SIGNUP_BONUS).limit(1)).first()
    return paid is not None or moved is not None


def _friend_account(session: Session, shop: Shop, friend: Friend, email: str,
                    now: dt.datetime) -> CustomerAccount:
    """The friend's account, or a guest account by email: a platform id given by a caller is
    only trusted to find an account the platform made."""
    if friend.external_id is not None:
        account = find_by_external_id(session, shop.id, friend.external_id)
        if account is not None:
            if friend.address is not None:
                remember_address(session, shop, account.id, friend.address, now)
            return account
    account = resolve_account(session, shop, CustomerRef(email=email, address=friend.address), now)
    assert account is not None, "a valid email always resolves"
    return account
