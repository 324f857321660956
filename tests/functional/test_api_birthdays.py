"""The birthday admin API: a customer's birthday, the birthday points setting, bad input."""
from __future__ import annotations

import datetime as dt

import pytest

from loyalty_plugin.events import CustomerRef
from loyalty_plugin.models import ApiKeyScope, utcnow
from loyalty_plugin.services.accounts import resolve_account
from loyalty_plugin.services.api_keys import create_api_key
from tests.factories import make_shop


@pytest.fixture
def shop_and_key(session):
    shop, key = make_shop(session, birthday_points=25)
    resolve_account(session, shop, CustomerRef(platform_id="c1", email="c1@example.com"), utcnow())
    session.commit()
    return shop, key


def auth(key: str) -> dict:
    return {"Authorization": f"Bearer {key}"}


def test_set_read_and_clear_a_birthday(client, shop_and_key):
    _, key = shop_and_key
    assert client.get("/api/v1/customers/c1/birthday", headers=auth(key)).json == {
        "month": None, "day": None, "year": None, "set_at": None, "next_payout": None}
    response = client.put("/api/v1/customers/c1/birthday", headers=auth(key),
                          json={"month": 2, "day": 29, "year": 1992})
    assert response.status_code == 200
    body = response.json
    assert (body["month"], body["day"], body["year"]) == (2, 29, 1992)
    # Just set: this year's birthday is within the notice period or past, so the next one pays.
    today = utcnow().date()
    assert dt.date.fromisoformat(body["next_payout"]) > today + dt.timedelta(days=30)
    assert client.get("/api/v1/customers/c1/birthday", headers=auth(key)).json == body
    cleared = client.delete("/api/v1/customers/c1/birthday", headers=auth(key))
    assert cleared.status_code == 200 and cleared.json["month"] is None


def test_the_year_is_optional(client, shop_and_key):
    _, key = shop_and_key
    response = client.put("/api/v1/customers/c1/birthday", headers=auth(key), json={"month": 12, "day": 31})
    assert response.status_code == 200 and response.json["year"] is None


@pytest.mark.parametrize("body, field", [
    ({"day": 1}, "month"),
    ({"month": 1}, "day"),
    ({"month": 13, "day": 1}, "month"),
    ({"month": "1", "day": 1}, "month"),
    ({"month": 1, "day": 32}, "day"),
    ({"month": 4, "day": 31}, "day"),
    ({"month": 2, "day": 30}, "day"),
    ({"month": 2, "day": 29, "year": 2023}, "day"),
    ({"month": 1, "day": 1, "year": 1800}, "year"),
    ({"month": 1, "day": 1, "year": 9999}, "year"),
    ({"month": 1, "day": 1, "year": 1.5}, "year"),
    ({"month": 1, "day": 1, "extra": True}, "extra"),
])
def test_impossible_birthdays_are_422_naming_the_field(client, shop_and_key, body, field):
    _, key = shop_and_key
    response = client.put("/api/v1/customers/c1/birthday", headers=auth(key), json=body)
    assert response.status_code == 422
    assert response.json["error"]["code"] == "validation_failed"
    assert field in response.json["error"]["details"]["fields"]
    assert client.get("/api/v1/customers/c1/birthday", headers=auth(key)).json["month"] is None


def test_unknown_customer_bad_json_and_read_only_keys(client, session, shop_and_key):
    shop, key = shop_and_key
    response = client.put("/api/v1/customers/nobody/birthday", headers=auth(key), json={"month": 1, "day": 1})
    assert (response.status_code, response.json["error"]["code"]) == (404, "customer_not_found")
    response = client.put("/api/v1/customers/c1/birthday", data=b"{", headers={
        **auth(key), "Content-Type": "application/json"})
    assert (response.status_code, response.json["error"]["code"]) == (400, "invalid_json")
    read_only = create_api_key(session, shop.id, name="ro", now=utcnow(), scope=ApiKeyScope.READ_ONLY)
    session.commit()
    response = client.put("/api/v1/customers/c1/birthday", headers=auth(read_only), json={"month": 1, "day": 1})
    assert response.status_code == 403
    assert client.get("/api/v1/customers/c1/birthday", headers=auth(read_only)).status_code == 200


def test_birthday_points_setting(client, shop_and_key):
    _, key = shop_and_key
    assert client.get("/api/v1/birthdays/settings", headers=auth(key)).json == {"birthday_points": 25}
    response = client.patch("/api/v1/birthdays/settings", headers=auth(key), json={"birthday_points": 0})
    assert response.status_code == 200 and response.json == {"birthday_points": 0}
    for body, field in (({"birthday_points": -1}, "birthday_points"), ({}, "birthday_points"),
                        ({"birthday_points": "5"}, "birthday_points"), ({"birthday_points": 10**9}, "birthday_points")):
        response = client.patch("/api/v1/birthdays/settings", headers=auth(key), json=body)
        assert response.status_code == 422
        assert field in response.json["error"]["details"]["fields"]
    assert client.get("/api/v1/birthdays/settings", headers=auth(key)).json == {"birthday_points": 0}
