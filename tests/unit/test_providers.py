"""Outbound platform clients against a fake HTTP layer (``responses``): requests, retries, errors."""
from __future__ import annotations

import base64
import datetime as dt
import json

import pytest
import requests
from responses import matchers

from loyalty_plugin.errors import ProviderNotConfigured, ProviderRejected, ProviderUnavailable
from loyalty_plugin.models import Platform, Shop
from loyalty_plugin.providers import (BigCommerceProvider, HttpClient, RetryPolicy, ShopifyProvider,
                                      StripeProvider, WooCommerceProvider, provider_for)
from loyalty_plugin.services.credentials import PlatformCredentials

SINCE = dt.datetime(2026, 11, 17, 10, 0, tzinfo=dt.timezone.utc)
BASE = "https://api.example.test"


def client(sleeps, **kwargs) -> HttpClient:
    return HttpClient("Example", BASE, sleep=sleeps.append, **kwargs)


def shop(platform: Platform, domain: str = "store.example.test") -> Shop:
    return Shop(id=7, platform=platform, domain=domain)


# --- the shared HTTP client -------------------------------------------------------------------

def test_5xx_then_success_retries_with_backoff(api, sleeps):
    api.get(f"{BASE}/thing", status=503)
    api.get(f"{BASE}/thing", status=502)
    api.get(f"{BASE}/thing", json={"ok": True})
    assert client(sleeps).get_json("/thing") == {"ok": True}
    assert sleeps == [0.5, 1.0]


def test_429_honours_retry_after(api, sleeps):
    api.get(f"{BASE}/thing", status=429, headers={"Retry-After": "2"})
    api.get(f"{BASE}/thing", json=[])
    assert client(sleeps).get_json("/thing") == []
    assert sleeps == [2.0]


def test_a_retry_after_beyond_the_limit_gives_up_at_once(api, sleeps):
    api.get(f"{BASE}/thing", status=429, headers={"Retry-After": "120"})
    with pytest.raises(ProviderUnavailable, match="answered 429 to GET /thing") as excinfo:
        client(sleeps).get_json("/thing")
    assert excinfo.value.status == 503
    assert sleeps == []


def test_timeouts_are_retried_then_unavailable(api, sleeps):
    for _ in range(3):
        api.get(f"{BASE}/thing", body=requests.ReadTimeout("read timed out"))
    with pytest.raises(ProviderUnavailable, match="did not answer in time"):
        client(sleeps).get_json("/thing", params={"secret": "do-not-show"})
    assert len(sleeps) == 2


def test_connection_errors_are_unavailable(api, sleeps):
    for _ in range(3):
        api.get(f"{BASE}/thing", body=requests.ConnectionError("refused"))
    with pytest.raises(ProviderUnavailable, match="could not be reached"):
        client(sleeps).get_json("/thing")


def test_4xx_is_rejected_at_once_with_the_platform_message_and_no_query(api, sleeps):
    api.get(f"{BASE}/orders/9", status=404,
            json=[{"status": 404, "message": "The requested resource was not found."}])
    with pytest.raises(ProviderRejected) as excinfo:
        client(sleeps).get_json("/orders/9", params={"token": "hunter2"})
    assert excinfo.value.message == ("Example answered 404 to GET /orders/9: "
                                     "The requested resource was not found..")
    assert "hunter2" not in excinfo.value.message
    assert excinfo.value.details == {"platform": "Example", "status": 404}
    assert sleeps == []


def test_a_post_without_idempotency_key_is_not_repeated(api, sleeps):
    api.post(f"{BASE}/codes", status=500)
    with pytest.raises(ProviderUnavailable):
        client(sleeps).request("POST", "/codes", json={"code": "A"})
    assert len(api.calls) == 1


def test_a_post_with_an_idempotency_key_sends_it_and_may_repeat(api, sleeps):
    header = matchers.header_matcher({"Idempotency-Key": "loyalty-entry-42"})
    api.post(f"{BASE}/codes", status=500, match=[header])
    api.post(f"{BASE}/codes", status=201, json={"id": 1}, match=[header])
    http = client(sleeps, idempotency_header="Idempotency-Key")
    response = http.request("POST", "/codes", json={"code": "A"}, idempotency_key="loyalty-entry-42")
    assert response.status_code == 201 and len(api.calls) == 2


def test_a_non_json_body_is_unavailable(api, sleeps):
    api.get(f"{BASE}/thing", body="<html>maintenance</html>")
    with pytest.raises(ProviderUnavailable, match="not JSON"):
        client(sleeps).get_json("/thing")


# --- Shopify ------------------------------------------------------------------------------

GRAPHQL = "https://shop.myshopify.com/admin/api/2026-10/graphql.json"


