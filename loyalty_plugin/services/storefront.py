"""What a storefront shows: the program to everyone, a signed-in customer's standing to them.

Read-only: nothing here writes, so a widget request never takes a lock. Every
storefront page view may ask, so the statements are built once, with bound
parameters, and the lists read only the columns the storefront shows.
"""
from __future__ import annotations

import datetime as dt
import enum
import functools
from dataclasses import dataclass
from decimal import Decimal

from typing import Any

__all__ = ["Blocker", "CatalogCache", "CodeView", "CustomerView", "ProgramView", "ReferralLink", "RewardOffer",
           "customer_view", "estimate_points", "load_catalog", "program_view", "signed_in_view"]

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session

from ..db import Executor
from ..models import (CodeStatus, CustomerAccount, LedgerEntry, Reward, RewardCode, RewardKind, Shop, Tier,
                      TierBasis)
from ..rules.earning import Amounts, earn_base, points_for
from ..rules.tiers import current_window
from .catalog_cache import Catalog, CatalogCache
from .driver_sql import DriverStatement
from .sql import fixed_values
from .tiers import NO_MULTIPLIER, TierStatus, multiplier_for, points_progress, tier_status

MAX_REWARDS = 50
ACTIVITY_LIMIT = 5  # recent entries a summary shows
# Codes a customer no longer needs to see: nothing was issued, the points came back.
HIDDEN_CODE_STATUSES = (CodeStatus.FAILED, CodeStatus.CANCELLED)
_SHOWN_CODE = RewardCode.status.not_in(fixed_values(RewardCode.status, HIDDEN_CODE_STATUSES))


class Blocker(str, enum.Enum):
    POINTS = "points"  # not enough available points yet
    TIER = "tier"      # the reward is for a higher tier
    LIMIT = "limit"    # the customer has redeemed it as often as allowed


@dataclass(frozen=True)
class RewardOffer:
    """A reward as the storefront lists it; for a signed-in customer, whether they can redeem it."""

    reward: Reward
    required_tier_name: str | None
    blocked_by: Blocker | None = None
    points_short: int = 0

    @property
    def affordable(self) -> bool:
        return self.blocked_by is None


@dataclass(frozen=True)
class ProgramView:
    shop: Shop
    catalog: Catalog

    @property
    def tiers(self) -> list[Tier]:
        return self.catalog.tiers

    @property
    def rewards(self) -> list[Reward]:
        return self.catalog.rewards

    def tier_name(self, tier_id: int | None) -> str | None:
        return None if tier_id is None else self.catalog.tier_names.get(tier_id)

    @property
    def offers(self) -> list[RewardOffer]:
        return [RewardOffer(terms.reward, terms.required_tier_name) for terms in self.catalog.reward_terms]


@dataclass(frozen=True)
class CodeView:
    code: str
    reward_name: str
    status: CodeStatus  # issued codes past their expiry show as expired
    kind: RewardKind
    value: Decimal
    min_order_subtotal: Decimal
    points_spent: int
    expires_at: dt.datetime


@dataclass(frozen=True)
class ReferralLink:
    code: str
    link: str


@dataclass(frozen=True)
class CustomerView:
    program: ProgramView
    account: CustomerAccount | AccountRow  # the entity, or a row of ACCOUNT_COLUMNS
    tier: TierStatus
    offers: list[RewardOffer]
    codes: list[CodeView]
    activity: list[Any]  # rows of ACTIVITY's columns
    # The customer's link to share while the shop runs referrals (the caller gives it).
    referral: ReferralLink | None = None


REWARDS = (select(Reward).where(Reward.shop_id == bindparam("shop_id"), Reward.active.is_(True),
                                Reward.archived_at.is_(None))
           .order_by(Reward.points_cost, Reward.id).limit(MAX_REWARDS))
TIERS = (select(Tier).where(Tier.shop_id == bindparam("shop_id"), Tier.archived_at.is_(None))
         .order_by(Tier.threshold, Tier.id))
ACTIVITY_COLUMNS = (LedgerEntry.kind, LedgerEntry.points, LedgerEntry.status, LedgerEntry.created_at,
                    LedgerEntry.reason)
ACTIVITY = DriverStatement(
    select(*ACTIVITY_COLUMNS)
    .where(LedgerEntry.shop_id == bindparam("shop_id"), LedgerEntry.account_id == bindparam("account_id"))
    .order_by(LedgerEntry.id.desc()).limit(bindparam("limit")))
