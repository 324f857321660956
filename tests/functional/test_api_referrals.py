"""The referral admin API: codes, recording with its refusals, listing, voiding, settings."""
from __future__ import annotations

import pytest

from loyalty_plugin.events import CustomerRef, PostalAddress
from loyalty_plugin.models import ApiKeyScope, utcnow
from loyalty_plugin.rules.referrals import CODE_ALPHABET, CODE_LENGTH
from loyalty_plugin.services.accounts import resolve_account
from loyalty_plugin.services.api_keys import create_api_key
from loyalty_plugin.services.orders import apply_order_snapshot
from tests.factories import make_order, make_shop


@pytest.fixture
def shop_and_key(session):
    shop, key = make_shop(session, referrals_enabled=True, referral_points=100, pending_days=0)
    resolve_account(session, shop, CustomerRef(
        platform_id="ann", email="ann@example.com",
        address=PostalAddress(line1="1 High Street", postal_code="AB1 2CD")), utcnow())
    resolve_account(session, shop, CustomerRef(platform_id="zoe", email="zoe@example.com"), utcnow())
    session.commit()
    return shop, key


def auth(key: str, **extra) -> dict:
    return {"Authorization": f"Bearer {key}", **extra}


def code_of(client, key, external_id="ann") -> str:
    return client.get(f"/api/v1/customers/{external_id}/referral", headers=auth(key)).json["code"]


def refer(client, key, email="bob@example.com", code=None, **friend):
    return client.post("/api/v1/referrals", headers=auth(key),
                       json={"referral_code": code or code_of(client, key), "friend": {"email": email, **friend}})


def test_each_customer_has_one_code_and_link(client, shop_and_key):
    shop, key = shop_and_key
    first = client.get("/api/v1/customers/ann/referral", headers=auth(key))
    assert first.status_code == 200
    code = first.json["code"]
    assert len(code) == CODE_LENGTH and set(code) <= set(CODE_ALPHABET)
    assert first.json["link"] == f"https://{shop.domain}/?ref={code}"
    assert client.get("/api/v1/customers/ann/referral", headers=auth(key)).json["code"] == code
    assert code_of(client, key, "zoe") != code
    missing = client.get("/api/v1/customers/nobody/referral", headers=auth(key))
    assert (missing.status_code, missing.json["error"]["code"]) == (404, "customer_not_found")


def test_recording_a_referral_and_the_same_one_again(client, shop_and_key):
    _, key = shop_and_key
    typed = code_of(client, key).lower()
    created = refer(client, key, code=typed, external_id="bob-1",
                    address={"line1": "5 Low Road", "postal_code": "ZZ9 9ZZ"})
    assert created.status_code == 201
    body = created.json
    assert body["status"] == "pending" and body["reason"] is None
    assert body["referrer"] == {"external_id": "ann"}
    assert body["friend"] == {"email": "bob@example.com", "external_id": "bob-1"}
    again = refer(client, key, email="Bob@Example.com")
    assert again.status_code == 200 and again.json["id"] == body["id"]
    taken = refer(client, key, code=code_of(client, key, "zoe"))
    assert (taken.status_code, taken.json["error"]["code"]) == (409, "friend_already_referred")


@pytest.mark.parametrize("friend, code", [
    ({"email": "ann@example.com"}, "self_referral"),
    ({"email": "someone@example.com", "external_id": "ann"}, "self_referral"),
    ({"email": "bob@example.com", "address": {"line1": "High St. 1", "postal_code": "ab12cd"}}, "self_referral"),
    ({"email": "zoe@example.com"}, "friend_not_new"),
])
def test_each_refusal_is_a_422_with_its_own_code_and_is_kept(client, session, shop_and_key, friend, code):
    shop, key = shop_and_key
    if code == "friend_not_new":
        apply_order_snapshot(session, shop, make_order(customer_id="zoe", email="zoe@example.com"), utcnow())
        session.commit()
    response = refer(client, key, **friend)
    assert response.status_code == 422
    assert response.json["error"]["code"] == code
    referral_id = response.json["error"]["details"]["referral_id"]
    kept = client.get(f"/api/v1/referrals/{referral_id}", headers=auth(key)).json
    assert (kept["status"], kept["reason"]) == ("rejected", code)


