"""Shopify OAuth install against a fake Shopify (``responses``): every check refuses before
anything is stored; a good install stores the token encrypted and subscribes the webhooks."""
from __future__ import annotations

import json
import time
from urllib.parse import parse_qs, urlsplit

import pytest
import responses
from sqlalchemy import func, select, text

from loyalty_plugin.encryption import SecretBox
from loyalty_plugin.install import oauth
from loyalty_plugin.models import Shop, ShopCredentials, ShopStatus
from loyalty_plugin.providers.shopify_webhooks import CREATE_SUBSCRIPTION, WEBHOOK_TOPICS
from loyalty_plugin.services.credentials import get_credentials
from tests.conftest import make_test_app
from tests.factories import post_shopify
from webhooks import shopify as shopify_adapter

SHOP = "some-shop.myshopify.com"
SECRET = "hush"
TOKEN_URL = f"https://{SHOP}/admin/oauth/access_token"
GRAPHQL = f"https://{SHOP}/admin/api/2026-10/graphql.json"
JSON = {"Accept": "application/json"}
GRANT = {"access_token": "shpat_fresh", "scope": "read_orders,read_customers,write_discounts",
         "expires_in": 3600, "refresh_token": "shprt_first", "refresh_token_expires_in": 7776000}


class FakeShopify:
    """The token endpoint and the GraphQL Admin API of one shop."""

    def __init__(self, mock, *, grant=GRANT, token_status=200, existing=(), user_errors=None):
        self.existing = list(existing)
        self.user_errors = user_errors
        self.mutations: list[dict] = []
        mock.add(responses.POST, TOKEN_URL, json=grant, status=token_status)
        mock.add_callback(responses.POST, GRAPHQL, callback=self.graphql,
                          content_type="application/json")

    def graphql(self, request):
        sent = json.loads(request.body)
        if "LoyaltyShop" in sent["query"]:
            data = {"shop": {"currencyCode": "EUR", "ianaTimezone": "Europe/Paris"}}
        elif "LoyaltyWebhookSubscriptions" in sent["query"]:
            data = {"webhookSubscriptions": {"nodes": self.existing,
                                             "pageInfo": {"hasNextPage": False, "endCursor": None}}}
        else:
            self.mutations.append(sent)
            errors = self.user_errors or []
            node = None if errors else {"id": f"gid://shopify/WebhookSubscription/{len(self.mutations)}",
                                        "topic": sent["variables"]["topic"],
                                        "uri": sent["variables"]["webhookSubscription"]["uri"]}
            data = {"webhookSubscriptionCreate": {"webhookSubscription": node, "userErrors": errors}}
        return 200, {}, json.dumps({"data": data})


@pytest.fixture
def app(database):
    return make_test_app(database, LOYALTY_SHOPIFY_API_KEY="app-key",
                         LOYALTY_SHOPIFY_API_SECRET=SECRET)


@pytest.fixture
def api():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


def start(client, shop: str = SHOP) -> str:
    response = client.get(f"/install/shopify?shop={shop}")
    assert response.status_code == 302, response.data
    return parse_qs(urlsplit(response.location).query)["state"][0]


def callback(client, state: str, *, secret: str = SECRET, headers=JSON, **changes):
    params = {"code": "0907a61c0c8d55e99db179b68161bc00", "shop": SHOP, "state": state,
              "timestamp": str(int(time.time())), "host": "YWRtaW4uc2hvcGlmeS5jb20vc3RvcmUvc29tZS1zaG9w"}
    params.update(changes)
    params = {k: v for k, v in params.items() if v is not None}
    params.setdefault("hmac", oauth.query_hmac(params, secret))
    return client.get("/install/shopify/callback", query_string=params, headers=headers)


def stored(session) -> tuple[int, int]:
    shops = session.execute(select(func.count()).select_from(Shop).where(Shop.domain == SHOP)).scalar_one()
    creds = session.execute(select(func.count()).select_from(ShopCredentials)).scalar_one()
    return shops, creds


def test_install_redirects_to_shopify_with_the_app_scopes_and_a_state_cookie(client):
    response = client.get(f"/install/shopify?shop={SHOP}")

    assert response.status_code == 302
    target = urlsplit(response.location)
    query = parse_qs(target.query)
    assert (target.scheme, target.netloc, target.path) == ("https", SHOP, "/admin/oauth/authorize")
    assert query["client_id"] == ["app-key"]
    assert query["scope"] == ["read_orders,read_customers,write_discounts"]
    assert query["redirect_uri"] == ["https://loyalty.example.test/install/shopify/callback"]
    cookie = response.headers["Set-Cookie"]
    assert f"loyalty_shopify_state={query['state'][0]}" in cookie
    assert "HttpOnly" in cookie and "Secure" in cookie and "SameSite=Lax" in cookie


