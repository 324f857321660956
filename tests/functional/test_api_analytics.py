"""The analytics overview and the shop-wide code list over HTTP: shapes, filters, bad input."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from loyalty_plugin.models import CodeOrigin, CodeStatus, Platform, utcnow
from loyalty_plugin.services import issuing, redemptions
from loyalty_plugin.services.accounts import find_by_external_id
from loyalty_plugin.services.orders import apply_order_snapshot
from tests.factories import make_order, make_reward, make_shop

OVERVIEW = "/api/v1/analytics/overview"


def auth(key: str) -> dict:
    return {"Authorization": f"Bearer {key}"}


def redeem(session, shop, customer: str, reward, *, issued: bool = True):
    account = find_by_external_id(session, shop.id, customer)
    code = redemptions.reserve(session, shop, account, reward_id=reward.id, points=None,
                               idempotency_key=None, provider="native", now=utcnow(),
                               lease=dt.timedelta(minutes=1)).code
    if issued:
        issuing.record_issue(session, code, code.code, utcnow())
    return code


@pytest.fixture
def seeded(session):
    shop, key = make_shop(session, platform=Platform.CUSTOM, currency="EUR")
    for customer in ("anna", "ben"):
        apply_order_snapshot(session, shop, make_order(customer_id=customer, items="333.33"), utcnow())
    five, ten = make_reward(session, shop), make_reward(session, shop, name="10 off", points_cost=150,
                                                        value=Decimal("10.00"))
    codes = [redeem(session, shop, "anna", five), redeem(session, shop, "anna", ten),
             redeem(session, shop, "ben", five, issued=False)]
    session.commit()
    return shop, key, codes, (five, ten)


def test_the_overview_shows_money_with_two_decimals_and_the_shops_zone(client, seeded):
    _, key, _, _ = seeded
    today = utcnow().date()
    response = client.get(f"{OVERVIEW}?from={today - dt.timedelta(days=6)}&to={today}&bucket=day",
                          headers=auth(key))
    assert response.status_code == 200, response.json
    body = response.json
    assert (body["from"], body["to"], body["bucket"]) == (str(today - dt.timedelta(days=6)), str(today), "day")
    assert (body["timezone"], body["currency"]) == ("UTC", "EUR")
    assert len(body["buckets"]) == 7 and body["buckets"][-1]["from"] == str(today)
    assert body["points"] == {"issued": 666, "reversed": 0, "redeemed": 350, "expired": 0}
    # Ben's code is still pending on the platform: his points are spent, his redemption not counted.
    assert (body["members"], body["active_members"], body["redeeming_members"]) == (2, 2, 1)
    assert body["redemption_rate"] == "0.5000"
    assert body["orders"]["members"] == {"orders": 2, "customers": 2, "revenue": "666.66",
                                         "average_order_value": "333.33", "orders_per_customer": "1.00"}
    assert body["orders"]["guests"]["average_order_value"] is None
    assert body["liability"]["points"] == 316
    assert body["liability"]["value"] == "15.80" and body["liability"]["point_value"] == "0.05"


def test_the_bucket_defaults_to_days(client, seeded):
    _, key, _, _ = seeded
    response = client.get(f"{OVERVIEW}?from=2026-01-01&to=2026-01-03", headers=auth(key))
    assert response.status_code == 200 and len(response.json["buckets"]) == 3


def test_the_range_defaults_to_the_last_30_local_days(client, session, seeded):
    shop, key, _, _ = seeded
    shop.timezone = "Pacific/Kiritimati"  # UTC+14: usually a day ahead of UTC
    session.commit()
    today = dt.datetime.now(dt.timezone.utc).astimezone(ZoneInfo("Pacific/Kiritimati")).date()
    body = client.get(OVERVIEW, headers=auth(key)).json
    assert (body["from"], body["to"], body["today"]) == (str(today - dt.timedelta(days=29)), str(today),
                                                         str(today))
    body = client.get(f"{OVERVIEW}?to=2026-01-31&bucket=week", headers=auth(key)).json
    assert (body["from"], body["to"], body["bucket"]) == ("2026-01-02", "2026-01-31", "week")
    assert client.get(f"{OVERVIEW}?from=2999-12-31", headers=auth(key)).status_code == 422


@pytest.mark.parametrize("query, field", [
    ("from=2026-02-01&to=2026-01-01", "to"),
    ("from=2026-01-01&to=2028-01-02", "to"),
    ("from=2010-01-01&to=2026-01-01&bucket=week", "to"),
    ("from=2026-01-01&to=2026-01-31&bucket=year", "bucket"),
    ("from=2026-13-01&to=2026-12-31", "from"),
    ("from=yesterday&to=2026-12-31", "from"),
    ("from=0001-01-01&to=0001-01-02", "from"),
    ("from=9999-12-30&to=9999-12-31", "from"),
])
def test_bad_ranges_are_422_naming_the_parameter(client, seeded, query, field):
    _, key, _, _ = seeded
    response = client.get(f"{OVERVIEW}?{query}", headers=auth(key))
    assert response.status_code == 422, response.json
    assert field in response.json["error"]["details"]["fields"]


def test_the_overview_needs_a_key(client):
    assert client.get(f"{OVERVIEW}?from=2026-01-01&to=2026-01-02").status_code == 401


def test_codes_list_newest_first_with_each_filter(client, seeded):
    _, key, codes, (five, ten) = seeded

    def listed(query: str = "") -> list[str]:
        response = client.get(f"/api/v1/codes?{query}", headers=auth(key))
        assert response.status_code == 200, response.json
        return [item["code"] for item in response.json["items"]]

    anna_five, anna_ten, ben_five = (code.code for code in codes)
    assert listed() == [ben_five, anna_ten, anna_five]
    assert listed("status=issued") == [anna_ten, anna_five]
    assert listed("status=pending") == [ben_five]
    assert listed("customer_id=anna") == [anna_ten, anna_five]
    assert listed(f"reward_id={five.id}") == [ben_five, anna_five]
    assert listed(f"reward_id={ten.id}&customer_id=ben") == []
    assert listed(f"origin={CodeOrigin.REDEMPTION.value}&status={CodeStatus.ISSUED.value}") == [anna_ten, anna_five]
    assert listed("origin=admin") == []
    assert listed("customer_id=nobody") == []


def test_codes_list_pages_with_a_cursor(client, seeded):
    _, key, codes, _ = seeded
    first = client.get("/api/v1/codes?limit=2", headers=auth(key)).json
    assert len(first["items"]) == 2 and first["next_cursor"]
    rest = client.get(f"/api/v1/codes?limit=2&cursor={first['next_cursor']}", headers=auth(key)).json
    assert [item["code"] for item in rest["items"]] == [codes[0].code] and rest["next_cursor"] is None


@pytest.mark.parametrize("query, field", [("status=spent", "status"), ("origin=gift", "origin"),
                                          ("reward_id=0", "reward_id"), ("reward_id=x", "reward_id"),
                                          ("limit=0", "limit"), ("cursor=-1", "cursor"),
                                          ("customer_id=" + "x" * 65, "customer_id")])
def test_codes_list_refuses_bad_filters(client, seeded, query, field):
    _, key, _, _ = seeded
    response = client.get(f"/api/v1/codes?{query}", headers=auth(key))
    assert response.status_code == 422
    assert field in response.json["error"]["details"]["fields"]
