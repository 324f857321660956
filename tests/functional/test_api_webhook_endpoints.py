"""The webhook endpoint admin API: secrets shown once, refused URLs, field errors, tenancy."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from loyalty_plugin.models import WebhookEndpoint
from tests.conftest import make_test_app
from tests.factories import make_shop

HOOK = "https://hooks.example.com/loyalty"


def auth(key: str, **extra: str) -> dict:
    return {"Authorization": f"Bearer {key}", **extra}


@pytest.fixture
def shop_key(session):
    shop, key = make_shop(session)
    session.commit()
    return shop, key


def create(client, key, **body):
    return client.post("/api/v1/webhook-endpoints", headers=auth(key),
                       json={"url": HOOK, "event_types": ["points.earned"], **body})


def test_the_secret_is_shown_on_creation_only(client, session, shop_key):
    shop, key = shop_key
    created = create(client, key, event_types=["tier.changed", "points.earned", "points.earned"],
                     description="CRM")
    assert created.status_code == 201, created.json
    body = created.json
    assert body["secret"].startswith("whsec_") and len(body["secret"]) > 40
    assert body["event_types"] == ["points.earned", "tier.changed"] and body["active"] is True
    stored = session.execute(select(WebhookEndpoint).where(WebhookEndpoint.shop_id == shop.id)).scalar_one()
    assert stored.secret == body["secret"]

    listed = client.get("/api/v1/webhook-endpoints", headers=auth(key)).json["items"]
    shown = client.get(f"/api/v1/webhook-endpoints/{body['id']}", headers=auth(key)).json
    assert [item["id"] for item in listed] == [body["id"]]
    assert "secret" not in listed[0] and "secret" not in shown


def test_update_rotate_and_delete(client, shop_key):
    _, key = shop_key
    endpoint = create(client, key).json
    changed = client.patch(f"/api/v1/webhook-endpoints/{endpoint['id']}", headers=auth(key),
                           json={"active": False, "event_types": ["points.expiring"]})
    assert changed.status_code == 200
    assert (changed.json["active"], changed.json["event_types"]) == (False, ["points.expiring"])
    assert "secret" not in changed.json
    rotated = client.patch(f"/api/v1/webhook-endpoints/{endpoint['id']}", headers=auth(key),
                           json={"rotate_secret": True})
    assert rotated.json["secret"].startswith("whsec_") and rotated.json["secret"] != endpoint["secret"]

    deleted = client.delete(f"/api/v1/webhook-endpoints/{endpoint['id']}", headers=auth(key))
    assert deleted.status_code == 200
    assert client.get(f"/api/v1/webhook-endpoints/{endpoint['id']}", headers=auth(key)).status_code == 404


def test_an_idempotency_key_creates_one_endpoint(client, shop_key):
    _, key = shop_key
    headers = auth(key, **{"Idempotency-Key": "create-once"})
    body = {"url": HOOK, "event_types": ["points.earned"]}
    first = client.post("/api/v1/webhook-endpoints", headers=headers, json=body)
    again = client.post("/api/v1/webhook-endpoints", headers=headers, json=body)
    assert first.status_code == again.status_code == 201
    assert first.json == again.json
    assert len(client.get("/api/v1/webhook-endpoints", headers=auth(key)).json["items"]) == 1


@pytest.mark.parametrize("url", [
    "http://hooks.example.com/plain",          # plain http off loopback
    "https://10.1.2.3/hook",                   # private network
    "https://192.168.0.10/hook",
    "https://169.254.169.254/latest/meta-data",  # cloud metadata (link-local)
    "https://[fd00:ec2::254]/",                # metadata over IPv6 (unique local)
    "https://metadata.google.internal/computeMetadata/v1/",
    "https://[::ffff:172.16.0.1]/",            # a private IPv4 dressed as IPv6
    "https://0.0.0.0/",
    "http://127.0.0.1:8080/hook",              # loopback, not allowed by default
    "https://user:pass@hooks.example.com/",
    "ftp://hooks.example.com/",
    "not a url at all",
])
def test_refused_urls_are_422_naming_the_url(client, shop_key, url):
    _, key = shop_key
    response = create(client, key, url=url)
    assert response.status_code == 422, response.json
    assert "url" in response.json["error"]["details"]["fields"]
    assert client.get("/api/v1/webhook-endpoints", headers=auth(key)).json["items"] == []


def test_loopback_is_allowed_when_the_operator_allows_it(database, session, shop_key):
    _, key = shop_key
    client = make_test_app(database, LOYALTY_WEBHOOK_ALLOW_LOOPBACK=True).test_client()
    assert create(client, key, url="http://127.0.0.1:8080/hook").status_code == 201
    assert create(client, key, url="http://localhost:9/hook").status_code == 201
    assert create(client, key, url="https://10.0.0.1/hook").status_code == 422


@pytest.mark.parametrize("body, field", [
    ({"event_types": ["points.earned"]}, "url"),
    ({"url": HOOK}, "event_types"),
    ({"url": HOOK, "event_types": []}, "event_types"),
    ({"url": HOOK, "event_types": ["points.stolen"]}, "event_types"),
    ({"url": HOOK, "event_types": "points.earned"}, "event_types"),
    ({"url": 42, "event_types": ["points.earned"]}, "url"),
    ({"url": HOOK, "event_types": ["points.earned"], "active": "yes"}, "active"),
    ({"url": HOOK, "event_types": ["points.earned"], "secret": "mine"}, "secret"),
])
def test_bad_input_is_422_naming_the_field(client, shop_key, body, field):
    _, key = shop_key
    response = client.post("/api/v1/webhook-endpoints", headers=auth(key), json=body)
    assert response.status_code == 422
    assert field in response.json["error"]["details"]["fields"]


def test_malformed_requests_are_4xx(client, shop_key):
    _, key = shop_key
    assert client.post("/api/v1/webhook-endpoints", headers=auth(key), data="{",
                       content_type="application/json").status_code == 400
    assert client.post("/api/v1/webhook-endpoints", headers=auth(key), data="url=x").status_code == 415
    assert client.post("/api/v1/webhook-endpoints", json={"url": HOOK}).status_code == 401
    assert client.patch("/api/v1/webhook-endpoints/999999", headers=auth(key),
                        json={"active": False}).status_code == 404
    bad_query = client.get("/api/v1/webhook-deliveries?status=lost", headers=auth(key))
    assert bad_query.status_code == 422 and "status" in bad_query.json["error"]["details"]["fields"]
    assert client.post("/api/v1/webhook-deliveries/999999/replay", headers=auth(key)).status_code == 404
    huge = 2**64
    assert client.get(f"/api/v1/webhook-endpoints/{huge}", headers=auth(key)).status_code == 404
    assert client.delete(f"/api/v1/webhook-endpoints/{huge}", headers=auth(key)).status_code == 404
    assert client.post(f"/api/v1/webhook-deliveries/{huge}/replay", headers=auth(key)).status_code == 404


def test_another_shops_endpoint_is_not_found(client, session, shop_key):
    _, key = shop_key
    _, other_key = make_shop(session)
    session.commit()
    endpoint = create(client, key).json
    for call in (client.get, client.delete):
        assert call(f"/api/v1/webhook-endpoints/{endpoint['id']}", headers=auth(other_key)).status_code == 404
    assert client.get("/api/v1/webhook-endpoints", headers=auth(other_key)).json["items"] == []
