"""The admin API: balances, activity, adjustments, auth and bad input."""
from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import select

from loyalty_plugin.models import ApiKeyScope, CustomerAccount, utcnow
from loyalty_plugin.services.api_keys import create_api_key
from loyalty_plugin.services.orders import apply_order_snapshot
from tests.dashboard_support import dashboard_client, make_user, post, sign_in
from tests.factories import make_order, make_shop


@pytest.fixture
def shop_and_key(session):
    shop, key = make_shop(session)
    apply_order_snapshot(session, shop, make_order("o1", customer_id="c1", items="42"), utcnow())
    session.commit()
    return shop, key


def auth(key: str, **extra) -> dict:
    return {"Authorization": f"Bearer {key}", **extra}


def test_get_customer_returns_balances(client, shop_and_key):
    _, key = shop_and_key
    response = client.get("/api/v1/customers/c1", headers=auth(key))
    assert response.status_code == 200
    assert response.json["external_id"] == "c1"
    assert response.json["email"] == "shopper@example.com"
    assert response.json["points"] == {"available": 42, "pending": 0, "lifetime": 42}


def test_unknown_customer_is_404_json(client, shop_and_key):
    _, key = shop_and_key
    response = client.get("/api/v1/customers/nobody", headers=auth(key))
    assert response.status_code == 404
    assert response.json["error"]["code"] == "customer_not_found"


def test_another_shops_key_sees_404_never_the_data(client, session, shop_and_key):
    _, other_key = make_shop(session)
    session.commit()
    response = client.get("/api/v1/customers/c1", headers=auth(other_key))
    assert response.status_code == 404
    assert "42" not in response.get_data(as_text=True)
    response = client.post("/api/v1/customers/c1/adjustments", headers=auth(other_key),
                           json={"points": 5, "reason": "x"})
    assert response.status_code == 404


@pytest.mark.parametrize("header", [None, "Bearer", "Bearer lk_wrong", "Basic abc", "Bearer " + "x" * 500])
def test_missing_or_bad_key_is_401(client, shop_and_key, header):
    headers = {"Authorization": header} if header else {}
    response = client.get("/api/v1/customers/c1", headers=headers)
    assert response.status_code == 401
    assert response.json["error"]["code"] == "unauthorized"


def test_activity_is_newest_first_with_cursor_pagination(client, shop_and_key):
    _, key = shop_and_key
    for i in range(1, 6):
        client.post("/api/v1/customers/c1/adjustments", headers=auth(key),
                    json={"points": i, "reason": f"bonus {i}"})
    first = client.get("/api/v1/customers/c1/activity?limit=4", headers=auth(key)).json
    assert [e["points"] for e in first["items"]] == [5, 4, 3, 2]
    assert first["next_cursor"]
    second = client.get(f"/api/v1/customers/c1/activity?limit=4&cursor={first['next_cursor']}",
                        headers=auth(key)).json
    assert [e["points"] for e in second["items"]] == [1, 42]
    assert second["next_cursor"] is None
    earn = second["items"][1]
    assert earn["kind"] == "earn" and earn["base_amount"] == "42.0000" and earn["rate"] == "1.0000"


@pytest.mark.parametrize("query", ["limit=0", "limit=201", "limit=abc", "cursor=-1", "bogus=1"])
def test_bad_pagination_is_422_naming_the_field(client, shop_and_key, query):
    _, key = shop_and_key
    response = client.get(f"/api/v1/customers/c1/activity?{query}", headers=auth(key))
    assert response.status_code == 422
    assert query.split("=")[0] in response.json["error"]["details"]["fields"]


def test_adjustment_credits_and_debits(client, shop_and_key):
    _, key = shop_and_key
    response = client.post("/api/v1/customers/c1/adjustments", headers=auth(key),
                           json={"points": 8, "reason": "Late parcel"})
    assert response.status_code == 201
    assert response.json["entry"]["kind"] == "adjustment"
    assert response.json["entry"]["reason"] == "Late parcel"
    assert response.json["customer"]["points"]["available"] == 50
    response = client.post("/api/v1/customers/c1/adjustments", headers=auth(key),
                           json={"points": -50, "reason": "Correction"})
    assert response.status_code == 201
    assert response.json["customer"]["points"]["available"] == 0


def test_activity_says_who_made_each_manual_entry(app, client, session, shop_and_key):
    shop, key = shop_and_key
    named = create_api_key(session, shop.id, name="Zapier", now=utcnow())
    session.commit()
    made = client.post("/api/v1/customers/c1/adjustments", headers=auth(named),
                       json={"points": 3, "reason": "Survey"})
    assert made.status_code == 201 and made.json["entry"]["actor"] == "API key Zapier"
    make_user(session, shop, email="ops@example.com")
    browser = dashboard_client(app)
    sign_in(browser, shop, email="ops@example.com")
    account_id = session.execute(select(CustomerAccount.id).where(
        CustomerAccount.shop_id == shop.id, CustomerAccount.platform_customer_id == "c1")).scalar_one()
    detail = f"/admin/customers/{account_id}"
    token = re.search(r'name="form_token" value="([0-9a-f]+)"', browser.get(detail).get_data(as_text=True))
    assert post(browser, f"{detail}/adjustments", {"points": "-2", "reason": "Typo",
                                                   "form_token": token.group(1)}, page=detail).status_code == 303

    items = client.get("/api/v1/customers/c1/activity", headers=auth(key)).json["items"]
    assert [(e["kind"], e["points"], e["actor"]) for e in items] == [
        ("adjustment", -2, "ops@example.com"), ("adjustment", 3, "API key Zapier"), ("earn", 42, None)]


