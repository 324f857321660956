"""``loyalty shop connect`` against fake WooCommerce and BigCommerce APIs: the exact webhook
bodies, nothing created twice, nothing stored when the platform refuses."""
from __future__ import annotations

import base64
import json
import re

import pytest
import responses
from sqlalchemy import func, select, text

from loyalty_plugin.encryption import SecretBox
from loyalty_plugin.models import Platform, ShopCredentials
from loyalty_plugin.providers import bigcommerce as bigcommerce_provider
from loyalty_plugin.providers.woocommerce import WEBHOOK_TOPICS
from loyalty_plugin.services.credentials import get_credentials
from tests.factories import WEBHOOK_SECRET, make_shop
from webhooks import bigcommerce as bigcommerce_adapter
from webhooks import woocommerce as woocommerce_adapter

WOO = "https://store.example.com/wp-json/wc/v3/webhooks"
BC = "https://api.bigcommerce.com/stores/abc123/v3/hooks"


@pytest.fixture
def api():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


class FakeWooCommerce:
    def __init__(self, mock, *, create_status: int = 201):
        self.hooks: list[dict] = []
        self.create_status = create_status
        mock.add_callback(responses.GET, WOO, callback=self.list)
        mock.add_callback(responses.POST, WOO, callback=self.create)
        mock.add_callback(responses.PUT, re.compile(WOO + r"/\d+"), callback=lambda r: (200, {}, "{}"))

    def list(self, request):
        return 200, {"X-WP-TotalPages": "1"}, json.dumps(self.hooks)

    def create(self, request):
        if self.create_status >= 400:
            return self.create_status, {}, json.dumps({"code": "woocommerce_rest_cannot_create",
                                                       "message": "Sorry, you are not allowed."})
        hook = {**json.loads(request.body), "id": 100 + len(self.hooks)}
        hook.pop("secret")  # write-only
        self.hooks.append(hook)
        return 201, {}, json.dumps(hook)


class FakeBigCommerce:
    def __init__(self, mock):
        self.hooks: list[dict] = []
        mock.add_callback(responses.GET, BC, callback=lambda r: (200, {}, json.dumps(
            {"data": self.hooks, "meta": {"pagination": {"total_pages": 1}}})))
        mock.add_callback(responses.POST, BC, callback=self.create)
        mock.add_callback(responses.PUT, re.compile(BC + r"/\d+"), callback=lambda r: (200, {}, "{}"))

    def create(self, request):
        hook = {**json.loads(request.body), "id": 7 + len(self.hooks)}
        self.hooks.append(hook)
        return 200, {}, json.dumps({"data": hook, "meta": {}})


def connect_woo(app, shop, **env):
    return app.test_cli_runner().invoke(args=[
        "shop", "connect", "woocommerce", "--shop", str(shop.id), "--url", "https://store.example.com",
        "--key-from", "env:WC_KEY", "--secret-from", "env:WC_SECRET", "--json"], env={
        "WC_KEY": "ck_live_key", "WC_SECRET": "cs_live_secret", **env})


def requests_of(mock, method):
    return [c.request for c in mock.calls if c.request.method == method]


def test_woocommerce_connect_registers_each_topic_once_and_stores_the_keys_encrypted(
        app, session, api):
    shop, _ = make_shop(session, platform=Platform.WOOCOMMERCE, domain="store.example.com")
    fake = FakeWooCommerce(api)

    first = connect_woo(app, shop)

    assert first.exit_code == 0, first.output
    url = f"https://loyalty.example.test/webhooks/woocommerce/{shop.id}"
    assert json.loads(first.output)["webhooks"] == {"created": list(WEBHOOK_TOPICS), "kept": []}
    bodies = [json.loads(r.body) for r in requests_of(api, "POST")]
    assert bodies == [{"name": f"Loyalty program: {topic}", "topic": topic, "delivery_url": url,
                       "secret": WEBHOOK_SECRET, "status": "active"} for topic in WEBHOOK_TOPICS]
    auth = requests_of(api, "POST")[0].headers["Authorization"]
    assert auth == "Basic " + base64.b64encode(b"ck_live_key:cs_live_secret").decode()
    raw = session.execute(text("SELECT consumer_secret_encrypted FROM shop_credentials "
                               "WHERE shop_id = :id"), {"id": shop.id}).scalar_one()
    assert "cs_live_secret" not in raw and "cs_live_secret" not in first.output
    creds = get_credentials(session, shop.id, SecretBox("test"))
    assert (creds.api_url, creds.consumer_key) == ("https://store.example.com", "ck_live_key")

    second = connect_woo(app, shop)

    assert second.exit_code == 0, second.output
    assert json.loads(second.output)["webhooks"] == {"created": [], "kept": list(WEBHOOK_TOPICS)}
    assert len(requests_of(api, "POST")) == len(WEBHOOK_TOPICS) == len(fake.hooks)
    puts = requests_of(api, "PUT")
    assert [json.loads(r.body) for r in puts] == [{"status": "active", "secret": WEBHOOK_SECRET}] * 5
    assert puts[0].url == f"{WOO}/100"


