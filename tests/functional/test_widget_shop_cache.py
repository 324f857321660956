"""The widget API's per-process shop cache: another worker's change shows within the TTL,
this worker's at once, one shop's never in another's answers, and writes never use it."""
from __future__ import annotations

import pytest
from sqlalchemy import text

from loyalty_plugin.models import utcnow
from loyalty_plugin.services.accounts import find_by_external_id
from loyalty_plugin.services.orders import apply_order_snapshot
from loyalty_plugin.services.widget_settings import update_widget_settings
from tests.factories import Clock, make_order, make_shop
from tests.widget_factories import signed
from widgets.api import SHOPS_KEY

TTL = 5.0


@pytest.fixture
def clock(app):
    cache = app.extensions[SHOPS_KEY]
    cache.clock, cache.ttl = Clock(), TTL
    return cache.clock


@pytest.fixture
def shops(session):
    found = []
    for n in range(2):
        shop, _ = make_shop(session)
        update_widget_settings(session, shop, {"primary_color": "#112233", "launcher_text": f"Shop {n}"},
                               utcnow())
        apply_order_snapshot(session, shop, make_order(f"o{n}", customer_id="c1", items="100"), utcnow())
        found.append(shop)
    session.commit()
    return found


def theme(client, shop) -> dict:
    response = client.get(f"/widget/v1/{shop.id}/config")
    assert response.status_code == 200
    return response.json["theme"]


def change_elsewhere(connection, sql: str, **params) -> None:
    """A change another worker made: straight SQL, past this process's sessions."""
    connection.execute(text(sql), params)


def test_another_workers_settings_change_shows_within_the_ttl(client, clock, connection, shops):
    shop = shops[0]
    assert theme(client, shop)["primary"] == "#112233"

    change_elsewhere(connection, "UPDATE widget_settings SET primary_color = '#445566' WHERE shop_id = :id",
                     id=shop.id)
    clock.now += TTL - 0.5
    assert theme(client, shop)["primary"] == "#112233"
    clock.now += 1
    assert theme(client, shop)["primary"] == "#445566"


def test_a_change_in_one_shop_never_shows_in_another(client, clock, connection, shops):
    first, second = shops
    assert theme(client, first)["launcher_text"] == "Shop 0"
    assert theme(client, second)["launcher_text"] == "Shop 1"

    change_elsewhere(connection, "UPDATE widget_settings SET launcher_text = 'Changed' WHERE shop_id = :id",
                     id=first.id)
    clock.now += TTL + 1
    assert theme(client, first)["launcher_text"] == "Changed"
    assert theme(client, second)["launcher_text"] == "Shop 1"
    assert client.get(f"/widget/v1/{second.id}/config").json["shop_id"] == second.id


def test_this_workers_own_change_shows_at_once(client, clock, session, shops):
    shop = shops[0]
    assert theme(client, shop)["primary"] == "#112233"
    assert client.get(f"/widget/v1/{shop.id}/summary", headers=signed(shop, "c1")).json["referral"] is None

    update_widget_settings(session, shop, {"primary_color": "#778899"}, utcnow())
    shop.settings.referrals_enabled = True
    session.commit()

    assert theme(client, shop)["primary"] == "#778899"
    referral = client.get(f"/widget/v1/{shop.id}/summary", headers=signed(shop, "c1")).json["referral"]
    assert referral["link"].endswith(find_by_external_id(session, shop.id, "c1").referral_code)


def test_a_rotated_widget_secret_is_honoured_within_the_ttl(client, clock, connection, shops):
    shop = shops[0]
    old = signed(shop, "c1")
    assert client.get(f"/widget/v1/{shop.id}/summary", headers=old).status_code == 200

    change_elsewhere(connection, "UPDATE shops SET widget_secret = 'rotated-secret' WHERE id = :id", id=shop.id)
    clock.now += TTL + 1
    assert client.get(f"/widget/v1/{shop.id}/summary", headers=old).status_code == 401
    shop.widget_secret = "rotated-secret"
    assert client.get(f"/widget/v1/{shop.id}/summary", headers=signed(shop, "c1")).status_code == 200


def test_a_redemption_reads_the_shop_afresh(client, clock, connection, shops):
    shop = shops[0]
    assert client.get(f"/widget/v1/{shop.id}/summary", headers=signed(shop, "c1")).status_code == 200

    change_elsewhere(connection, "UPDATE shops SET status = 'uninstalled' WHERE id = :id", id=shop.id)
    response = client.post(f"/widget/v1/{shop.id}/redemptions", json={"reward_id": 1},
                           headers={**signed(shop, "c1"), "Idempotency-Key": "k1"})
    assert response.status_code == 404 and response.json["error"]["code"] == "shop_not_found"


def test_an_unknown_shop_is_not_kept(app, client, clock):
    assert client.get("/widget/v1/987654/config").status_code == 404
    assert 987654 not in app.extensions[SHOPS_KEY]._entries
