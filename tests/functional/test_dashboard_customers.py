"""The dashboard's customer pages: search, the explained balance, adjustments and codes."""
from __future__ import annotations

import re
from decimal import Decimal

import pytest
from sqlalchemy import select

from loyalty_plugin.models import CustomerAccount, EntryKind, LedgerEntry, Platform, utcnow
from loyalty_plugin.providers.native import NativeProvider
from loyalty_plugin.services.ledger import verify_balances
from loyalty_plugin.services.orders import apply_order_snapshot
from loyalty_plugin.services.tier_catalog import create_tier
from tests.conftest import make_test_app
from tests.dashboard_support import make_user, post, signed_in_client
from tests.factories import make_order, make_reward, make_shop


@pytest.fixture
def app(database):
    return make_test_app(database, LOYALTY_DISCOUNT_PROVIDERS=lambda shop: NativeProvider())


@pytest.fixture
def shop(session):
    shop, key = make_shop(session, platform=Platform.CUSTOM, points_per_unit=Decimal("2"))
    create_tier(session, shop, {"name": "Gold", "threshold": Decimal("0"), "multiplier": Decimal("1.5")},
                utcnow())
    apply_order_snapshot(session, shop, make_order("1001", customer_id="c-1", email="ada@example.com",
                                                   items="120.00"), utcnow())
    apply_order_snapshot(session, shop, make_order("1002", customer_id="c-2", email="bob@example.com",
                                                   items="10.00"), utcnow())
    # Gold from the first order on: the second earns 1.5 times.
    apply_order_snapshot(session, shop, make_order("1003", customer_id="c-1", email="ada@example.com",
                                                   items="20.00"), utcnow())
    make_user(session, shop)
    session.commit()
    shop.api_key = key
    return shop


@pytest.fixture
def client(app, shop):
    return signed_in_client(app, shop)


def account(session, external_id: str) -> CustomerAccount:
    return session.execute(select(CustomerAccount).where(
        CustomerAccount.platform_customer_id == external_id)
        .execution_options(populate_existing=True)).scalar_one()


def test_customers_are_listed_and_searched(client):
    page = client.get("/admin/customers").get_data(as_text=True)
    assert "ada@example.com" in page and "bob@example.com" in page
    found = client.get("/admin/customers?q=ada").get_data(as_text=True)
    assert "ada@example.com" in found and "bob@example.com" not in found
    assert "ada@example.com" in client.get("/admin/customers?q=c-1").get_data(as_text=True)
    assert "No customer matches" in client.get("/admin/customers?q=zzz").get_data(as_text=True)


def test_customer_pages_follow_the_cursor(client, session, shop):
    for n in range(30):
        apply_order_snapshot(session, shop, make_order(f"p{n}", customer_id=f"many-{n}",
                                                       email=f"m{n}@example.com"), utcnow())
    session.commit()
    first = client.get("/admin/customers").get_data(as_text=True)
    cursor = re.search(r'cursor=(\d+)', first).group(1)
    second = client.get(f"/admin/customers?cursor={cursor}").get_data(as_text=True)
    assert "ada@example.com" in second and "ada@example.com" not in first
    assert client.get("/admin/customers?cursor=abc").status_code == 400
    assert client.get("/admin/customers?q=" + "x" * 400).status_code == 400


def test_detail_explains_each_entry(client, session):
    ada = account(session, "c-1")
    page = client.get(f"/admin/customers/{ada.id}").get_data(as_text=True)
    assert "Order #1001: 120 USD x 2 points per USD x 1 tier multiplier = 240 points" in page
    assert "Order #1003: 20 USD x 2 points per USD x 1.5 tier multiplier = 60 points" in page
    assert "earning rules version 1" in page
    assert 'id="available">300<' in page and "Gold" in page
    # Newest first, each with the balance right after it.
    assert re.findall(r'<td class="num">(\d+)</td>\s*</tr>', page) == ["300", "240"]
    assert client.get("/admin/customers/999999").status_code == 404