def test_a_good_install_stores_the_token_encrypted_and_subscribes_every_topic(client, session, api):
    fake = FakeShopify(api)

    response = callback(client, start(client))

    assert response.status_code == 200, response.json
    body = response.json
    shop = session.execute(select(Shop).where(Shop.domain == SHOP)).unique().scalar_one()
    url = f"https://loyalty.example.test/webhooks/shopify/{shop.id}"
    assert body["status"] == "connected" and body["created"] is True
    assert body["api_key"].startswith("lk_") and body["webhook_url"] == url
    assert (shop.platform.value, shop.currency, shop.timezone) == ("shopify", "EUR", "Europe/Paris")
    # Shopify signs app webhooks with the app's secret.
    assert shop.webhook_secret == SECRET
    assert json.loads(api.calls[0].request.body) == {
        "client_id": "app-key", "client_secret": SECRET,
        "code": "0907a61c0c8d55e99db179b68161bc00", "expiring": 1}
    assert [m["variables"]["topic"] for m in fake.mutations] == list(WEBHOOK_TOPICS)
    assert all(m == {"query": CREATE_SUBSCRIPTION, "variables": {
        "topic": m["variables"]["topic"], "webhookSubscription": {"uri": url, "format": "JSON"}}}
        for m in fake.mutations)
    graphql_calls = [c for c in api.calls if c.request.url == GRAPHQL]
    assert all(c.request.headers["X-Shopify-Access-Token"] == "shpat_fresh" for c in graphql_calls)

    raw = session.execute(text("SELECT access_token_encrypted, refresh_token_encrypted "
                               "FROM shop_credentials WHERE shop_id = :id"), {"id": shop.id}).one()
    assert "shpat_fresh" not in raw[0] and "shprt_first" not in raw[1]
    creds = get_credentials(session, shop.id, SecretBox("test"))
    assert (creds.access_token, creds.refresh_token) == ("shpat_fresh", "shprt_first")
    assert creds.scopes == "read_orders,read_customers,write_discounts"
    remaining = (creds.access_token_expires_at.timestamp() - time.time())
    assert 3500 < remaining <= 3600


def test_the_subscribed_topics_are_the_ones_the_shopify_adapter_handles():
    handled = shopify_adapter.ORDER_TOPICS | {"refunds/create", "customers/create",
                                              "customers/update", "app/uninstalled"}
    assert {t.lower().replace("_", "/", 1) for t in WEBHOOK_TOPICS} == handled


def test_the_html_page_says_the_shop_is_connected_and_shows_the_key_once(client, api):
    FakeShopify(api)
    response = callback(client, start(client), headers={"Accept": "text/html"})
    assert response.status_code == 200 and response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    assert f"{SHOP} is connected" in page and "lk_" in page
    assert response.headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize("changes, status, words", [
    ({"hmac": "0" * 64}, 401, "hmac does not match"),
    ({"secret": "not-the-app-secret"}, 401, "hmac does not match"),
    ({"shop": "evil.example.com"}, 400, "myshopify.com"),
    ({"timestamp": str(int(time.time()) - 3600)}, 400, "timestamp"),
    ({"code": None}, 400, "lacks code"),
])
def test_a_bad_callback_is_refused_and_nothing_is_stored(client, session, api, changes, status,
                                                         words):
    FakeShopify(api)
    response = callback(client, start(client), **changes)
    assert response.status_code == status, response.json
    assert words in response.json["error"]["message"]
    assert stored(session) == (0, 0)
    assert len(api.calls) == 0  # no token was asked for


def test_a_state_from_another_browser_or_shop_or_used_twice_is_refused(app, client, session, api):
    FakeShopify(api)
    state = start(client)
    other_browser = app.test_client()
    assert callback(other_browser, state).status_code == 400
    forged = oauth.new_state("another-key", SHOP)
    client.set_cookie("loyalty_shopify_state", forged, path="/install/shopify")
    assert callback(client, forged).json["error"]["details"] == {"field": "state"}
    assert stored(session) == (0, 0)

    state = start(client)
    assert callback(client, state).status_code == 200
    client.set_cookie("loyalty_shopify_state", state, path="/install/shopify")
    again = callback(client, state)
    assert again.status_code == 400 and "used already" in again.json["error"]["message"]


