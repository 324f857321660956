"""Deliveries that only point at their subject, for platforms whose webhooks are thin.

An adapter's ``parse`` stays pure: for a thin payload it returns a ``Deferred``
naming what to fetch, and the pipeline calls ``fetch`` with the shop inside the
delivery's transaction, so a platform API that fails leaves nothing applied.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.orm import Session

from loyalty_plugin.events import Event
from loyalty_plugin.models import Shop


@dataclass(frozen=True)
class Deferred:
    what: str
    fetch: Callable[[Session, Shop], Event]


def resolve(event: Event | Deferred, session: Session, shop: Shop) -> Event:
    return event.fetch(session, shop) if isinstance(event, Deferred) else event
