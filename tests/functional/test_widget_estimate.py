"""The product-page estimate: the order rules themselves, for this customer."""
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
