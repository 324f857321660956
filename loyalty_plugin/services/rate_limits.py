"""Fixed-window request counters kept in the database, so every worker process shares them."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import delete
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from ..models import RateCounter

EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)


@dataclass(frozen=True)
class Decision:
    allowed: bool
    hits: int
    retry_after: int  # seconds until the window turns


def window_of(now: dt.datetime, seconds: int) -> dt.datetime:
    elapsed = int((now - EPOCH).total_seconds())
    return EPOCH + dt.timedelta(seconds=elapsed - elapsed % seconds)


def hit(session: Session, *, shop_id: int, subject: str, limit: int, window_seconds: int,
        now: dt.datetime) -> Decision:
    """Count one request of ``subject`` and say whether it is within ``limit`` per window.

    The caller commits the count on its own, before the work it guards: a request
    that then fails must still have counted, or failing requests would be free.
    """
    start = window_of(now, window_seconds)
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    stmt = insert(RateCounter).values(shop_id=shop_id, subject=subject, window_start=start, hits=1)
    stmt = stmt.on_conflict_do_update(
        index_elements=["shop_id", "subject", "window_start"],
        set_={"hits": RateCounter.hits + 1}).returning(RateCounter.hits)
    hits = session.execute(stmt).scalar_one()
    # Only this subject's past windows: one short index range, never a table scan.
    session.execute(delete(RateCounter).where(
        RateCounter.shop_id == shop_id, RateCounter.subject == subject,
        RateCounter.window_start < start).execution_options(synchronize_session=False))
    retry_after = max(1, int((start + dt.timedelta(seconds=window_seconds) - now).total_seconds()))
    return Decision(allowed=hits <= limit, hits=hits, retry_after=retry_after)
