"""The program settings admin API: read, change, validation, Idempotency-Key, read-only keys."""
from __future__ import annotations

import pytest

from loyalty_plugin.models import ApiKeyScope, utcnow
from loyalty_plugin.services.api_keys import create_api_key
from tests.factories import make_shop

URL = "/api/v1/program/settings"


def auth(key: str, **extra) -> dict:
    return {"Authorization": f"Bearer {key}", **extra}


@pytest.fixture
def shop_and_key(session):
    shop, key = make_shop(session, currency="EUR")
    session.commit()
    return shop, key


def test_a_new_shop_shows_the_default_rules_and_its_currency(client, shop_and_key):
    _, key = shop_and_key
    response = client.get(URL, headers=auth(key))
    assert response.status_code == 200
    body = dict(response.json)
    assert body.pop("updated_at")
    assert body == {"points_per_unit": "1", "rounding": "floor", "include_shipping": False,
                    "include_taxes": False, "min_order_amount": "0.0000", "award_on": "paid",
                    "pending_days": 0, "skip_test_orders": True, "signup_bonus_points": 0,
                    "negative_balance": "allow", "timezone": "UTC", "currency": "EUR",
                    "rule_version": 1}


def test_changing_the_rules_raises_the_rule_version_and_keeps_the_currency(client, session, shop_and_key):
    shop, key = shop_and_key
    response = client.patch(URL, headers=auth(key), json={
        "points_per_unit": "2.5", "rounding": "half_up", "include_shipping": True,
        "min_order_amount": "20", "award_on": "fulfilled", "pending_days": 30,
        "negative_balance": "clamp", "timezone": "Europe/Paris"})

    assert response.status_code == 200, response.json
    assert response.json["points_per_unit"] == "2.5"
    assert response.json["min_order_amount"] == "20.0000"
    assert response.json["award_on"] == "fulfilled" and response.json["pending_days"] == 30
    assert response.json["timezone"] == "Europe/Paris" and response.json["currency"] == "EUR"
    assert response.json["rule_version"] == 2
    assert client.get(URL, headers=auth(key)).json == response.json
    session.expire_all()
    assert shop.timezone == "Europe/Paris" and shop.settings.pending_days == 30


def test_the_currency_cannot_be_changed(client, shop_and_key):
    _, key = shop_and_key
    response = client.patch(URL, headers=auth(key), json={"currency": "USD"})
    assert response.status_code == 422
    assert "currency" in response.json["error"]["details"]["fields"]


@pytest.mark.parametrize("body, field", [
    ({"points_per_unit": "0"}, "points_per_unit"),
    ({"points_per_unit": "-1"}, "points_per_unit"),
    ({"points_per_unit": "10001"}, "points_per_unit"),
    ({"points_per_unit": "1.00001"}, "points_per_unit"),
    ({"points_per_unit": "NaN"}, "points_per_unit"),
    ({"rounding": "banker"}, "rounding"),
    ({"include_shipping": "yes"}, "include_shipping"),
    ({"include_taxes": 1}, "include_taxes"),
    ({"min_order_amount": "-5"}, "min_order_amount"),
    ({"min_order_amount": "1.23456"}, "min_order_amount"),
    ({"award_on": "shipped"}, "award_on"),
    ({"pending_days": -1}, "pending_days"),
    ({"pending_days": 366}, "pending_days"),
    ({"pending_days": "14"}, "pending_days"),
    ({"signup_bonus_points": 1.5}, "signup_bonus_points"),
    ({"negative_balance": "forbid"}, "negative_balance"),
    ({"timezone": "Mars/Olympus_Mons"}, "timezone"),
    ({"timezone": "../../etc/passwd"}, "timezone"),
    ({"timezone": ""}, "timezone"),
    ({"timezone": "CEST"}, "timezone"),
    ({"rule_version": 9}, "rule_version"),
    ({"unknown": 1}, "unknown"),
])
def test_bad_settings_are_422_naming_the_field_and_change_nothing(client, shop_and_key, body, field):
    _, key = shop_and_key
    before = client.get(URL, headers=auth(key)).json
    response = client.patch(URL, headers=auth(key), json={"pending_days": 7, **body})
    assert response.status_code == 422, response.json
    assert response.json["error"]["code"] == "validation_failed"
    assert field in response.json["error"]["details"]["fields"]
    assert client.get(URL, headers=auth(key)).json == before


def test_the_same_idempotency_key_replays_and_a_different_body_is_refused(client, shop_and_key):
    _, key = shop_and_key
    headers = auth(key, **{"Idempotency-Key": "settings-1"})
    first = client.patch(URL, headers=headers, json={"points_per_unit": "3"})
    client.patch(URL, headers=auth(key), json={"points_per_unit": "4"})
    again = client.patch(URL, headers=headers, json={"points_per_unit": "3"})
    assert first.status_code == again.status_code == 200
    assert again.json == first.json and again.json["rule_version"] == 2
    assert client.get(URL, headers=auth(key)).json["points_per_unit"] == "4"
    other = client.patch(URL, headers=headers, json={"points_per_unit": "5"})
    assert other.status_code == 422
    assert other.json["error"]["code"] == "idempotency_key_reused"


def test_a_read_only_key_reads_but_cannot_change(client, session, shop_and_key):
    shop, _ = shop_and_key
    read_only = create_api_key(session, shop.id, name="ro", now=utcnow(), scope=ApiKeyScope.READ_ONLY)
    session.commit()
    assert client.get(URL, headers=auth(read_only)).status_code == 200
    assert client.patch(URL, headers=auth(read_only), json={"pending_days": 3}).status_code == 403


def test_a_body_that_is_not_json_is_refused(client, shop_and_key):
    _, key = shop_and_key
    response = client.patch(URL, headers=auth(key), data="pending_days=3")
    assert response.status_code == 415