def test_a_failed_token_exchange_stores_nothing(client, session, api):
    FakeShopify(api, grant={"error": "invalid_request"}, token_status=400)
    response = callback(client, start(client))
    assert response.status_code == 502
    assert "Shopify answered 400" in response.json["error"]["message"]
    assert stored(session) == (0, 0)


def test_too_few_granted_scopes_store_nothing(client, session, api):
    FakeShopify(api, grant={**GRANT, "scope": "read_orders"})
    response = callback(client, start(client))
    assert response.status_code == 502
    assert response.json["error"]["details"]["missing_scopes"] == ["read_customers", "write_discounts"]
    assert stored(session) == (0, 0)


def test_a_refused_webhook_subscription_stores_no_shop_and_no_token(client, session, api):
    FakeShopify(api, user_errors=[{"field": ["webhookSubscription"], "message": "Address is invalid"}])
    response = callback(client, start(client), headers={"Accept": "text/html"})
    assert response.status_code == 502
    assert "Address is invalid" in response.get_data(as_text=True)
    assert stored(session) == (0, 0)


def test_install_refuses_a_bad_shop_and_a_bad_signature_up_front(client):
    assert client.get("/install/shopify?shop=evil.com", headers=JSON).status_code == 400
    assert client.get("/install/shopify", headers=JSON).status_code == 400
    signed = {"shop": SHOP, "timestamp": str(int(time.time())), "hmac": "f" * 64}
    assert client.get("/install/shopify", query_string=signed, headers=JSON).status_code == 401
    signed["hmac"] = oauth.query_hmac(signed, SECRET)
    assert client.get("/install/shopify", query_string=signed).status_code == 302
    repeated = client.get(f"/install/shopify?shop={SHOP}&shop=other.myshopify.com", headers=JSON)
    assert repeated.status_code == 400


def test_without_app_settings_or_secret_key_install_answers_503(database):
    bare = make_test_app(database).test_client()
    response = bare.get(f"/install/shopify?shop={SHOP}", headers=JSON)
    assert response.status_code == 503 and "LOYALTY_SHOPIFY_API_KEY" in response.json["error"]["message"]
    keyless = make_test_app(database, LOYALTY_SHOPIFY_API_KEY="k", LOYALTY_SHOPIFY_API_SECRET="s",
                            LOYALTY_SECRET_KEY=None, LOYALTY_SECRET_KEY_GENERATED=True)
    response = keyless.test_client().get(f"/install/shopify?shop={SHOP}", headers=JSON)
    assert response.status_code == 503 and "LOYALTY_SECRET_KEY" in response.json["error"]["message"]


def test_uninstall_drops_the_token_and_a_reinstall_reactivates_without_duplicates(
        client, session, api):
    fake = FakeShopify(api)
    first = callback(client, start(client)).json
    shop = session.get(Shop, first["shop"]["id"])
    assert post_shopify(client, shop, "app/uninstalled", {"id": 1},
                        secret=SECRET).status_code == 200
    session.refresh(shop)
    assert shop.status is ShopStatus.UNINSTALLED and stored(session) == (1, 0)

    url = first["webhook_url"]
    fake.existing = [{"id": "gid://shopify/WebhookSubscription/1", "topic": t, "uri": url}
                     for t in WEBHOOK_TOPICS[:4]]
    fake.mutations.clear()
    again = callback(client, start(client)).json

    assert again["shop"]["id"] == shop.id and again["reactivated"] is True
    assert again["api_key"] is None
    assert again["webhooks"] == {"created": list(WEBHOOK_TOPICS[4:]), "kept": list(WEBHOOK_TOPICS[:4])}
    session.refresh(shop)
    assert shop.status is ShopStatus.ACTIVE and shop.uninstalled_at is None
    assert stored(session) == (1, 1)


@pytest.mark.parametrize("state", ["x", "é" * 40, "a.b.c", "eyJzaG9wIjoiYSJ9.AAAA.BBBB"])
def test_a_garbage_state_signed_by_shopify_is_a_400_not_a_500(client, session, api, state):
    client.set_cookie("loyalty_shopify_state", state.encode("utf-8").decode("latin-1"),
                      path="/install/shopify")
    response = callback(client, state)
    assert response.status_code == 400
    assert stored(session) == (0, 0)
