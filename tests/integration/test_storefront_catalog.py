"""The storefront's per-process catalog cache: public data, briefly kept, tier changes seen at once."""
from __future__ import annotations

from loyalty_plugin.services.storefront import CatalogCache, program_view
from tests.factories import Clock, make_shop
from tests.widget_factories import make_reward, make_tier


def test_rewards_are_kept_for_the_ttl_then_read_again(session):
    shop, _ = make_shop(session)
    reward = make_reward(session, shop, name="$5 off")
    clock = Clock()
    cache = CatalogCache(ttl=30, clock=clock)
    assert [r.name for r in program_view(session, shop, cache).rewards] == ["$5 off"]

    session.get(type(reward), reward.id).name = "$6 off"
    session.flush()
    clock.now += 29
    assert [r.name for r in program_view(session, shop, cache).rewards] == ["$5 off"]
    clock.now += 2
    assert [r.name for r in program_view(session, shop, cache).rewards] == ["$6 off"]


def test_a_new_tier_is_seen_at_once(session):
    shop, _ = make_shop(session)
    cache = CatalogCache(ttl=30, clock=Clock())
    assert program_view(session, shop, cache).tiers == []

    make_tier(session, shop, "Gold", "500")

    assert [t.name for t in program_view(session, shop, cache).tiers] == ["Gold"]


def test_cached_objects_stay_readable_after_their_session_is_gone(database):
    cache = CatalogCache(ttl=30, clock=Clock())
    first = database.new_session()
    shop, _ = make_shop(first)
    make_tier(first, shop, "Silver", "200", "1.25")
    make_reward(first, shop, name="Free shipping")
    program_view(first, shop, cache)
    first.close()

    second = database.new_session()
    view = program_view(second, second.merge(shop), cache)
    assert [(t.name, str(t.multiplier)) for t in view.tiers] == [("Silver", "1.2500")]
    assert [r.name for r in view.rewards] == ["Free shipping"]
    second.close()


def test_each_shop_is_cached_apart(session):
    shop, _ = make_shop(session)
    other, _ = make_shop(session)
    make_reward(session, shop, name="Mine")
    cache = CatalogCache(ttl=30, clock=Clock())
    assert [r.name for r in program_view(session, shop, cache).rewards] == ["Mine"]
    assert program_view(session, other, cache).rewards == []


def test_the_cache_never_takes_objects_from_the_callers_session(session):
    shop, _ = make_shop(session)
    reward = make_reward(session, shop, name="$5 off")
    cached = program_view(session, shop, CatalogCache(ttl=30, clock=Clock())).rewards[0]

    assert reward in session and cached is not reward
    reward.name = "$7 off"
    session.flush()
    assert cached.name == "$5 off"
