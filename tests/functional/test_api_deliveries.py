"""The inbound deliveries API: the inbox newest first, filters, no raw bodies, replay."""
from __future__ import annotations

import datetime as dt

import pytest

from loyalty_plugin.models import DeliveryStatus, InboundDelivery, utcnow
from loyalty_plugin.services.accounts import find_by_external_id
from tests.factories import make_shop, post_shopify, shopify_order


def auth(key: str) -> dict:
    return {"Authorization": f"Bearer {key}"}


def stored(session, shop, delivery_id: str, *, topic: str = "orders/paid",
           status: DeliveryStatus = DeliveryStatus.PROCESSED, body: bytes | None = b"{}") -> InboundDelivery:
    delivery = InboundDelivery(shop_id=shop.id, delivery_id=delivery_id, topic=topic, status=status,
                               received_at=utcnow() - dt.timedelta(minutes=5), attempts=1, body=body,
                               headers={})
    session.add(delivery)
    session.flush()
    return delivery


@pytest.fixture
def shop_key(session):
    shop, key = make_shop(session)
    session.commit()
    return shop, key


def test_list_is_newest_first_filtered_and_paged_without_bodies(client, session, shop_key):
    shop, key = shop_key
    first = stored(session, shop, "d1", status=DeliveryStatus.FAILED)
    stored(session, shop, "d2", topic="refunds/create")
    third = stored(session, shop, "d3", status=DeliveryStatus.FAILED)
    session.commit()
    listed = client.get("/api/v1/deliveries", headers=auth(key)).json
    assert [d["delivery_id"] for d in listed["items"]] == ["d3", "d2", "d1"]
    assert set(listed["items"][0]) == {"id", "delivery_id", "topic", "status", "received_at",
                                       "processed_at", "attempts", "note", "error"}
    failed = client.get("/api/v1/deliveries?status=failed&limit=1", headers=auth(key)).json
    assert [d["id"] for d in failed["items"]] == [third.id] and failed["next_cursor"] == str(third.id)
    rest = client.get(f"/api/v1/deliveries?status=failed&cursor={failed['next_cursor']}",
                      headers=auth(key)).json
    assert [d["id"] for d in rest["items"]] == [first.id] and rest["next_cursor"] is None
    refunds = client.get("/api/v1/deliveries?topic=refunds/create", headers=auth(key)).json
    assert [d["delivery_id"] for d in refunds["items"]] == ["d2"]


@pytest.mark.parametrize("query", ["status=lost", "limit=0", "limit=201", "cursor=-1", "topic=", "x=1"])
def test_bad_filters_are_refused_by_name(client, shop_key, query):
    _, key = shop_key
    response = client.get(f"/api/v1/deliveries?{query}", headers=auth(key))
    assert response.status_code == 422 and response.json["error"]["code"] == "validation_failed"


def test_one_delivery_and_unknown_ids(client, session, shop_key):
    shop, key = shop_key
    delivery = stored(session, shop, "d1")
    session.commit()
    assert client.get(f"/api/v1/deliveries/{delivery.id}", headers=auth(key)).json["delivery_id"] == "d1"
    missing = client.get(f"/api/v1/deliveries/{delivery.id + 100}", headers=auth(key))
    assert missing.status_code == 404 and missing.json["error"]["code"] == "delivery_not_found"


def test_replay_applies_a_failed_delivery_once(app, client, session, shop_key, monkeypatch):
    shop, key = shop_key

    def explode(*args, **kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr("webhooks.pipeline.apply_event", explode)
    assert post_shopify(client, shop, "orders/paid", shopify_order(customer_id=21),
                        webhook_id="f1").status_code == 500
    monkeypatch.undo()
    failed = client.get("/api/v1/deliveries?status=failed", headers=auth(key)).json["items"]
    assert [d["delivery_id"] for d in failed] == ["f1"] and "went away" in failed[0]["error"]

    replayed = client.post(f"/api/v1/deliveries/{failed[0]['id']}/replay", headers=auth(key))
    assert replayed.status_code == 200, replayed.json
    assert replayed.json["status"] == "processed"
    assert replayed.json["delivery"]["status"] == "processed" and replayed.json["delivery"]["error"] is None
    again = client.post(f"/api/v1/deliveries/{failed[0]['id']}/replay", headers=auth(key))
    assert again.status_code == 200
    session.expire_all()
    assert find_by_external_id(session, shop.id, "21").available == 100


def test_replaying_a_body_that_no_longer_parses_rejects_it(client, session, shop_key):
    shop, key = shop_key
    delivery = stored(session, shop, "bad", status=DeliveryStatus.FAILED, body=b"not json")
    session.commit()
    response = client.post(f"/api/v1/deliveries/{delivery.id}/replay", headers=auth(key))
    assert response.status_code == 200
    assert response.json["status"] == "rejected" and response.json["delivery"]["status"] == "rejected"


def test_replay_needs_a_read_write_key(client, session, shop_key):
    shop, key = shop_key
    delivery = stored(session, shop, "d1")
    session.commit()
    read_only = client.post("/api/v1/api-keys", headers=auth(key),
                            json={"name": "ro", "scope": "read_only"}).json["key"]
    assert client.post(f"/api/v1/deliveries/{delivery.id}/replay", headers=auth(read_only)).status_code == 403
