"""Database rate counters: shared by every process, one row per subject and window."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from loyalty_plugin.models import RateCounter
from loyalty_plugin.services.rate_limits import hit
from tests.factories import make_shop

T0 = dt.datetime(2026, 11, 24, 10, 0, 5, tzinfo=dt.timezone.utc)


def test_hits_within_a_window_count_up_to_the_limit(session):
    shop, _ = make_shop(session)
    decisions = [hit(session, shop_id=shop.id, subject="s", limit=2, window_seconds=60,
                     now=T0 + dt.timedelta(seconds=i)) for i in range(3)]

    assert [d.allowed for d in decisions] == [True, True, False]
    assert [d.hits for d in decisions] == [1, 2, 3]
    assert decisions[2].retry_after == 53


def test_a_new_window_starts_again_and_prunes_the_old_row(session):
    shop, _ = make_shop(session)
    for _ in range(3):
        hit(session, shop_id=shop.id, subject="s", limit=2, window_seconds=60, now=T0)

    later = hit(session, shop_id=shop.id, subject="s", limit=2, window_seconds=60,
                now=T0 + dt.timedelta(minutes=1))

    assert later.allowed and later.hits == 1
    rows = session.execute(select(func.count()).select_from(RateCounter).where(
        RateCounter.shop_id == shop.id)).scalar_one()
    assert rows == 1


def test_subjects_and_shops_are_counted_apart(session):
    shop, _ = make_shop(session)
    other, _ = make_shop(session)
    hit(session, shop_id=shop.id, subject="a", limit=1, window_seconds=60, now=T0)
    assert hit(session, shop_id=shop.id, subject="b", limit=1, window_seconds=60, now=T0).allowed
    assert hit(session, shop_id=other.id, subject="a", limit=1, window_seconds=60, now=T0).allowed
    assert not hit(session, shop_id=shop.id, subject="a", limit=1, window_seconds=60, now=T0).allowed
