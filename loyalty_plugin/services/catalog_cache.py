"""A per-process cache of each shop's storefront catalog: its active tiers and rewards."""
from __future__ import annotations

import functools
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy.orm import Session

from ..models import Reward, RewardKind, Shop, Tier
from ..rules.tiers import Level, ranked
from .tiers import levels_of

Loader = Callable[[Session, Shop], tuple[list[Tier], list[Reward]]]


@dataclass(frozen=True, slots=True)
class RewardTerms:
    """What deciding whether a customer can redeem a reward reads of it."""

    reward: Reward
    cheapest: int  # the fewest points it can be redeemed for
    required_tier_id: int | None
    required_tier_name: str | None
    per_customer_limit: int | None


@dataclass(frozen=True, eq=False)
class Catalog:
    """A shop's active tiers and rewards, loaded together and never changed afterwards.

    What every storefront read derives from them is computed once per catalog, on
    first use: a cached catalog serves many requests.
    """

    tiers: list[Tier]
    rewards: list[Reward]

    @functools.cached_property
    def tier_names(self) -> dict[int, str]:
        return {tier.id: tier.name for tier in self.tiers}

    @functools.cached_property
    def levels(self) -> list[Level]:
        """The tiers as the tier rules rank them, best last."""
        return ranked(levels_of(self.tiers))

    @functools.cached_property
    def thresholds(self) -> dict[int, Decimal]:
        return {tier.id: tier.threshold for tier in self.tiers}

    @functools.cached_property
    def reward_terms(self) -> list[RewardTerms]:
        return [RewardTerms(
            reward=reward, required_tier_id=reward.required_tier_id,
            required_tier_name=self.tier_names.get(reward.required_tier_id)
            if reward.required_tier_id is not None else None,
            cheapest=(reward.min_points or reward.points_cost) if reward.kind is RewardKind.VARIABLE
            else reward.points_cost,
            per_customer_limit=reward.per_customer_limit) for reward in self.rewards]

    @functools.cached_property
    def has_limits(self) -> bool:
        return any(terms.per_customer_limit for terms in self.reward_terms)


class CatalogCache:
    """Each shop's active tiers and rewards, kept for ``ttl`` seconds in this process.

    What it holds is public (the guest view shows it, and browsers keep that view
    for minutes), so an edit to a reward's name or cost appearing seconds later
    changes nothing a shopper could rely on; redeeming checks everything again in
    the database. Entries are keyed by the shop's ``tiers_version`` too, so adding
    or archiving a tier, or moving a threshold, is seen at once: a customer's tier
    is never looked up in a list that lacks it. Objects are detached, loaded in
    full, and only ever read.
    """

    def __init__(self, ttl: float = 30.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl = ttl
        self.clock = clock
        self._entries: dict[tuple, tuple[float, Catalog]] = {}
        self._lock = threading.Lock()

    def get(self, session: Session, shop: Shop, load: Loader) -> Catalog:
        key = (shop.id, shop.created_at, shop.settings.tiers_version)
        now = self.clock()
        entry = self._entries.get(key)
        if entry is not None and entry[0] > now:
            return entry[1]
        # Read in a session of its own on the same connection and transaction, so the
        # objects kept here are never the ones the caller's session is tracking.
        with Session(bind=session.connection()) as reader:
            catalog = Catalog(*load(reader, shop))
            reader.expunge_all()
        with self._lock:
            for stale in [k for k in self._entries if k[0] == shop.id]:
                del self._entries[stale]
            self._entries[key] = (now + self.ttl, catalog)
        return catalog