def test_woocommerce_topics_are_the_ones_the_adapter_turns_into_events():
    handled = woocommerce_adapter.SNAPSHOT_TOPICS | woocommerce_adapter.CUSTOMER_TOPICS
    assert set(WEBHOOK_TOPICS) == handled


def test_a_refused_webhook_leaves_no_credentials(app, session, api):
    shop, _ = make_shop(session, platform=Platform.WOOCOMMERCE, domain="store.example.com")
    FakeWooCommerce(api, create_status=401)

    result = connect_woo(app, shop)

    assert result.exit_code == 1
    assert "WooCommerce answered 401" in result.output and "Nothing was stored" in result.output
    assert session.execute(select(func.count()).select_from(ShopCredentials)).scalar_one() == 0


def test_connect_refuses_a_shop_of_another_platform_and_a_plain_http_store(app, session, api):
    shopify, _ = make_shop(session)
    wrong = connect_woo(app, shopify)
    assert wrong.exit_code == 1 and "is a shopify shop" in wrong.output
    woo, _ = make_shop(session, platform=Platform.WOOCOMMERCE, domain="store.example.com")
    plain = app.test_cli_runner().invoke(args=[
        "shop", "connect", "woocommerce", "--shop", str(woo.id), "--url", "http://store.example.com",
        "--key-from", "env:K", "--secret-from", "env:S"], env={"K": "k", "S": "s"})
    assert plain.exit_code == 1 and "https://" in plain.output
    assert len(api.calls) == 0


def test_bigcommerce_connect_creates_the_order_hook_with_the_token_header_once(app, session, api):
    shop, _ = make_shop(session, platform=Platform.BIGCOMMERCE, domain="bc.mybigcommerce.com")
    fake = FakeBigCommerce(api)
    args = ["shop", "connect", "bigcommerce", "--shop", str(shop.id), "--store-hash", "abc123",
            "--token-from", "env:BC_TOKEN", "--client-secret-from", "stdin", "--json"]
    runner = app.test_cli_runner()

    first = runner.invoke(args=args, env={"BC_TOKEN": "bc-token"}, input="bc-client-secret\n")
    second = runner.invoke(args=args, env={"BC_TOKEN": "bc-token"}, input="bc-client-secret\n")

    assert first.exit_code == 0 and second.exit_code == 0, first.output + second.output
    url = f"https://loyalty.example.test/webhooks/bigcommerce/{shop.id}"
    assert [json.loads(r.body) for r in requests_of(api, "POST")] == [{
        "scope": "store/order/*", "destination": url, "is_active": True,
        "headers": {"X-Loyalty-Webhook-Token": WEBHOOK_SECRET}}]
    assert requests_of(api, "POST")[0].headers["X-Auth-Token"] == "bc-token"
    assert len(fake.hooks) == 1
    assert json.loads(second.output)["webhooks"] == {"created": [], "kept": ["store/order/*"]}
    assert [json.loads(r.body) for r in requests_of(api, "PUT")] == [{
        "is_active": True, "headers": {"X-Loyalty-Webhook-Token": WEBHOOK_SECRET}}]
    creds = get_credentials(session, shop.id, SecretBox("test"))
    assert (creds.store_hash, creds.access_token, creds.client_secret) == (
        "abc123", "bc-token", "bc-client-secret")


def test_bigcommerce_token_header_is_the_one_the_adapter_checks():
    assert bigcommerce_provider.TOKEN_HEADER == bigcommerce_adapter.TOKEN_HEADER