def shopify(sleeps) -> ShopifyProvider:
    http = HttpClient("Shopify", "https://shop.myshopify.com", sleep=sleeps.append,
                      headers={"X-Shopify-Access-Token": "shpat_x"})
    return ShopifyProvider(http, "2026-10")


def test_shopify_pages_through_changed_order_ids(api, sleeps):
    def page(nodes, has_next, cursor=None):
        return {"data": {"orders": {"nodes": nodes,
                                    "pageInfo": {"hasNextPage": has_next, "endCursor": cursor}}}}

    first = api.post(GRAPHQL, json=page([{"id": "gid://shopify/Order/1", "legacyResourceId": "1"}],
                                        True, "c1"),
                     match=[matchers.header_matcher({"X-Shopify-Access-Token": "shpat_x"})])
    api.post(GRAPHQL, json=page([{"id": "gid://shopify/Order/2"}], False))

    assert list(shopify(sleeps).changed_order_ids(SINCE)) == ["1", "2"]

    sent = [json.loads(call.request.body) for call in api.calls]
    assert sent[0]["variables"] == {"first": 100, "after": None,
                                    "query": "updated_at:>='2026-11-17T10:00:00Z'"}
    assert sent[1]["variables"]["after"] == "c1"
    assert "orders(first: $first, after: $after, query: $query" in sent[0]["query"]
    assert first.call_count == 1


def test_shopify_throttled_waits_for_the_bucket_then_retries(api, sleeps):
    api.post(GRAPHQL, json={"errors": [{"message": "Throttled", "extensions": {"code": "THROTTLED"}}],
                            "extensions": {"cost": {"requestedQueryCost": 300, "throttleStatus": {
                                "maximumAvailable": 1000, "currentlyAvailable": 100,
                                "restoreRate": 100}}}})
    api.post(GRAPHQL, json={"data": {"order": {"id": "gid://shopify/Order/5"}}})
    assert shopify(sleeps).fetch_order("5") == {"id": "gid://shopify/Order/5"}
    assert sleeps == [2.0]
    assert json.loads(api.calls[1].request.body)["variables"] == {"id": "gid://shopify/Order/5"}


def test_shopify_http_429_is_retried_too(api, sleeps):
    api.post(GRAPHQL, status=429, headers={"Retry-After": "1"})
    api.post(GRAPHQL, json={"data": {"order": {"id": "gid://shopify/Order/5"}}})
    assert shopify(sleeps).fetch_order("5")["id"] == "gid://shopify/Order/5"
    assert sleeps == [1.0]


def test_shopify_graphql_errors_are_rejected(api, sleeps):
    api.post(GRAPHQL, json={"errors": [{"message": "Field 'x' doesn't exist on type 'Order'",
                                        "extensions": {"code": "undefinedField"}}]})
    with pytest.raises(ProviderRejected, match="Field 'x' doesn't exist"):
        shopify(sleeps).fetch_order("5")


def test_shopify_unknown_order_is_rejected(api, sleeps):
    api.post(GRAPHQL, json={"data": {"order": None}})
    with pytest.raises(ProviderRejected, match="no order 77"):
        shopify(sleeps).fetch_order("77")


# --- WooCommerce --------------------------------------------------------------------------

def test_woocommerce_lists_modified_orders_page_by_page_with_basic_auth(api, sleeps):
    creds = PlatformCredentials(api_url="https://woo.example.test", consumer_key="ck_1",
                                consumer_secret="cs_2")
    provider = provider_for(shop(Platform.WOOCOMMERCE), creds, sleep=sleeps.append)
    assert isinstance(provider, WooCommerceProvider)
    url = "https://woo.example.test/wp-json/wc/v3/orders"
    expected = {"modified_after": "2026-11-17T10:00:00", "dates_are_gmt": "true", "per_page": "100",
                "orderby": "id", "order": "asc"}
    api.get(url, json=[{"id": n} for n in range(100)], headers={"X-WP-TotalPages": "2"},
            match=[matchers.query_param_matcher({**expected, "page": "1"})])
    api.get(url, json=[{"id": 100}], headers={"X-WP-TotalPages": "2"},
            match=[matchers.query_param_matcher({**expected, "page": "2"})])

    orders = list(provider.changed_orders(SINCE))

    assert [o["id"] for o in orders] == list(range(101))
    auth = api.calls[0].request.headers["Authorization"]
    assert auth == "Basic " + base64.b64encode(b"ck_1:cs_2").decode()


# --- BigCommerce --------------------------------------------------------------------------

BC = "https://api.bigcommerce.com/stores/abc123"


def bigcommerce(sleeps) -> BigCommerceProvider:
    creds = PlatformCredentials(store_hash="abc123", access_token="bc-token")
    provider = provider_for(shop(Platform.BIGCOMMERCE), creds, sleep=sleeps.append)
    assert isinstance(provider, BigCommerceProvider)
    return provider


