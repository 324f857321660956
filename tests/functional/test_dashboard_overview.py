"""The overview page: points per day, members, redemption rate, code revenue, liability."""
from __future__ import annotations

from decimal import Decimal

import pytest

from loyalty_plugin.models import Platform, utcnow
from loyalty_plugin.providers.native import NativeProvider
from loyalty_plugin.services.orders import apply_order_snapshot
from tests.conftest import make_test_app
from tests.dashboard_support import make_user, signed_in_client
from tests.factories import make_order, make_reward, make_shop


@pytest.fixture
def app(database):
    return make_test_app(database, LOYALTY_DISCOUNT_PROVIDERS=lambda shop: NativeProvider())


@pytest.fixture
def shop(app, session):
    shop, key = make_shop(session, platform=Platform.CUSTOM)
    for order_id, customer, email, items in (("1", "m-1", "a@example.com", "200.00"),
                                             ("2", "m-2", "b@example.com", "100.00"),
                                             ("3", None, "guest@example.com", "60.00")):
        apply_order_snapshot(session, shop, make_order(order_id, customer_id=customer, email=email,
                                                       items=items), utcnow())
    reward = make_reward(session, shop, points_cost=100, value=Decimal("5.00"))
    make_user(session, shop)
    session.commit()
    redeemed = app.test_client().post("/api/v1/customers/m-1/redemptions", json={"reward_id": reward.id},
                                      headers={"Authorization": f"Bearer {key}"})
    assert redeemed.status_code == 201
    return shop


@pytest.fixture
def client(app, shop):
    return signed_in_client(app, shop)


def test_overview_shows_the_ranges_numbers_and_a_chart(client):
    page = client.get("/admin/").get_data(as_text=True)
    today = utcnow().date().isoformat()
    assert 'id="issued">360<' in page      # 200 + 100 + 60 points
    assert 'id="redeemed">100<' in page
    assert 'id="members">2<' in page and 'id="active">2<' in page
    assert 'id="rate">50.0%<' in page       # one of two members redeemed
    # 260 points left to members and guest; a point is worth 5.00 / 100.
    assert 'id="liability">260 ≈ 13.00 USD<' in page
    assert f'aria-label="Issued {today}: 360"' in page
    assert f'aria-label="Redeemed {today}: 100"' in page
    assert f'aria-label="Members {today}: 2"' in page and f'aria-label="Active members {today}: 2"' in page
    assert "<td class=\"num\">150.00 USD</td>" in page   # members' average order
    assert "<td class=\"num\">60.00 USD</td>" in page    # the guest's


def test_an_earlier_range_is_empty_and_a_bad_range_is_refused(client):
    page = client.get("/admin/?start=2020-01-01&end=2020-01-31").get_data(as_text=True)
    assert 'id="issued">0<' in page and 'aria-label="Issued 2020-01-31: 0"' in page
    weekly = client.get("/admin/?start=2020-01-06&end=2020-01-19&bucket=week").get_data(as_text=True)
    assert 'aria-label="Issued 2020-01-13: 0"' in weekly and 'aria-label="Members 2020-01-06: 0"' in weekly
    assert client.get("/admin/?start=2020-02-01&end=2020-01-01").status_code == 422
    assert client.get("/admin/?start=2020-01-01&end=2024-01-01").status_code == 422
    assert client.get("/admin/?start=yesterday").status_code == 400
    assert client.get("/admin/?bucket=hour").status_code == 400
