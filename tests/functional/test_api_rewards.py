"""The rewards catalog API: create, list, read, change, archive, and bad input."""
from __future__ import annotations

from decimal import Decimal

import pytest

from loyalty_plugin.models import ApiKeyScope, Tier, utcnow
from loyalty_plugin.services.api_keys import create_api_key
from tests.factories import make_shop

FIXED = {"name": "5 off", "kind": "fixed_amount", "points_cost": 500, "value": "5.00"}


@pytest.fixture
def shop_and_key(session):
    shop, key = make_shop(session)
    session.commit()
    return shop, key


def auth(key: str, **extra) -> dict:
    return {"Authorization": f"Bearer {key}", **extra}


def make_tier(session, shop, name: str, threshold: str) -> Tier:
    tier = Tier(shop_id=shop.id, name=name, threshold=Decimal(threshold), perks=[])
    session.add(tier)
    session.commit()
    return tier


def test_create_then_read_and_list(client, shop_and_key):
    _, key = shop_and_key
    response = client.post("/api/v1/rewards", headers=auth(key), json={
        **FIXED, "description": "Five off your next order", "min_order_subtotal": 20,
        "validity_days": 14, "per_customer_limit": 2})
    assert response.status_code == 201, response.json
    reward = response.json
    assert reward["kind"] == "fixed_amount" and reward["value"] == "5.0000"
    assert reward["min_order_subtotal"] == "20.0000" and reward["validity_days"] == 14
    assert reward["per_customer_limit"] == 2 and reward["active"] is True
    assert reward["archived"] is False and reward["required_tier_id"] is None

    assert client.get(f"/api/v1/rewards/{reward['id']}", headers=auth(key)).json == reward
    assert client.get("/api/v1/rewards", headers=auth(key)).json == {"items": [reward]}


def test_defaults_for_each_kind(client, shop_and_key):
    _, key = shop_and_key
    bodies = [
        {"name": "10%", "kind": "percentage", "points_cost": 800, "value": 10},
        {"name": "Free shipping", "kind": "free_shipping", "points_cost": 300},
        {"name": "Free socks", "kind": "free_product", "points_cost": 900,
         "product_variant_id": "gid://shopify/ProductVariant/42"},
        {"name": "Slider", "kind": "variable", "points_cost": 100, "value": "1.00",
         "min_points": 500, "max_points": 5000},
    ]
    for body in bodies:
        response = client.post("/api/v1/rewards", headers=auth(key), json=body)
        assert response.status_code == 201, (body, response.json)
        assert response.json["validity_days"] == 30 and response.json["min_order_subtotal"] == "0.0000"
    listed = client.get("/api/v1/rewards", headers=auth(key)).json["items"]
    assert [r["points_cost"] for r in listed] == [100, 300, 800, 900]  # cheapest first


@pytest.mark.parametrize("body, field", [
    ({**FIXED, "value": 0}, "value"),
    ({**FIXED, "kind": "percentage", "value": "100.01"}, "value"),
    ({**FIXED, "kind": "percentage", "value": 0}, "value"),
    ({"name": "x", "kind": "free_shipping", "points_cost": 5, "value": 3}, "value"),
    ({"name": "x", "kind": "free_product", "points_cost": 5}, "product_variant_id"),
    ({**FIXED, "product_variant_id": "42"}, "product_variant_id"),
    ({**FIXED, "min_points": 500}, "min_points"),
    ({**FIXED, "kind": "variable", "points_cost": 100, "min_points": 150}, "min_points"),
    ({**FIXED, "kind": "variable", "points_cost": 100, "max_points": 250}, "max_points"),
    ({**FIXED, "kind": "variable", "points_cost": 100, "min_points": 500, "max_points": 300},
     "max_points"),
    ({**FIXED, "required_tier_id": 999999}, "required_tier_id"),
    ({**FIXED, "kind": "points"}, "kind"),
    ({**FIXED, "points_cost": 0}, "points_cost"),
    ({**FIXED, "points_cost": "500"}, "points_cost"),
    ({**FIXED, "points_cost": 10**12}, "points_cost"),
    ({**FIXED, "value": "abc"}, "value"),
    ({**FIXED, "value": "NaN"}, "value"),
    ({**FIXED, "value": "1.00001"}, "value"),
    ({**FIXED, "value": True}, "value"),
    ({**FIXED, "min_order_subtotal": -1}, "min_order_subtotal"),
    ({**FIXED, "validity_days": 0}, "validity_days"),
    ({**FIXED, "per_customer_limit": 0}, "per_customer_limit"),
    ({**FIXED, "required_tier_id": 2**64}, "required_tier_id"),
    ({**FIXED, "name": ""}, "name"),
    ({**FIXED, "surprise": 1}, "surprise"),
    ({"kind": "fixed_amount", "points_cost": 5, "value": 1}, "name"),
])
def test_invalid_rewards_are_422_naming_the_field(client, shop_and_key, body, field):
    _, key = shop_and_key
    response = client.post("/api/v1/rewards", headers=auth(key), json=body)
    assert response.status_code == 422, response.json
    assert response.json["error"]["code"] == "validation_failed"
    assert field in response.json["error"]["details"]["fields"]
    assert client.get("/api/v1/rewards", headers=auth(key)).json["items"] == []


