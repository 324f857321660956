"""CORS on the widget API: only the shop's storefront origins, never a wildcard, no credentials."""
from __future__ import annotations

import pytest
from flask import Response

from loyalty_plugin.models import utcnow
from loyalty_plugin.services.orders import apply_order_snapshot
from loyalty_plugin.services.widget_settings import update_widget_settings
from tests.factories import make_order, make_shop
from tests.widget_factories import signed
from widgets.origins import add_cors_headers


@pytest.fixture
def shop(session):
    shop, _ = make_shop(session, domain="cors-shop.myshopify.com")
    update_widget_settings(session, shop, {"storefront_origins": ["https://www.cors-shop.example",
                                                                  "http://127.0.0.1:8001"]}, utcnow())
    apply_order_snapshot(session, shop, make_order("o1", customer_id="c1", items="40"), utcnow())
    session.commit()
    return shop


@pytest.mark.parametrize("origin", ["https://cors-shop.myshopify.com", "https://www.cors-shop.example",
                                    "http://127.0.0.1:8001", "https://loyalty.example.test"])
def test_allowed_origin_is_echoed_without_credentials(client, shop, origin):
    response = client.get(f"/widget/v1/{shop.id}/summary", headers=signed(shop, "c1", Origin=origin))

    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == origin
    assert response.headers["Vary"] == "X-Loyalty-Customer, X-Loyalty-Digest, Origin"
    assert "Access-Control-Allow-Credentials" not in response.headers


@pytest.mark.parametrize(("before", "after"), [
    (None, "Origin"), ("", "Origin"), ("Accept-Language", "Accept-Language, Origin"),
    ("Accept, origin", "Accept, origin"), ("*", "*")])
def test_origin_is_added_to_vary_once(before, after):
    response = Response()
    if before is not None:
        response.headers["Vary"] = before

    add_cors_headers(response, "https://cors-shop.myshopify.com", preflight=False)

    assert response.headers["Vary"] == after


@pytest.mark.parametrize("origin", ["https://evil.example", "http://cors-shop.myshopify.com",
                                    "https://www.cors-shop.example:8443", "null",
                                    "http://127.0.0.1:8002"])
def test_refused_origin_gets_403_and_no_cors_headers(client, shop, origin):
    for method, path in (("get", "summary"), ("get", "config"), ("post", "redemptions")):
        response = getattr(client, method)(f"/widget/v1/{shop.id}/{path}",
                                           headers=signed(shop, "c1", Origin=origin))
        assert response.status_code == 403
        assert response.json["error"]["code"] == "origin_not_allowed"
        assert "Access-Control-Allow-Origin" not in response.headers
        assert "40" not in response.get_data(as_text=True)


def test_preflight_from_an_allowed_origin_lists_methods_and_headers(client, shop):
    response = client.options(f"/widget/v1/{shop.id}/redemptions", headers={
        "Origin": "https://www.cors-shop.example", "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type,idempotency-key,x-loyalty-customer,x-loyalty-digest"})

    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == "https://www.cors-shop.example"
    assert "POST" in response.headers["Access-Control-Allow-Methods"]
    allowed = {h.strip().lower() for h in response.headers["Access-Control-Allow-Headers"].split(",")}
    assert {"content-type", "idempotency-key", "x-loyalty-customer", "x-loyalty-digest"} <= allowed
    assert response.headers["Access-Control-Max-Age"] == "600"


def test_preflight_from_a_refused_origin_is_403(client, shop):
    response = client.options(f"/widget/v1/{shop.id}/summary", headers={
        "Origin": "https://evil.example", "Access-Control-Request-Method": "GET"})
    assert response.status_code == 403
    assert "Access-Control-Allow-Origin" not in response.headers


def test_no_origin_header_means_no_cors_headers(client, shop):
    response = client.get(f"/widget/v1/{shop.id}/summary", headers=signed(shop, "c1"))
    assert response.status_code == 200
    assert "Access-Control-Allow-Origin" not in response.headers


def test_errors_for_an_allowed_origin_are_readable_by_the_page(client, shop):
    response = client.get(f"/widget/v1/{shop.id}/summary", headers={
        "Origin": "https://cors-shop.myshopify.com", "X-Loyalty-Customer": "c1"})
    assert response.status_code == 401
    assert response.headers["Access-Control-Allow-Origin"] == "https://cors-shop.myshopify.com"


def test_another_shops_origin_is_refused(client, session, shop):
    other, _ = make_shop(session, domain="other-shop.myshopify.com")
    session.commit()
    response = client.get(f"/widget/v1/{shop.id}/config", headers={"Origin": "https://other-shop.myshopify.com"})
    assert response.status_code == 403