def test_the_limit_refuses_with_its_code(client, shop_and_key):
    _, key = shop_and_key
    client.patch("/api/v1/referrals/settings", headers=auth(key), json={"referral_limit": 1})
    assert refer(client, key, "one@example.com").status_code == 201
    response = refer(client, key, "two@example.com")
    assert (response.status_code, response.json["error"]["code"]) == (422, "referral_limit_reached")


def test_unknown_codes_and_a_program_turned_off(client, shop_and_key):
    _, key = shop_and_key
    for code in ("NOPE", "2345678923"):
        response = refer(client, key, code=code)
        assert (response.status_code, response.json["error"]["code"]) == (422, "unknown_referral_code")
        assert "referral_code" in response.json["error"]["details"]["fields"]
    client.patch("/api/v1/referrals/settings", headers=auth(key), json={"referrals_enabled": False})
    response = refer(client, key)
    assert (response.status_code, response.json["error"]["code"]) == (409, "referrals_disabled")


@pytest.mark.parametrize("body, field", [
    ({"friend": {"email": "bob@example.com"}}, "referral_code"),
    ({"referral_code": "", "friend": {"email": "bob@example.com"}}, "referral_code"),
    ({"referral_code": "X" * 65, "friend": {"email": "bob@example.com"}}, "referral_code"),
    ({"referral_code": "ABC"}, "friend"),
    ({"referral_code": "ABC", "friend": "bob@example.com"}, "friend"),
    ({"referral_code": "ABC", "friend": {}}, "friend"),
    ({"referral_code": "ABC", "friend": {"email": "not-an-email"}}, "friend"),
    ({"referral_code": "ABC", "friend": {"email": "b@example.com", "external_id": "x" * 65}}, "friend"),
    ({"referral_code": "ABC", "friend": {"email": "b@example.com", "address": {"city": "Paris"}}}, "friend"),
    ({"referral_code": "ABC", "friend": {"email": "b@example.com"}, "extra": 1}, "extra"),
])
def test_bad_referral_bodies_are_422_naming_the_field(client, shop_and_key, body, field):
    _, key = shop_and_key
    response = client.post("/api/v1/referrals", headers=auth(key), json=body)
    assert response.status_code == 422
    assert field in response.json["error"]["details"]["fields"]


def test_listing_by_status_with_pagination(client, shop_and_key):
    _, key = shop_and_key
    ids = [refer(client, key, f"f{n}@example.com").json["id"] for n in range(3)]
    refer(client, key, "ann@example.com")
    first = client.get("/api/v1/referrals?status=pending&limit=2", headers=auth(key)).json
    assert [r["id"] for r in first["items"]] == ids[:0:-1]
    second = client.get(f"/api/v1/referrals?status=pending&limit=2&cursor={first['next_cursor']}",
                        headers=auth(key)).json
    assert [r["id"] for r in second["items"]] == ids[:1] and second["next_cursor"] is None
    rejected = client.get("/api/v1/referrals?status=rejected", headers=auth(key)).json["items"]
    assert [r["reason"] for r in rejected] == ["self_referral"]
    assert len(client.get("/api/v1/referrals", headers=auth(key)).json["items"]) == 4
    for query in ("status=done", "limit=0", "cursor=x", "bogus=1"):
        response = client.get(f"/api/v1/referrals?{query}", headers=auth(key))
        assert response.status_code == 422
        assert query.split("=")[0] in response.json["error"]["details"]["fields"]