def test_tier_restriction_must_name_a_tier_of_this_shop(client, session, shop_and_key):
    shop, key = shop_and_key
    other_shop, _ = make_shop(session)
    gold = make_tier(session, shop, "Gold", "1000")
    foreign = make_tier(session, other_shop, "Foreign", "1")
    ok = client.post("/api/v1/rewards", headers=auth(key), json={**FIXED, "required_tier_id": gold.id})
    assert ok.status_code == 201 and ok.json["required_tier_id"] == gold.id
    bad = client.post("/api/v1/rewards", headers=auth(key), json={**FIXED, "required_tier_id": foreign.id})
    assert bad.status_code == 422 and "required_tier_id" in bad.json["error"]["details"]["fields"]


def test_patch_changes_only_what_is_sent_and_revalidates_the_whole(client, shop_and_key):
    _, key = shop_and_key
    reward = client.post("/api/v1/rewards", headers=auth(key), json=FIXED).json
    url = f"/api/v1/rewards/{reward['id']}"
    changed = client.patch(url, headers=auth(key), json={"points_cost": 450, "active": False})
    assert changed.status_code == 200
    assert (changed.json["points_cost"], changed.json["active"], changed.json["name"]) == (450, False, "5 off")
    # Switching to a percentage keeps value 5: valid. Then 150 % is not.
    assert client.patch(url, headers=auth(key), json={"kind": "percentage"}).status_code == 200
    bad = client.patch(url, headers=auth(key), json={"value": 150})
    assert bad.status_code == 422 and "value" in bad.json["error"]["details"]["fields"]
    assert client.get(url, headers=auth(key)).json["value"] == "5.0000"
    assert client.patch(url, headers=auth(key), json={"name": None}).status_code == 422


def test_delete_archives_and_hides_from_the_list(client, shop_and_key):
    _, key = shop_and_key
    reward = client.post("/api/v1/rewards", headers=auth(key), json=FIXED).json
    url = f"/api/v1/rewards/{reward['id']}"
    archived = client.delete(url, headers=auth(key))
    assert archived.status_code == 200
    assert archived.json["archived"] is True and archived.json["active"] is False
    assert client.delete(url, headers=auth(key)).json == archived.json  # again: same answer
    assert client.get("/api/v1/rewards", headers=auth(key)).json["items"] == []
    listed = client.get("/api/v1/rewards?include_archived=true", headers=auth(key)).json["items"]
    assert [r["id"] for r in listed] == [reward["id"]]
    assert client.get(url, headers=auth(key)).json["archived"] is True
    patched = client.patch(url, headers=auth(key), json={"active": True})
    assert patched.status_code == 409 and patched.json["error"]["code"] == "reward_archived"


