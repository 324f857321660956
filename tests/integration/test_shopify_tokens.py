"""Expiring Shopify offline tokens: refreshed shortly before they run out, the rotated refresh
token stored at once, and used by the API client from the next request on."""
from __future__ import annotations

import datetime as dt
import json

import pytest
import responses

from loyalty_plugin.encryption import SecretBox
from loyalty_plugin.errors import ProviderNotConfigured, ProviderRejected
from loyalty_plugin.models import Platform, utcnow
from loyalty_plugin.providers import ShopifyApp, ShopifyOAuth
from loyalty_plugin.providers.shopify_oauth import TokenGrant
from loyalty_plugin.services.credentials import get_credentials, set_credentials
from loyalty_plugin.services.shopify_tokens import ShopifyTokenSource, store_grant
from tests.factories import make_shop
from webhooks.reconcile import reconcile_shop

DOMAIN = "tokens.myshopify.com"
TOKEN_URL = f"https://{DOMAIN}/admin/oauth/access_token"
GRAPHQL = f"https://{DOMAIN}/admin/api/2026-10/graphql.json"
BOX = SecretBox("test")
APP = ShopifyApp("app-key", "app-secret", ("read_orders",))


@pytest.fixture
def api():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


def shop_with_token(session, *, expires_in: int, issued: dt.datetime, refresh_expires_in=None):
    shop, _ = make_shop(session, domain=DOMAIN, platform=Platform.SHOPIFY)
    store_grant(session, shop.id, BOX, TokenGrant(
        access_token="shpat_old", scopes=("read_orders",), expires_in=expires_in,
        refresh_token="shprt_old", refresh_token_expires_in=refresh_expires_in), issued)
    session.commit()
    return shop


def refreshed(mock, token: str = "shpat_new", refresh: str = "shprt_new"):
    mock.add(responses.POST, TOKEN_URL, json={
        "access_token": token, "scope": "read_orders", "expires_in": 3600,
        "refresh_token": refresh, "refresh_token_expires_in": 7776000})


def test_a_token_near_expiry_is_refreshed_and_the_rotated_refresh_token_stored(
        database, session, api):
    shop = shop_with_token(session, expires_in=3600, issued=utcnow() - dt.timedelta(minutes=57))
    refreshed(api)
    source = ShopifyTokenSource(database, shop.id, BOX, ShopifyOAuth(APP))

    assert source() == "shpat_new"
    assert source() == "shpat_new"  # fresh now: no second refresh

    assert len(api.calls) == 1
    assert json.loads(api.calls[0].request.body) == {
        "client_id": "app-key", "client_secret": "app-secret", "grant_type": "refresh_token",
        "refresh_token": "shprt_old"}
    session.expire_all()
    creds = get_credentials(session, shop.id, BOX)
    assert (creds.access_token, creds.refresh_token) == ("shpat_new", "shprt_new")
    assert creds.access_token_expires_at > utcnow() + dt.timedelta(minutes=59)


def test_a_token_far_from_expiry_is_used_as_it_is(database, session, api):
    shop = shop_with_token(session, expires_in=3600, issued=utcnow())
    assert ShopifyTokenSource(database, shop.id, BOX, ShopifyOAuth(APP))() == "shpat_old"
    assert len(api.calls) == 0


def test_an_expired_refresh_token_asks_for_a_new_install(database, session, api):
    shop = shop_with_token(session, expires_in=3600, refresh_expires_in=3600,
                           issued=utcnow() - dt.timedelta(hours=2))
    with pytest.raises(ProviderNotConfigured, match="install link again"):
        ShopifyTokenSource(database, shop.id, BOX, ShopifyOAuth(APP))()
    assert len(api.calls) == 0


def test_a_refused_refresh_keeps_the_stored_tokens(database, session, api):
    shop = shop_with_token(session, expires_in=60, issued=utcnow())
    api.add(responses.POST, TOKEN_URL, json={"error": "invalid_grant"}, status=400)
    with pytest.raises(ProviderRejected, match="Shopify answered 400"):
        ShopifyTokenSource(database, shop.id, BOX, ShopifyOAuth(APP))()
    session.expire_all()
    assert get_credentials(session, shop.id, BOX).refresh_token == "shprt_old"


def test_a_token_set_by_hand_forgets_the_old_refresh_token_and_expiry(session):
    shop = shop_with_token(session, expires_in=3600, issued=utcnow())
    set_credentials(session, shop.id, BOX, values={"access_token": "shpat_custom_app"}, now=utcnow())
    creds = get_credentials(session, shop.id, BOX)
    assert creds.refresh_token is None and creds.access_token_expires_at is None


def test_reconciliation_refreshes_a_due_token_before_calling_shopify(app, database, session, api):
    shop = shop_with_token(session, expires_in=3600, issued=utcnow() - dt.timedelta(minutes=58))
    refreshed(api)
    api.add(responses.POST, GRAPHQL, json={"data": {"orders": {
        "nodes": [], "pageInfo": {"hasNextPage": False, "endCursor": None}}}})

    summary = reconcile_shop(database, shop.id, utcnow() - dt.timedelta(days=1), BOX,
                             shopify_oauth=ShopifyOAuth(APP))

    assert summary.complete and summary.seen == 0
    assert [c.request.url for c in api.calls] == [TOKEN_URL, GRAPHQL]
    assert api.calls[1].request.headers["X-Shopify-Access-Token"] == "shpat_new"