def test_voiding_a_completed_referral_takes_the_points_back(client, session, shop_and_key):
    shop, key = shop_and_key
    referral_id = refer(client, key).json["id"]
    apply_order_snapshot(session, shop, make_order(customer_id=None, email="bob@example.com"), utcnow())
    session.commit()
    completed = client.get(f"/api/v1/referrals/{referral_id}", headers=auth(key)).json
    assert completed["status"] == "completed" and completed["referrer_points"] == 100
    assert completed["order_id"] is not None
    assert client.get("/api/v1/customers/ann", headers=auth(key)).json["points"]["available"] == 100
    voided = client.post(f"/api/v1/referrals/{referral_id}/void", headers=auth(key), json={"reason": "Same family"})
    assert voided.status_code == 200 and voided.json["status"] == "voided" and voided.json["note"] == "Same family"
    assert client.get("/api/v1/customers/ann", headers=auth(key)).json["points"] == {
        "available": 0, "pending": 0, "lifetime": 0}
    again = client.post(f"/api/v1/referrals/{referral_id}/void", headers=auth(key))
    assert (again.status_code, again.json["error"]["code"]) == (409, "referral_closed")


def test_void_and_read_errors(client, session, shop_and_key):
    _, key = shop_and_key
    referral_id = refer(client, key).json["id"]
    response = client.post(f"/api/v1/referrals/{referral_id}/void", headers=auth(key), json={"reason": ""})
    assert response.status_code == 422 and "reason" in response.json["error"]["details"]["fields"]
    response = client.post("/api/v1/referrals/999999/void", headers=auth(key))
    assert (response.status_code, response.json["error"]["code"]) == (404, "referral_not_found")
    # Beyond any id the database can hold: no such route, never a database error.
    response = client.post(f"/api/v1/referrals/{2**70}/void", headers=auth(key))
    assert (response.status_code, response.json["error"]["code"]) == (404, "not_found")
    _, other_key = make_shop(session)
    session.commit()
    response = client.get(f"/api/v1/referrals/{referral_id}", headers=auth(other_key))
    assert (response.status_code, response.json["error"]["code"]) == (404, "referral_not_found")
    assert client.post(f"/api/v1/referrals/{referral_id}/void", headers=auth(other_key)).status_code == 404
    assert client.get("/api/v1/referrals", headers=auth(other_key)).json["items"] == []


def test_read_only_keys_cannot_record_or_void(client, session, shop_and_key):
    shop, key = shop_and_key
    read_only = create_api_key(session, shop.id, name="ro", now=utcnow(), scope=ApiKeyScope.READ_ONLY)
    session.commit()
    response = client.post("/api/v1/referrals", headers=auth(read_only),
                           json={"referral_code": code_of(client, key), "friend": {"email": "b@example.com"}})
    assert response.status_code == 403
    assert client.post("/api/v1/referrals/1/void", headers=auth(read_only)).status_code == 403
    assert client.get("/api/v1/referrals", headers=auth(read_only)).status_code == 200


def test_program_settings(client, shop_and_key):
    _, key = shop_and_key
    assert client.get("/api/v1/referrals/settings", headers=auth(key)).json == {
        "referrals_enabled": True, "referral_points": 100, "referral_limit": 10, "referral_limit_days": 30,
        "welcome_reward_id": None, "referrer_reward": "points", "referrer_reward_id": None}
    changed = client.patch("/api/v1/referrals/settings", headers=auth(key),
                           json={"referral_points": 250, "referral_limit_days": 7})
    assert changed.status_code == 200
    assert (changed.json["referral_points"], changed.json["referral_limit_days"]) == (250, 7)
    for body, field in (({"referrals_enabled": "yes"}, "referrals_enabled"), ({"referral_points": -1}, "referral_points"),
                        ({"referral_limit": 0}, "referral_limit"), ({"referral_limit_days": 1.5}, "referral_limit_days"),
                        ({"welcome": 1}, "welcome")):
        response = client.patch("/api/v1/referrals/settings", headers=auth(key), json=body)
        assert response.status_code == 422 and field in response.json["error"]["details"]["fields"]
