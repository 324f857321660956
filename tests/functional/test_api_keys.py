"""API keys through the admin API: shown once, listed without secrets, scoped, revoked."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from loyalty_plugin.models import IdempotencyRecord
from tests.factories import make_shop


def auth(key: str, **extra: str) -> dict:
    return {"Authorization": f"Bearer {key}", **extra}


@pytest.fixture
def shop_key(session):
    shop, key = make_shop(session)
    session.commit()
    return shop, key


def create(client, key, **body):
    return client.post("/api/v1/api-keys", headers=auth(key), json={"name": "Zapier", **body})


def test_a_new_key_is_shown_once_and_works(client, shop_key):
    _, key = shop_key
    created = create(client, key, scope="read_only")
    assert created.status_code == 201
    new = created.json
    assert new["scope"] == "read_only" and new["key"].startswith(new["prefix"])
    assert client.get("/api/v1/api-keys", headers=auth(new["key"])).status_code == 200
    listed = client.get("/api/v1/api-keys", headers=auth(key)).json["items"]
    assert [k["name"] for k in listed] == ["Zapier", "default"]
    assert all(set(k) == {"id", "name", "prefix", "scope", "created_at", "revoked_at"} for k in listed)


def test_a_repeated_create_does_not_show_or_store_the_key(client, session, shop_key):
    _, key = shop_key
    first = client.post("/api/v1/api-keys", headers=auth(key, **{"Idempotency-Key": "k1"}),
                        json={"name": "CRM"})
    again = client.post("/api/v1/api-keys", headers=auth(key, **{"Idempotency-Key": "k1"}),
                        json={"name": "CRM"})
    assert first.status_code == again.status_code == 201
    assert "key" in first.json and "key" not in again.json and again.json["id"] == first.json["id"]
    stored = session.execute(select(IdempotencyRecord.response)).scalars().all()
    assert all(first.json["key"] not in str(response) for response in stored)


def test_a_read_only_key_cannot_write(client, shop_key):
    _, key = shop_key
    read_only = create(client, key, scope="read_only").json["key"]
    refused = create(client, read_only)
    assert refused.status_code == 403 and refused.json["error"]["code"] == "unauthorized"


def test_a_revoked_key_stops_working_at_once(client, shop_key):
    _, key = shop_key
    other = create(client, key).json
    revoked = client.post(f"/api/v1/api-keys/{other['id']}/revoke", headers=auth(key))
    assert revoked.status_code == 200 and revoked.json["revoked_at"]
    assert client.get("/api/v1/api-keys", headers=auth(other["key"])).status_code == 401
    again = client.post(f"/api/v1/api-keys/{other['id']}/revoke", headers=auth(key))
    assert again.status_code == 200 and again.json["revoked_at"] == revoked.json["revoked_at"]


def test_the_last_read_write_key_cannot_be_revoked(client, shop_key):
    _, key = shop_key
    own_id = client.get("/api/v1/api-keys", headers=auth(key)).json["items"][0]["id"]
    create(client, key, scope="read_only")
    refused = client.post(f"/api/v1/api-keys/{own_id}/revoke", headers=auth(key))
    assert refused.status_code == 409 and refused.json["error"]["code"] == "last_write_key"
    create(client, key)
    assert client.post(f"/api/v1/api-keys/{own_id}/revoke", headers=auth(key)).status_code == 200
    assert client.get("/api/v1/api-keys", headers=auth(key)).status_code == 401


def test_another_shops_key_is_not_found(client, session, shop_key):
    _, key = shop_key
    _, other_key = make_shop(session)
    session.commit()
    other_id = client.get("/api/v1/api-keys", headers=auth(other_key)).json["items"][0]["id"]
    response = client.post(f"/api/v1/api-keys/{other_id}/revoke", headers=auth(key))
    assert response.status_code == 404 and response.json["error"]["code"] == "api_key_not_found"


@pytest.mark.parametrize("body, field", [({"name": ""}, "name"), ({"name": "x", "scope": "admin"}, "scope"),
                                         ({}, "name"), ({"name": "x", "extra": 1}, "extra")])
def test_bad_input_names_the_field(client, shop_key, body, field):
    _, key = shop_key
    response = client.post("/api/v1/api-keys", headers=auth(key), json=body)
    assert response.status_code == 422 and field in response.json["error"]["details"]["fields"]
