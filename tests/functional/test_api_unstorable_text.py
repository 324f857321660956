"""Text PostgreSQL cannot store (NUL; in JSON also lone surrogates) is a 400 anywhere in a request."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from loyalty_plugin.models import CustomerAccount, LedgerEntry, Platform, RewardCode, utcnow
from loyalty_plugin.services.orders import apply_order_snapshot
from tests.factories import make_order, make_reward, make_shop


@pytest.fixture
def setup(session):
    shop, key = make_shop(session, platform=Platform.CUSTOM)
    apply_order_snapshot(session, shop, make_order(customer_id="c1", items="500"), utcnow())
    reward = make_reward(session, shop)
    session.commit()
    return shop, key, reward


def count(session, condition) -> int:
    return session.scalar(select(func.count()).where(condition))


REQUESTS = [
    ("post", "/api/v1/codes/A%00B/cancel", None, {}),
    ("post", "/api/v1/codes/A%00B/use", {"order_id": "1", "subtotal": 1}, {}),
    ("post", "/api/v1/codes/validate", {"code": "A\u0000B", "subtotal": 1}, {}),
    ("post", "/api/v1/codes/validate", {"code": "AB", "subtotal": 1, "customer_id": "c\u0000"}, {}),
    ("post", "/api/v1/rewards", {"name": "a\u0000", "kind": "free_shipping", "points_cost": 5}, {}),
    ("post", "/api/v1/rewards", {"name": "ok", "kind": "free_shipping", "points_cost": 5,
                                 "nested": [{"deep": ["\u0000"]}]}, {}),
    ("post", "/api/v1/customers/c%00/redemptions", {"reward_id": 1}, {}),
    ("post", "/api/v1/customers/c1/redemptions", {"reward_id": 1}, {"Idempotency-Key": "a\u0000b"}),
    ("get", "/api/v1/customers/c%00/rewards", None, {}),
    ("get", "/api/v1/customers/c%00", None, {}),
    ("get", "/api/v1/rewards?active=%00", None, {}),
    ("post", "/api/v1/customers/c1/adjustments", {"points": 1, "reason": "x\u0000"}, {}),
    ("post", "/api/v1/rewards", {"name": "a\ud800", "kind": "free_shipping", "points_cost": 5}, {}),
    ("post", "/api/v1/codes/validate", {"code": "A\udfff", "subtotal": 1}, {}),
]


@pytest.mark.parametrize("method, url, body, headers", REQUESTS)
def test_unstorable_text_is_refused_before_it_reaches_the_database(client, session, setup, method,
                                                                  url, body, headers):
    shop, key, _ = setup
    send = getattr(client, method)
    kwargs = {"json": body} if body is not None else {}
    response = send(url, headers={"Authorization": f"Bearer {key}", **headers}, **kwargs)
    assert response.status_code == 400, response.get_data(as_text=True)
    assert response.json["error"]["code"] in ("bad_request", "invalid_json")
    assert "NUL" in response.json["error"]["message"]
    assert count(session, RewardCode.shop_id == shop.id) == 0
    assert count(session, LedgerEntry.shop_id == shop.id) == 1  # the order's earn, nothing more
    assert count(session, CustomerAccount.shop_id == shop.id) == 1


def test_a_code_used_with_an_order_id_holding_nul_is_refused(client, session, setup):
    _, key, reward = setup
    auth = {"Authorization": f"Bearer {key}"}
    code = client.post("/api/v1/customers/c1/redemptions", headers=auth,
                       json={"reward_id": reward.id}).json["code"]["code"]
    response = client.post(f"/api/v1/codes/{code}/use", headers=auth,
                           json={"order_id": "o\u0000", "subtotal": 50})
    assert response.status_code == 400
    assert client.post("/api/v1/codes/validate", headers=auth,
                       json={"code": code, "subtotal": 50}).json["valid"] is True
