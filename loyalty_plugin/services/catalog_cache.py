"""A per-process cache of each shop's storefront catalog: its active tiers and rewards."""
from __future__ import annotations

import threading
import time
from collections.abc import Callable

from sqlalchemy.orm import Session

from ..models import Reward, Shop, Tier

Loader = Callable[[Session, Shop], tuple[list[Tier], list[Reward]]]


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
        self._entries: dict[tuple, tuple[float, list[Tier], list[Reward]]] = {}
        self._lock = threading.Lock()

    def get(self, session: Session, shop: Shop, load: Loader) -> tuple[list[Tier], list[Reward]]:
        key = (shop.id, shop.created_at, shop.settings.tiers_version)
        now = self.clock()
        entry = self._entries.get(key)
        if entry is not None and entry[0] > now:
            return entry[1], entry[2]
        # Read in a session of its own on the same connection and transaction, so the
        # objects kept here are never the ones the caller's session is tracking.
        with Session(bind=session.connection()) as reader:
            tiers, rewards = load(reader, shop)
            reader.expunge_all()
        with self._lock:
            for stale in [k for k in self._entries if k[0] == shop.id]:
                del self._entries[stale]
            self._entries[key] = (now + self.ttl, tiers, rewards)
        return tiers, rewards
