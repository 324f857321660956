"""Listing and searching customers: newest first, by external id, email or name, paged."""
from __future__ import annotations

import pytest

from loyalty_plugin.models import CustomerAccount
from tests.factories import make_shop


def auth(key: str) -> dict:
    return {"Authorization": f"Bearer {key}"}


def customer(session, shop, external_id: str | None, email: str | None, first: str | None = None,
             last: str | None = None) -> CustomerAccount:
    account = CustomerAccount(shop_id=shop.id, platform_customer_id=external_id, email=email,
                              first_name=first, last_name=last)
    session.add(account)
    session.flush()
    return account


@pytest.fixture
def shop_key(session):
    shop, key = make_shop(session)
    customer(session, shop, "101", "bob.norman@example.com", "Bob", "Norman")
    customer(session, shop, "102", "alice_w@example.com", "Alice", "Wonder")
    customer(session, shop, None, "guest%1@example.com")
    session.commit()
    return shop, key


def search(client, key, query: str = "") -> dict:
    response = client.get(f"/api/v1/customers{query}", headers=auth(key))
    assert response.status_code == 200, response.json
    return response.json


def emails(page: dict) -> list[str]:
    return [c["email"] for c in page["items"]]


def test_list_is_newest_first_and_paged(client, shop_key):
    _, key = shop_key
    first = search(client, key, "?limit=2")
    assert emails(first) == ["guest%1@example.com", "alice_w@example.com"]
    rest = search(client, key, f"?limit=2&cursor={first['next_cursor']}")
    assert emails(rest) == ["bob.norman@example.com"] and rest["next_cursor"] is None


@pytest.mark.parametrize("q, found", [
    ("101", ["bob.norman@example.com"]),
    ("BOB.N", ["bob.norman@example.com"]),
    ("wonder", ["alice_w@example.com"]),
    ("alice wonder", ["alice_w@example.com"]),
    ("guest%", ["guest%1@example.com"]),
    ("%", []),
    ("_", []),
    ("10", []),
    ("example.com", []),
])
def test_search_by_external_id_email_start_or_name(client, shop_key, q, found):
    _, key = shop_key
    assert emails(search(client, key, f"?q={q.replace('%', '%25')}")) == found


def test_another_shops_customers_are_never_listed(client, session, shop_key):
    _, key = shop_key
    other, other_key = make_shop(session)
    customer(session, other, "101", "bob.norman@example.com")
    session.commit()
    assert len(search(client, other_key)["items"]) == 1
    assert len(search(client, key, "?q=101")["items"]) == 1


@pytest.mark.parametrize("query", ["?q=", "?limit=0", "?cursor=abc", "?q=" + "x" * 321])
def test_bad_queries_are_refused(client, shop_key, query):
    _, key = shop_key
    response = client.get(f"/api/v1/customers{query}", headers=auth(key))
    assert response.status_code == 422 and response.json["error"]["code"] == "validation_failed"