def test_bigcommerce_fetches_an_order_with_its_products_and_refunds(api, sleeps):
    token = matchers.header_matcher({"X-Auth-Token": "bc-token", "Accept": "application/json"})
    api.get(f"{BC}/v2/orders/250", json={"id": 250, "status_id": 11}, match=[token])
    api.get(f"{BC}/v2/orders/250/products", json=[{"id": 1}, {"id": 2}],
            match=[matchers.query_param_matcher({"limit": "250", "page": "1"})])
    api.get(f"{BC}/v3/orders/250/payment_actions/refunds",
            json={"data": [{"id": 3}], "meta": {}})

    fetched = bigcommerce(sleeps).fetch_order("250")

    assert fetched.order == {"id": 250, "status_id": 11}
    assert fetched.products == [{"id": 1}, {"id": 2}]
    assert fetched.refunds == [{"id": 3}]


def test_bigcommerce_lists_changed_orders_until_204(api, sleeps):
    url = f"{BC}/v2/orders"
    since = {"min_date_modified": "2026-11-17T10:00:00+00:00", "limit": "250"}
    api.get(url, json=[{"id": n} for n in range(250)],
            match=[matchers.query_param_matcher({**since, "page": "1"})])
    api.get(url, status=204, match=[matchers.query_param_matcher({**since, "page": "2"})])
    assert len(list(bigcommerce(sleeps).changed_orders(SINCE))) == 250


def test_bigcommerce_server_error_during_fetch_is_unavailable(api, sleeps):
    for _ in range(3):
        api.get(f"{BC}/v2/orders/250", status=500)
    with pytest.raises(ProviderUnavailable, match="BigCommerce answered 500 to GET /stores/abc123/v2"):
        bigcommerce(sleeps).fetch_order("250")


# --- Stripe -------------------------------------------------------------------------------

STRIPE = "https://stripe.example.test"


def stripe_provider(sleeps) -> StripeProvider:
    creds = PlatformCredentials(secret_key="sk_test_51abcdef", api_url=STRIPE)
    provider = provider_for(shop(Platform.STRIPE), creds, sleep=sleeps.append,
                            retry=RetryPolicy(attempts=1))
    assert isinstance(provider, StripeProvider)
    return provider


def test_stripe_lists_checkout_sessions_with_the_shops_key_through_the_injected_base(api, sleeps):
    url = f"{STRIPE}/v1/checkout/sessions"
    api.get(url, json={"object": "list", "url": "/v1/checkout/sessions", "has_more": True,
                       "data": [{"id": "cs_1", "object": "checkout.session"}]},
            match=[matchers.query_param_matcher({"created[gte]": str(int(SINCE.timestamp())),
                                                 "status": "complete", "limit": "100"})])
    api.get(url, json={"object": "list", "url": "/v1/checkout/sessions", "has_more": False,
                       "data": [{"id": "cs_2", "object": "checkout.session"}]},
            match=[matchers.query_param_matcher({"created[gte]": str(int(SINCE.timestamp())),
                                                 "status": "complete", "limit": "100",
                                                 "starting_after": "cs_1"})])

    sessions = list(stripe_provider(sleeps).checkout_sessions_since(SINCE))

    assert [s["id"] for s in sessions] == ["cs_1", "cs_2"]
    assert all(isinstance(s, dict) for s in sessions)
    assert api.calls[0].request.headers["Authorization"] == "Bearer sk_test_51abcdef"


def test_stripe_errors_map_to_the_provider_family_without_the_key(api, sleeps):
    api.get(f"{STRIPE}/v1/checkout/sessions", status=401, json={"error": {
        "type": "invalid_request_error",
        "message": "Invalid API Key provided: sk_test_****cdef"}})
    with pytest.raises(ProviderRejected) as excinfo:
        list(stripe_provider(sleeps).checkout_sessions_since(SINCE))
    assert "sk_test" not in excinfo.value.message

    api.get(f"{STRIPE}/v1/checkout/sessions", status=500, json={"error": {"type": "api_error",
                                                                          "message": "boom"}})
    with pytest.raises(ProviderUnavailable):
        list(stripe_provider(sleeps).checkout_sessions_since(SINCE))


# --- building a provider ------------------------------------------------------------------

def test_missing_credentials_name_what_is_missing():
    with pytest.raises(ProviderNotConfigured) as excinfo:
        provider_for(shop(Platform.BIGCOMMERCE), PlatformCredentials(access_token="t"))
    assert excinfo.value.details == {"missing": ["store_hash"]}
    assert "loyalty shop credentials --shop 7" in excinfo.value.message
    with pytest.raises(ProviderNotConfigured, match="no platform API"):
        provider_for(shop(Platform.CUSTOM), PlatformCredentials())
    with pytest.raises(ProviderNotConfigured):
        provider_for(shop(Platform.SHOPIFY), None)