ActivityRow = ACTIVITY.named
CODES = DriverStatement(
    select(RewardCode.code, Reward.name, RewardCode.status, RewardCode.kind, RewardCode.value,
           RewardCode.min_order_subtotal, RewardCode.points_spent, RewardCode.expires_at)
    .join(Reward, Reward.id == RewardCode.reward_id)
    .where(RewardCode.account_id == bindparam("account_id"), _SHOWN_CODE)
    .order_by(RewardCode.id.desc()).limit(bindparam("limit")))
REDEMPTIONS_BY_REWARD = DriverStatement(
    select(RewardCode.reward_id, func.count())
    .where(RewardCode.account_id == bindparam("account_id"), _SHOWN_CODE)
    .group_by(RewardCode.reward_id))


def load_catalog(session: Session, shop: Shop) -> tuple[list[Tier], list[Reward]]:
    params = {"shop_id": shop.id}
    return (list(session.execute(TIERS, params).scalars()),
            list(session.execute(REWARDS, params).scalars()))


def program_view(session: Session, shop: Shop, cache: CatalogCache | None = None) -> ProgramView:
    catalog = (cache.get(session, shop, load_catalog) if cache is not None
               else Catalog(*load_catalog(session, shop)))
    return ProgramView(shop=shop, catalog=catalog)


# What the storefront shows of an account and needs to stand it in its tier: plain
# columns, past the ORM (a signed-in summary needs no entity; drawing a referral code loads one).
# An AccountRow answers these columns' keys as attributes.
AccountRow = Any
ACCOUNT_COLUMNS = (CustomerAccount.id, CustomerAccount.first_name, CustomerAccount.available,
                   CustomerAccount.pending, CustomerAccount.lifetime, CustomerAccount.tier_id,
                   CustomerAccount.tier_since, CustomerAccount.tier_expires_at,
                   CustomerAccount.referral_code)


@functools.cache
def _account_query(with_progress: bool, has_start: bool, has_end: bool) -> DriverStatement:
    """The account, whether it has codes to show, its tier progress and its recent
    entries, in one statement: one row per entry (newest first), or one row with the
    entry's columns NULL for an account without any."""
    # Most customers never redeemed: knowing it here spares the codes' statements.
    columns: list[Any] = [*ACCOUNT_COLUMNS, select(RewardCode.id).where(
        RewardCode.account_id == CustomerAccount.id, _SHOWN_CODE).exists().label("has_codes")]
    if with_progress:
        columns.append(points_progress(CustomerAccount.id, bindparam("start") if has_start else None,
                                       bindparam("end") if has_end else None)
                       .scalar_subquery().label("progress"))
    # A subquery with a LIMIT stays a subquery: its per-account subqueries run once, not
    # once for every entry row the join below makes of it (PostgreSQL would lift a plain
    # one into the outer SELECT). A shop's platform customer ids are unique: the LIMIT
    # drops nothing.
    account = (select(*columns)
               .where(CustomerAccount.shop_id == bindparam("shop_id"),
                      CustomerAccount.platform_customer_id == bindparam("external_id"))
               .limit(1).subquery("account"))
    # The id of the oldest entry shown (the ACTIVITY_LIMIT-th newest; none for a shorter
    # history: then every entry): the join reads just those, by range on (account_id, id),
    # however long the account's history is.
    oldest_shown = func.coalesce(
        select(LedgerEntry.id).where(LedgerEntry.account_id == account.c.id)
        .order_by(LedgerEntry.id.desc()).limit(1).offset(ACTIVITY_LIMIT - 1).scalar_subquery(), 0)
    entries = LedgerEntry.__table__.alias("shown_entry")  # apart from the subqueries' ledger_entries
    return DriverStatement(
        select(*account.c, *(entries.c[column.key].label(f"entry_{column.key}") for column in ACTIVITY_COLUMNS))
        .select_from(account.outerjoin(
            entries, (entries.c.account_id == account.c.id) & (entries.c.id >= oldest_shown)))
        .order_by(entries.c.id.desc()))


def signed_in_view(session: Session, shop: Shop, external_id: str, now: dt.datetime, *,
                   cache: CatalogCache | None = None, reader: Executor | None = None) -> CustomerView | None:
    """The standing of the shop's customer ``external_id``; None when the shop has no such customer.

    The view's ``account`` is a row of ACCOUNT_COLUMNS. Whether the customer has codes to
    show, and on the points basis the tier progress, come in the same statement.
    ``reader``: where the customer's statements run, when not in ``session`` (which
    still loads the catalog when ``cache`` does not hold it).
    """
    reader = session if reader is None else reader
    program = program_view(session, shop, cache)
    with_progress = bool(program.tiers) and shop.settings.tier_basis is TierBasis.POINTS_EARNED
    window = current_window(shop.settings.tier_window, now, shop.timezone)
    params: dict[str, Any] = {"shop_id": shop.id, "external_id": external_id}
    if window.start is not None:
        params["start"] = window.start
    if window.end is not None:
        params["end"] = window.end
    rows = _account_query(with_progress, window.start is not None, window.end is not None).named_rows(
        reader, params)
    if not rows:
        return None
    row, shown = rows[0], len(ACTIVITY_COLUMNS)
    activity = [ActivityRow._make(entry[-shown:]) for entry in rows if entry[-shown] is not None]
    return customer_view(session, shop, row, now, cache=cache, program=program,
                         progress=Decimal(row.progress) if with_progress else None, has_codes=row.has_codes,
                         activity=activity, reader=reader)


