"""The product-page estimate (the order rules themselves) and redeeming from the storefront."""
from __future__ import annotations

from decimal import Decimal

import pytest

from loyalty_plugin.models import Order, Rounding, utcnow
from loyalty_plugin.services.orders import apply_order_snapshot
from tests.factories import make_order, make_shop
from tests.widget_factories import make_tier, signed


@pytest.fixture
def shop(session):
    shop, _ = make_shop(session, points_per_unit=Decimal("1.5"), rounding=Rounding.HALF_UP,
                        min_order_amount=Decimal("10"))
    make_tier(session, shop, "Silver", "100", "1.25")
    apply_order_snapshot(session, shop, make_order("first", customer_id="c1", items="100"), utcnow())
    session.commit()
    return shop


def estimate(client, shop, prices, headers=None):
    query = "&".join(f"price={p}" for p in prices)
    return client.get(f"/widget/v1/{shop.id}/estimate?{query}", headers=headers or {})


@pytest.mark.parametrize("price", ["25.00", "19.99", "9.99", "10", "1234.56", "0.33"])
def test_estimate_equals_what_an_order_of_that_price_earns_the_customer(client, session, shop, price):
    response = estimate(client, shop, [price], signed(shop, "c1"))
    assert response.status_code == 200
    (item,) = response.json["estimates"]

    apply_order_snapshot(session, shop, make_order(f"o-{price}", customer_id="c1", items=price), utcnow())
    order = session.query(Order).filter_by(shop_id=shop.id, platform_order_id=f"o-{price}").one()

    assert item == {"price": price, "points": order.points_awarded}


def test_estimate_includes_the_tier_multiplier_for_the_customer_and_not_for_guests(client, shop):
    signed_in = estimate(client, shop, ["20", "40"], signed(shop, "c1")).json["estimates"]
    guest = estimate(client, shop, ["20", "40"]).json["estimates"]

    assert [e["points"] for e in signed_in] == [38, 75]  # 20 x 1.5 x 1.25 = 37.5 -> 38 (half up)
    assert [e["points"] for e in guest] == [30, 60]


def test_estimate_cache_headers_follow_the_identity(client, shop):
    assert estimate(client, shop, ["20"], signed(shop, "c1")).headers["Cache-Control"] == "private, max-age=20"
    assert estimate(client, shop, ["20"]).headers["Cache-Control"] == "public, max-age=300"


@pytest.mark.parametrize("query", ["", "price=", "price=abc", "price=-1", "price=NaN", "price=1e999",
                                   "&".join(["price=1"] * 51)])
def test_bad_price_is_422_naming_the_field(client, shop, query):
    response = client.get(f"/widget/v1/{shop.id}/estimate?{query}")
    assert response.status_code == 422
    assert response.json["error"]["code"] == "validation_failed"
    assert "price" in response.json["error"]["details"]["fields"]


def redeem(client, shop, customer="c1", body=None, **headers):
    base = signed(shop, customer) if customer else {}
    return client.post(f"/widget/v1/{shop.id}/redemptions", json=body or {"reward_id": 1},
                       headers={**base, **headers})


def test_a_guest_cannot_redeem(client, shop):
    response = redeem(client, shop, customer=None)
    assert response.status_code == 401 and response.json["error"]["code"] == "unauthorized"


@pytest.mark.parametrize("body, status", [({}, 422), ({"reward_id": "x"}, 422),
                                          ({"reward_id": 1, "points": -5}, 422)])
def test_bad_redeem_body_is_4xx_naming_the_field(client, shop, body, status):
    response = client.post(f"/widget/v1/{shop.id}/redemptions", json=body, headers=signed(shop, "c1"))
    assert response.status_code == status
    assert response.json["error"]["details"]["fields"]


def test_redeem_body_must_be_json(client, shop):
    response = client.post(f"/widget/v1/{shop.id}/redemptions", data="reward_id=1",
                           headers=signed(shop, "c1"))
    assert response.status_code == 415


def test_redeem_is_rate_limited_per_customer_and_failed_attempts_count(app, client, session, shop):
    app.config["LOYALTY_WIDGET_REDEEM_LIMIT"] = 3
    apply_order_snapshot(session, shop, make_order("o-c2", customer_id="c2", items="50"), utcnow())
    session.commit()
    statuses = [redeem(client, shop).status_code for _ in range(3)]
    limited = redeem(client, shop)

    assert 429 not in statuses
    assert limited.status_code == 429
    assert limited.json["error"]["code"] == "rate_limited"
    assert 1 <= int(limited.headers["Retry-After"]) <= 60
    assert limited.json["error"]["details"]["retry_after"] == int(limited.headers["Retry-After"])
    assert redeem(client, shop, customer="c2").status_code != 429


def test_redeem_answers_a_clear_503_while_redemption_is_not_available(client, shop):
    response = redeem(client, shop)
    assert response.status_code == 503
    assert response.json["error"]["code"] == "redemption_unavailable"
    assert "no points were taken" in response.json["error"]["message"]
    assert response.headers["Cache-Control"] == "no-store"