def test_an_adjustment_is_recorded_once_with_who_and_why(client, session):
    ada = account(session, "c-1")
    path = f"/admin/customers/{ada.id}"
    token = re.search(r'name="form_token" value="([0-9a-f]{32})"', client.get(path).get_data(as_text=True))[1]
    data = {"points": "-60", "reason": "Parcel <b>lost</b>", "form_token": token}
    first = post(client, f"{path}/adjustments", data, page=path)
    again = post(client, f"{path}/adjustments", data, page=path)
    assert first.status_code == again.status_code == 303
    assert account(session, "c-1").available == 240
    entries = session.execute(select(LedgerEntry).where(LedgerEntry.kind == EntryKind.ADJUSTMENT)).scalars().all()
    assert [(e.points, e.actor, e.reason) for e in entries] == [(-60, "owner@example.com", "Parcel <b>lost</b>")]
    page = client.get(path).get_data(as_text=True)
    assert "Adjusted by -60 points." in page
    assert "Parcel &lt;b&gt;lost&lt;/b&gt;. By owner@example.com." in page
    assert verify_balances(session, shop_id=ada.shop_id) == []


@pytest.mark.parametrize("data, message", [
    ({"points": "0", "reason": "x"}, "Must not be zero."),
    ({"points": "ten", "reason": "x"}, "Must be a whole number."),
    ({"points": "5", "reason": ""}, "Missing data for required field."),
    ({"points": "-100000", "reason": "too much"}, "points available"),
])
def test_a_bad_adjustment_shows_its_problem_and_changes_nothing(client, session, data, message):
    ada = account(session, "c-1")
    path = f"/admin/customers/{ada.id}"
    response = post(client, f"{path}/adjustments", {**data, "form_token": "a" * 32}, page=path)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert account(session, "c-1").available == 300
    incomplete = post(client, f"{path}/adjustments", {"points": "5", "reason": "x"}, page=path)
    assert incomplete.status_code == 400 and account(session, "c-1").available == 300


def test_a_code_is_cancelled_from_the_detail_page(app, client, session, shop):
    reward = make_reward(session, shop)
    session.commit()
    redeemed = app.test_client().post("/api/v1/customers/c-1/redemptions", json={"reward_id": reward.id},
                                      headers={"Authorization": f"Bearer {shop.api_key}"})
    assert redeemed.status_code == 201, redeemed.json
    code = redeemed.json["code"]["code"]
    ada = account(session, "c-1")
    path = f"/admin/customers/{ada.id}"
    assert code in client.get(path).get_data(as_text=True) and ada.available == 200
    response = post(client, f"/admin/codes/{code}/cancel", page=path)
    assert response.status_code == 303 and response.headers["Location"] == path
    assert account(session, "c-1").available == 300
    again = post(client, f"/admin/codes/{code}/cancel", page=path)
    assert again.status_code == 303 and account(session, "c-1").available == 300
    page = client.get(path).get_data(as_text=True)
    assert "cancelled" in page
    assert post(client, "/admin/codes/NOPE-1234/cancel", page=path).status_code == 404


def test_hostile_text_is_escaped_and_nul_is_refused(client, session, shop):
    apply_order_snapshot(session, shop, make_order("666", customer_id="evil", email="e@example.com"),
                         utcnow())
    evil = account(session, "evil")
    evil.first_name = "<script>alert(1)</script>"
    session.commit()
    listing = client.get("/admin/customers?q=evil").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in listing and "&lt;script&gt;alert(1)&lt;/script&gt;" in listing
    assert client.get("/admin/customers?q=a%00b").status_code == 400
    path = f"/admin/customers/{evil.id}"
    response = post(client, f"{path}/adjustments", {"points": "5", "reason": "a\x00b",
                                                    "form_token": "c" * 32}, page=path)
    assert response.status_code == 400 and account(session, "evil").available == 200