def test_debit_beyond_balance_is_422_and_changes_nothing(client, shop_and_key):
    _, key = shop_and_key
    response = client.post("/api/v1/customers/c1/adjustments", headers=auth(key),
                           json={"points": -43, "reason": "too much"})
    assert response.status_code == 422
    assert response.json["error"]["code"] == "insufficient_points"
    assert response.json["error"]["details"] == {"available": 42, "requested": 43}
    assert client.get("/api/v1/customers/c1", headers=auth(key)).json["points"]["available"] == 42


def test_idempotency_key_replays_the_first_answer(client, shop_and_key):
    _, key = shop_and_key
    headers = auth(key, **{"Idempotency-Key": "adj-1"})
    first = client.post("/api/v1/customers/c1/adjustments", headers=headers,
                        json={"points": 10, "reason": "once"})
    again = client.post("/api/v1/customers/c1/adjustments", headers=headers,
                        json={"points": 10, "reason": "once"})
    assert first.status_code == again.status_code == 201
    assert first.json == again.json
    assert client.get("/api/v1/customers/c1", headers=auth(key)).json["points"]["available"] == 52
    other = client.post("/api/v1/customers/c1/adjustments", headers=headers,
                        json={"points": 11, "reason": "once"})
    assert other.status_code == 422
    assert other.json["error"]["code"] == "idempotency_key_reused"


@pytest.mark.parametrize("body, field", [
    ({"reason": "no points"}, "points"),
    ({"points": "10", "reason": "string points"}, "points"),
    ({"points": 1.5, "reason": "float points"}, "points"),
    ({"points": True, "reason": "bool points"}, "points"),
    ({"points": 0, "reason": "zero"}, "points"),
    ({"points": 10**12, "reason": "huge"}, "points"),
    ({"points": 10}, "reason"),
    ({"points": 10, "reason": ""}, "reason"),
    ({"points": 10, "reason": "x" * 501}, "reason"),
    ({"points": 10, "reason": "ok", "extra": 1}, "extra"),
])
def test_invalid_adjustments_are_422_naming_the_field(client, shop_and_key, body, field):
    _, key = shop_and_key
    response = client.post("/api/v1/customers/c1/adjustments", headers=auth(key), json=body)
    assert response.status_code == 422
    assert field in response.json["error"]["details"]["fields"]


def test_malformed_and_wrongly_typed_bodies_are_4xx(client, shop_and_key):
    _, key = shop_and_key
    url = "/api/v1/customers/c1/adjustments"
    response = client.post(url, headers=auth(key, **{"Content-Type": "application/json"}), data=b"{oops")
    assert (response.status_code, response.json["error"]["code"]) == (400, "invalid_json")
    response = client.post(url, headers=auth(key), json=[1, 2])
    assert response.status_code == 400
    response = client.post(url, headers=auth(key), data="points=1")
    assert response.status_code == 415
    response = client.post(url, headers=auth(key, **{"Idempotency-Key": "k" * 300}),
                           json={"points": 1, "reason": "x"})
    assert response.status_code == 400


def test_read_only_key_cannot_adjust(client, session, shop_and_key):
    shop, _ = shop_and_key
    read_only = create_api_key(session, shop.id, name="ro", now=utcnow(), scope=ApiKeyScope.READ_ONLY)
    session.commit()
    assert client.get("/api/v1/customers/c1", headers=auth(read_only)).status_code == 200
    response = client.post("/api/v1/customers/c1/adjustments", headers=auth(read_only),
                           json={"points": 1, "reason": "x"})
    assert response.status_code == 403


def test_revoked_key_is_401(client, session, shop_and_key):
    shop, key = shop_and_key
    from loyalty_plugin.services.api_keys import authenticate
    authenticate(session, key).revoked_at = utcnow() - dt.timedelta(seconds=1)
    session.commit()
    assert client.get("/api/v1/customers/c1", headers=auth(key)).status_code == 401


def test_unknown_routes_and_methods_are_json(client):
    response = client.get("/api/v1/nothing-here")
    assert response.status_code == 404 and response.json["error"]["code"] == "not_found"
    response = client.delete("/api/v1/customers/c1")
    assert response.status_code == 405 and response.json["error"]["code"] == "method_not_allowed"


def test_healthz(client):
    assert client.get("/healthz").json == {"status": "ok"}