def customer_view(session: Session, shop: Shop, account: CustomerAccount | AccountRow, now: dt.datetime, *,
                  cache: CatalogCache | None = None, codes_limit: int = 10,
                  program: ProgramView | None = None, progress: Decimal | None = None,
                  has_codes: bool = True, activity: list[Any] | None = None,
                  reader: Executor | None = None) -> CustomerView:
    """``program``, ``progress`` (in the current tier window), ``has_codes`` (False: the
    customer has no code to show) and ``activity``: when the caller has read them.
    ``reader``: as for signed_in_view."""
    reader = session if reader is None else reader
    program = program or program_view(session, shop, cache)
    if cache is not None and account.tier_id is not None and program.tier_name(account.tier_id) is None:
        # A tier this worker has not seen yet (its shop's tiers_version may be cached too).
        program, progress = program_view(session, shop), None
    status = tier_status(reader, shop, account, now, tiers=program.tiers, amount=progress,
                         levels=program.catalog.levels)
    if activity is None:
        activity = ACTIVITY.named_rows(reader, {"shop_id": shop.id, "account_id": account.id,
                                                "limit": ACTIVITY_LIMIT})
    return CustomerView(program=program, account=account, tier=status,
                        offers=_offers(reader, program, account, has_codes),
                        codes=_codes(reader, account, now, codes_limit) if has_codes else [],
                        activity=activity)


def _offers(reader: Executor, program: ProgramView, account: CustomerAccount | AccountRow,
            has_codes: bool) -> list[RewardOffer]:
    catalog = program.catalog
    thresholds = catalog.thresholds
    held = thresholds.get(account.tier_id) if account.tier_id is not None else None
    used = _redemptions_by_reward(reader, account) if has_codes and catalog.has_limits else {}
    available = account.available
    offers = []
    for terms in catalog.reward_terms:
        short = max(terms.cheapest - available, 0)
        blocker = None
        required = terms.required_tier_id
        if required is not None and (held is None or required not in thresholds or held < thresholds[required]):
            blocker = Blocker.TIER
        elif terms.per_customer_limit and used.get(terms.reward.id, 0) >= terms.per_customer_limit:
            blocker = Blocker.LIMIT
        elif short:
            blocker = Blocker.POINTS
        offers.append(RewardOffer(reward=terms.reward, required_tier_name=terms.required_tier_name,
                                  blocked_by=blocker, points_short=short))
    return offers


def _redemptions_by_reward(reader: Executor, account: CustomerAccount | AccountRow) -> dict[int, int]:
    rows = REDEMPTIONS_BY_REWARD.rows(reader, {"account_id": account.id})
    return {reward_id: count for reward_id, count in rows}


def _codes(reader: Executor, account: CustomerAccount | AccountRow, now: dt.datetime, limit: int) -> list[CodeView]:
    rows = CODES.rows(reader, {"account_id": account.id, "limit": limit})
    return [CodeView(code=code, reward_name=name,
                     status=CodeStatus.EXPIRED if status is CodeStatus.ISSUED and expires_at <= now
                     else status, kind=kind, value=value, min_order_subtotal=minimum,
                     points_spent=spent, expires_at=expires_at)
            for code, name, status, kind, value, minimum, spent, expires_at in rows]


def estimate_points(session: Session, shop: Shop, account: CustomerAccount | None,
                    prices: list[Decimal]) -> list[int]:
    """What an order of each price would earn this customer now, by the order rules themselves."""
    settings = shop.settings
    multiplier = multiplier_for(session, account) if account is not None else NO_MULTIPLIER
    estimates = []
    for price in prices:
        base = earn_base(Amounts(items=price), include_shipping=settings.include_shipping,
                         include_taxes=settings.include_taxes)
        estimates.append(0 if base < settings.min_order_amount else
                         points_for(base, settings.points_per_unit, multiplier, settings.rounding))
    return estimates
