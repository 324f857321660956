"""The expiry admin API: the policy and a customer's schedule."""
from __future__ import annotations

import datetime as dt

from loyalty_plugin.services.orders import apply_order_snapshot
from tests.factories import make_order, make_shop


def auth(key: str) -> dict:
    return {"Authorization": f"Bearer {key}"}


def test_policy_round_trip_and_customer_schedule(client, session):
    shop, key = make_shop(session)
    session.commit()
    assert client.get("/api/v1/expiry", headers=auth(key)).json == {
        "expiry_policy": "none", "expiry_days": 365, "expiry_warning_days": 14,
        "expiry_enabled_at": None}
    changed = client.patch("/api/v1/expiry", json={"expiry_policy": "per_lot", "expiry_days": 90},
                           headers=auth(key))
    assert changed.status_code == 200
    assert changed.json["expiry_policy"] == "per_lot" and changed.json["expiry_enabled_at"]
    session.expire_all()  # the API changed the policy through its own session
    apply_order_snapshot(session, shop, make_order("o1", customer_id="c1", items="42"),
                         dt.datetime.now(dt.timezone.utc))
    session.commit()
    body = client.get("/api/v1/customers/c1/expiry", headers=auth(key)).json
    assert body["policy"]["expiry_days"] == 90
    (row,) = body["schedule"]
    assert row["points"] == 42 and row["pending"] is False and row["expires_at"]


def test_bad_policy_is_422_naming_the_field(client, session):
    _, key = make_shop(session)
    session.commit()
    for body, field in (({"expiry_policy": "monthly"}, "expiry_policy"),
                        ({"expiry_days": 0}, "expiry_days"), ({"expiry_days": "30"}, "expiry_days"),
                        ({"expiry_warning_days": -1}, "expiry_warning_days")):
        response = client.patch("/api/v1/expiry", json=body, headers=auth(key))
        assert response.status_code == 422
        assert field in response.json["error"]["details"]["fields"]
    assert client.get("/api/v1/expiry", headers=auth(key)).json["expiry_policy"] == "none"
