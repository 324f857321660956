"""The pure checks of Shopify's OAuth code grant, with the documented vectors (PLATFORMS.md §1.11)."""
from __future__ import annotations

import datetime as dt

import pytest

from loyalty_plugin.errors import ProviderRejected
from loyalty_plugin.install import oauth
from loyalty_plugin.providers.shopify_oauth import ShopifyApp, parse_grant

VECTOR = {"code": "0907a61c0c8d55e99db179b68161bc00", "shop": "some-shop.myshopify.com",
          "timestamp": "1337178173"}
VECTOR_HMAC = "4712bf92ffc2917d15a2f5a273e39f0116667419aa4b6ac0b3baaf26fa3c4d20"
WITH_STATE_HMAC = "700e2dadb827fcc8609e9d5ce208b2e9cdaab9df07390d2cbca10d7c328fc4bf"
NOW = dt.datetime(2026, 11, 26, 12, 0, tzinfo=dt.timezone.utc)


def test_documented_vector_without_state():
    assert oauth.query_hmac(VECTOR, "hush") == VECTOR_HMAC
    assert oauth.hmac_valid({**VECTOR, "hmac": VECTOR_HMAC}, "hush")


def test_documented_vector_with_state_and_any_parameter_order():
    params = {"state": "0.6784241404160823", "timestamp": "1337178173", "hmac": WITH_STATE_HMAC,
              "shop": "some-shop.myshopify.com", "code": "0907a61c0c8d55e99db179b68161bc00"}
    assert oauth.query_hmac(params, "hush") == WITH_STATE_HMAC
    assert oauth.hmac_valid(params, "hush")
    assert oauth.hmac_valid({**params, "hmac": WITH_STATE_HMAC.upper()}, "hush")


@pytest.mark.parametrize("change", [
    {"code": "0907a61c0c8d55e99db179b68161bc01"},
    {"shop": "other-shop.myshopify.com"},
    {"extra": "1"},
])
def test_any_changed_or_added_parameter_breaks_the_signature(change):
    assert not oauth.hmac_valid({**VECTOR, **change, "hmac": VECTOR_HMAC}, "hush")


def test_wrong_secret_and_missing_hmac_fail():
    assert not oauth.hmac_valid({**VECTOR, "hmac": VECTOR_HMAC}, "not-hush")
    assert not oauth.hmac_valid(VECTOR, "hush")


def test_delimiters_in_values_and_keys_cannot_forge_another_parameter():
    # "a=1&b=2" as one value must not sign like two parameters a=1 and b=2.
    joined = oauth.signed_message({"a": "1&b=2"})
    split = oauth.signed_message({"a": "1", "b": "2"})
    assert joined == "a=1%26b=2" and split == "a=1&b=2"
    assert oauth.signed_message({"a=b": "c"}) == "a%3Db=c"
    assert oauth.signed_message({"p": "100%"}) == "p=100%25"


@pytest.mark.parametrize("value, expected", [
    ("some-shop.myshopify.com", "some-shop.myshopify.com"),
    ("Some-Shop.MYSHOPIFY.com", None),
    ("Some-Shop.myshopify.com", "some-shop.myshopify.com"),
    ("evil.com", None),
    ("some-shop.myshopify.com.evil.com", None),
    ("-shop.myshopify.com", None),
    ("shop.myshopify.com/admin", None),
    ("https://shop.myshopify.com", None),
    ("sh op.myshopify.com", None),
    ("", None),
    (None, None),
])
def test_shop_domain_is_a_myshopify_name_only(value, expected):
    assert oauth.shop_domain(value) == expected


@pytest.mark.parametrize("offset, fresh", [(0, True), (-299, True), (-301, False), (59, True),
                                           (61, False)])
def test_timestamp_must_be_recent(offset, fresh):
    assert oauth.timestamp_fresh(str(int(NOW.timestamp()) + offset), NOW) is fresh


@pytest.mark.parametrize("value", ["", "abc", "1e9", "-5", "99999999999999999", "١٢٣"])
def test_timestamp_that_is_not_a_plain_number_is_refused(value):
    assert not oauth.timestamp_fresh(value, NOW)


def test_state_is_bound_to_its_shop_and_key():
    state = oauth.new_state("secret", "a.myshopify.com")
    assert oauth.state_valid("secret", state, "a.myshopify.com")
    assert not oauth.state_valid("secret", state, "b.myshopify.com")
    assert not oauth.state_valid("other-secret", state, "a.myshopify.com")
    assert not oauth.state_valid("secret", state + "x", "a.myshopify.com")
    assert oauth.new_state("secret", "a.myshopify.com") != state


def test_authorize_url_asks_for_an_offline_token_with_the_app_scopes():
    url = oauth.authorize_url("a.myshopify.com", "key", ("read_orders", "write_discounts"),
                              "https://loyalty.example/install/shopify/callback", "st")
    assert url == ("https://a.myshopify.com/admin/oauth/authorize?client_id=key"
                   "&scope=read_orders%2Cwrite_discounts"
                   "&redirect_uri=https%3A%2F%2Floyalty.example%2Finstall%2Fshopify%2Fcallback&state=st")
    assert "grant_options" not in url


def test_write_scope_covers_the_read_scope():
    app = ShopifyApp("k", "s", ("read_orders", "read_discounts", "write_discounts"))
    assert app.missing_scopes(("read_orders", "write_discounts")) == []
    assert app.missing_scopes(("read_discounts",)) == ["read_orders", "write_discounts"]


def test_app_settings_need_key_and_secret():
    assert ShopifyApp.from_config({"LOYALTY_SHOPIFY_API_KEY": "k"}) is None
    app = ShopifyApp.from_config({"LOYALTY_SHOPIFY_API_KEY": "k",
                                  "LOYALTY_SHOPIFY_API_SECRET": "app-secret-value",
                                  "LOYALTY_SHOPIFY_SCOPES": " read_orders, ,write_discounts"})
    assert app is not None and app.scopes == ("read_orders", "write_discounts")
    assert "app-secret-value" not in repr(app)


def test_token_answers_are_parsed_defensively():
    grant = parse_grant({"access_token": "shpat_1", "scope": "read_orders,write_discounts",
                         "expires_in": 3600, "refresh_token": "shprt_1",
                         "refresh_token_expires_in": 7776000})
    assert grant.scopes == ("read_orders", "write_discounts")
    assert grant.access_expires_at(NOW) == NOW + dt.timedelta(hours=1)
    assert "shpat_1" not in repr(grant) and "shprt_1" not in repr(grant)
    forever = parse_grant({"access_token": "shpat_2", "scope": "read_orders", "expires_in": "soon"})
    assert forever.access_expires_at(NOW) is None and forever.refresh_token is None
    for answer in ({}, [], {"access_token": ""}, {"access_token": 5}):
        with pytest.raises(ProviderRejected):
            parse_grant(answer)
