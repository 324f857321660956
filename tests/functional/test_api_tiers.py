"""The tiers admin API: CRUD, the tier program, a customer's standing, bad input."""
from __future__ import annotations

import pytest

from loyalty_plugin.models import ApiKeyScope, utcnow
from loyalty_plugin.services.api_keys import create_api_key
from loyalty_plugin.services.orders import apply_order_snapshot
from tests.factories import make_order, make_shop


def auth(key: str, **extra) -> dict:
    return {"Authorization": f"Bearer {key}", **extra}


@pytest.fixture
def shop_and_key(session):
    shop, key = make_shop(session)
    session.commit()
    return shop, key


def create(client, key, **body):
    return client.post("/api/v1/tiers", json=body, headers=auth(key))


def test_create_list_update_archive(client, shop_and_key):
    _, key = shop_and_key
    silver = create(client, key, name="Silver", threshold="500", multiplier="1.25",
                    entry_bonus_points=50, perks=["Free shipping"])
    assert silver.status_code == 201, silver.json
    assert silver.json["threshold"] == "500" and silver.json["perks"] == ["Free shipping"]
    create(client, key, name="Gold", threshold=1000)
    listed = client.get("/api/v1/tiers", headers=auth(key)).json
    assert [t["name"] for t in listed["tiers"]] == ["Silver", "Gold"]
    assert listed["program"] == {"tier_basis": "points_earned", "tier_window": "lifetime",
                                 "tier_downgrade": "requalify", "tier_grace_days": 0,
                                 "tier_downgrade_notice_days": 14, "tiers_version": 3}
    tier_id = silver.json["id"]
    patched = client.patch(f"/api/v1/tiers/{tier_id}", json={"multiplier": "1.5"}, headers=auth(key))
    assert patched.status_code == 200 and patched.json["multiplier"] == "1.5"
    archived = client.delete(f"/api/v1/tiers/{tier_id}", headers=auth(key))
    assert archived.status_code == 200 and archived.json["archived_at"]
    assert [t["name"] for t in client.get("/api/v1/tiers", headers=auth(key)).json["tiers"]] == ["Gold"]
    assert len(client.get("/api/v1/tiers?include_archived=true", headers=auth(key)).json["tiers"]) == 2


def test_program_settings(client, shop_and_key):
    _, key = shop_and_key
    response = client.patch("/api/v1/tiers/program", headers=auth(key), json={
        "tier_basis": "amount_spent", "tier_window": "calendar_year", "tier_grace_days": 30})
    assert response.status_code == 200
    assert response.json["tier_window"] == "calendar_year"
    bad = client.patch("/api/v1/tiers/program", headers=auth(key), json={"tier_window": "weekly"})
    assert bad.status_code == 422 and "tier_window" in bad.json["error"]["details"]["fields"]


@pytest.mark.parametrize("body, field", [
    ({"threshold": "10"}, "name"),
    ({"name": "X"}, "threshold"),
    ({"name": "X", "threshold": "-1"}, "threshold"),
    ({"name": "X", "threshold": "NaN"}, "threshold"),
    ({"name": "X", "threshold": "10", "multiplier": "0"}, "multiplier"),
    ({"name": "X", "threshold": "10", "entry_bonus_points": "5"}, "entry_bonus_points"),
    ({"name": "X", "threshold": "10", "perks": "free"}, "perks"),
])
def test_bad_tier_input_is_422_naming_the_field(client, shop_and_key, body, field):
    _, key = shop_and_key
    response = create(client, key, **body)
    assert response.status_code == 422
    assert field in response.json["error"]["details"]["fields"]
    assert client.get("/api/v1/tiers", headers=auth(key)).json["tiers"] == []


def test_duplicate_threshold_is_a_conflict(client, shop_and_key):
    _, key = shop_and_key
    create(client, key, name="Silver", threshold="500")
    response = create(client, key, name="Gold", threshold="500.00")
    assert response.status_code == 409 and response.json["error"]["details"]["field"] == "threshold"


def test_another_shops_tier_is_404_and_read_only_keys_cannot_write(client, session, shop_and_key):
    _, key = shop_and_key
    tier_id = create(client, key, name="Silver", threshold="500").json["id"]
    other, other_key = make_shop(session)
    reader = create_api_key(session, other.id, name="ro", now=utcnow(), scope=ApiKeyScope.READ_ONLY)
    session.commit()
    assert client.get(f"/api/v1/tiers/{tier_id}", headers=auth(other_key)).status_code == 404
    assert client.patch(f"/api/v1/tiers/{tier_id}", json={"name": "Mine"},
                        headers=auth(other_key)).json["error"]["code"] == "tier_not_found"
    assert create(client, reader, name="Gold", threshold="1").status_code == 403


def test_idempotent_create(client, shop_and_key):
    _, key = shop_and_key
    first = client.post("/api/v1/tiers", json={"name": "Silver", "threshold": "500"},
                        headers=auth(key, **{"Idempotency-Key": "t-1"}))
    again = client.post("/api/v1/tiers", json={"name": "Silver", "threshold": "500"},
                        headers=auth(key, **{"Idempotency-Key": "t-1"}))
    assert (first.status_code, again.status_code) == (201, 201)
    assert first.json == again.json
    assert len(client.get("/api/v1/tiers", headers=auth(key)).json["tiers"]) == 1


def test_customer_tier_standing_and_history(client, session, shop_and_key):
    shop, key = shop_and_key
    create(client, key, name="Silver", threshold="500", multiplier="2")
    create(client, key, name="Gold", threshold="1000")
    session.expire_all()  # the tiers were created through the API's own session
    apply_order_snapshot(session, shop, make_order("o1", customer_id="c1", items="620"), utcnow())
    session.commit()
    body = client.get("/api/v1/customers/c1/tier", headers=auth(key)).json
    assert body["status"]["tier"]["name"] == "Silver"
    assert body["status"]["progress"] == "620"
    assert body["status"]["next_tier"]["name"] == "Gold"
    assert body["status"]["remaining"] == "380"
    assert [h["reason"] for h in body["history"]] == ["promotion"]


def test_an_id_too_large_for_any_row_is_404(client, shop_and_key):
    _, key = shop_and_key
    for method in ("get", "patch", "delete"):
        response = getattr(client, method)(f"/api/v1/tiers/{2 ** 64}", headers=auth(key),
                                           **({"json": {"name": "X"}} if method == "patch" else {}))
        assert response.status_code == 404 and response.json["error"]["code"] == "tier_not_found"