def test_active_filter(client, shop_and_key):
    _, key = shop_and_key
    client.post("/api/v1/rewards", headers=auth(key), json=FIXED)
    client.post("/api/v1/rewards", headers=auth(key), json={**FIXED, "name": "off", "active": False})
    names = [r["name"] for r in client.get("/api/v1/rewards?active=false", headers=auth(key)).json["items"]]
    assert names == ["off"]
    assert client.get("/api/v1/rewards?active=maybe", headers=auth(key)).status_code == 422


@pytest.mark.parametrize("reward_id", ["999999", str(2**63), str(2**70)])
def test_unknown_reward_ids_are_404(client, shop_and_key, reward_id):
    _, key = shop_and_key
    for method in (client.get, client.delete):
        response = method(f"/api/v1/rewards/{reward_id}", headers=auth(key))
        assert response.status_code == 404 and response.json["error"]["code"] == "reward_not_found"
    response = client.patch(f"/api/v1/rewards/{reward_id}", headers=auth(key), json={"active": False})
    assert response.status_code == 404


def test_other_shops_cannot_see_or_change_a_reward(client, session, shop_and_key):
    _, key = shop_and_key
    _, other_key = make_shop(session)
    session.commit()
    reward = client.post("/api/v1/rewards", headers=auth(key), json=FIXED).json
    url = f"/api/v1/rewards/{reward['id']}"
    assert client.get(url, headers=auth(other_key)).status_code == 404
    assert client.patch(url, headers=auth(other_key), json={"active": False}).status_code == 404
    assert client.delete(url, headers=auth(other_key)).status_code == 404
    assert client.get("/api/v1/rewards", headers=auth(other_key)).json["items"] == []
    assert client.get(url, headers=auth(key)).json["active"] is True


def test_writes_replay_with_the_same_idempotency_key(client, shop_and_key):
    _, key = shop_and_key
    headers = auth(key, **{"Idempotency-Key": "create-1"})
    first = client.post("/api/v1/rewards", headers=headers, json=FIXED)
    again = client.post("/api/v1/rewards", headers=headers, json=FIXED)
    assert first.status_code == again.status_code == 201 and first.json == again.json
    assert len(client.get("/api/v1/rewards", headers=auth(key)).json["items"]) == 1
    other = client.post("/api/v1/rewards", headers=headers, json={**FIXED, "points_cost": 1})
    assert other.status_code == 422 and other.json["error"]["code"] == "idempotency_key_reused"
    url = f"/api/v1/rewards/{first.json['id']}"
    patch_headers = auth(key, **{"Idempotency-Key": "patch-1"})
    assert client.patch(url, headers=patch_headers, json={"points_cost": 400}).json["points_cost"] == 400
    client.patch(url, headers=auth(key), json={"points_cost": 300})
    # The replay answers what the first request answered; it does not set 400 again.
    assert client.patch(url, headers=patch_headers, json={"points_cost": 400}).json["points_cost"] == 400
    assert client.get(url, headers=auth(key)).json["points_cost"] == 300


def test_read_only_key_reads_but_cannot_write(client, session, shop_and_key):
    shop, key = shop_and_key
    reward = client.post("/api/v1/rewards", headers=auth(key), json=FIXED).json
    read_only = create_api_key(session, shop.id, name="ro", now=utcnow(), scope=ApiKeyScope.READ_ONLY)
    session.commit()
    assert client.get("/api/v1/rewards", headers=auth(read_only)).status_code == 200
    assert client.post("/api/v1/rewards", headers=auth(read_only), json=FIXED).status_code == 403
    url = f"/api/v1/rewards/{reward['id']}"
    assert client.patch(url, headers=auth(read_only), json={"active": False}).status_code == 403
    assert client.delete(url, headers=auth(read_only)).status_code == 403
    assert client.get("/api/v1/rewards").status_code == 401


def test_malformed_bodies_are_4xx(client, shop_and_key):
    _, key = shop_and_key
    response = client.post("/api/v1/rewards", headers=auth(key, **{"Content-Type": "application/json"}),
                           data=b"{nope")
    assert (response.status_code, response.json["error"]["code"]) == (400, "invalid_json")
    assert client.post("/api/v1/rewards", headers=auth(key), json=[FIXED]).status_code == 400
    assert client.post("/api/v1/rewards", headers=auth(key), data="name=x").status_code == 415
