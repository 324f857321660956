"""A per-process cache of each shop with its program and widget settings, for storefront reads."""
from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable

from sqlalchemy import event
from sqlalchemy.orm import Session, sessionmaker

from ..models import ProgramSettings, Shop, WidgetSettings
from .widget_settings import shop_with_widget_settings

_CHANGED = "loyalty_shop_cache_changed"


class ShopCache:
    """Each shop, its program settings and its widget settings, kept for ``ttl`` seconds.

    Every storefront read starts with them, and they change a few times a year. A
    change made through a session of this process (``watch``) is seen by the next
    request; one made by another process shows within ``ttl``, the staleness the
    storefront accepts for its public settings (its answers are cached by browsers
    for longer). Writes never use these objects: they are detached, loaded in full,
    and only ever read. A shop that does not exist is not kept, so requests for
    made-up ids cannot grow the cache.
    """

    def __init__(self, ttl: float = 5.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl = ttl
        self.clock = clock
        self._entries: dict[int, tuple[float, Shop, WidgetSettings]] = {}
        self._lock = threading.Lock()

    def get(self, session: Session, shop_id: int) -> tuple[Shop, WidgetSettings] | None:
        now = self.clock()
        entry = self._entries.get(shop_id)
        if entry is not None and entry[0] > now:
            return entry[1], entry[2]
        # Read in a session of its own on the caller's connection, so the objects kept
        # here are never ones the caller's session tracks.
        with Session(bind=session.connection()) as reader:
            found = shop_with_widget_settings(reader, shop_id)
            reader.expunge_all()
        if found is None:
            self.forget([shop_id])
            return None
        with self._lock:
            self._entries[shop_id] = (now + self.ttl, *found)
        return found

    def forget(self, shop_ids: Iterable[int]) -> None:
        with self._lock:
            for shop_id in shop_ids:
                self._entries.pop(shop_id, None)

    def watch(self, sessions: sessionmaker) -> None:
        """Forget a shop whenever a session from ``sessions`` changes it or its settings.

        At flush, so the changing request itself reads fresh, and again at commit, so
        an entry another thread reloaded between the two is not kept.
        """
        @event.listens_for(sessions, "after_flush")
        def _after_flush(session: Session, _context) -> None:
            changed = {obj.id if isinstance(obj, Shop) else obj.shop_id
                       for obj in (*session.new, *session.dirty, *session.deleted)
                       if isinstance(obj, (Shop, ProgramSettings, WidgetSettings))}
            if changed:
                session.info.setdefault(_CHANGED, set()).update(changed)
                self.forget(changed)

        @event.listens_for(sessions, "after_commit")
        def _after_commit(session: Session) -> None:
            self.forget(session.info.pop(_CHANGED, ()))

        @event.listens_for(sessions, "after_soft_rollback")
        def _after_rollback(session: Session, _previous) -> None:
            self.forget(session.info.pop(_CHANGED, ()))
