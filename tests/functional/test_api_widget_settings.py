"""The admin API for the storefront widget's settings."""
from __future__ import annotations

import pytest

from loyalty_plugin.models import ApiKeyScope, utcnow
from loyalty_plugin.services.api_keys import create_api_key
from tests.factories import make_shop


@pytest.fixture
def shop_and_key(session):
    shop, key = make_shop(session)
    session.commit()
    return shop, key


def auth(key: str) -> dict:
    return {"Authorization": f"Bearer {key}"}


def test_a_shop_starts_with_the_default_settings(client, shop_and_key):
    _, key = shop_and_key
    response = client.get("/api/v1/widget/settings", headers=auth(key))
    assert response.status_code == 200
    assert response.json == {"primary_color": "#3b5bdb", "launcher_position": "bottom_right",
                             "launcher_text": None, "locale": None, "storefront_origins": [],
                             "sign_in_url": None, "sign_up_url": None, "updated_at": None}


def test_settings_change_and_origins_are_normalised_once(client, shop_and_key):
    shop, key = shop_and_key
    response = client.patch("/api/v1/widget/settings", headers=auth(key), json={
        "primary_color": "#FFCC00", "launcher_position": "bottom_left", "launcher_text": "Club",
        "locale": "de", "storefront_origins": ["https://WWW.Shop.example/", "https://www.shop.example"],
        "sign_in_url": "https://www.shop.example/account/login"})

    assert response.status_code == 200, response.json
    assert response.json["primary_color"] == "#ffcc00"
    assert response.json["storefront_origins"] == ["https://www.shop.example"]
    config = client.get(f"/widget/v1/{shop.id}/config?lang=fr").json
    assert config["locale"] == "de"  # the shop's choice wins over the page's language
    assert config["theme"] == {"primary": "#ffcc00", "on_primary": "#000000", "accent": "#000000",
                               "position": "bottom_left", "launcher_text": "Club"}
    assert config["links"]["sign_in"] == "https://www.shop.example/account/login"


@pytest.mark.parametrize("body, field", [
    ({"primary_color": "red"}, "primary_color"),
    ({"primary_color": "#12345"}, "primary_color"),
    ({"launcher_position": "top"}, "launcher_position"),
    ({"launcher_text": ""}, "launcher_text"),
    ({"launcher_text": "x" * 41}, "launcher_text"),
    ({"locale": "it"}, "locale"),
    ({"storefront_origins": ["https://shop.example/path"]}, "storefront_origins"),
    ({"storefront_origins": ["*"]}, "storefront_origins"),
    ({"storefront_origins": "https://shop.example"}, "storefront_origins"),
    ({"storefront_origins": [f"https://s{i}.example" for i in range(21)]}, "storefront_origins"),
    ({"sign_in_url": "javascript:alert(1)"}, "sign_in_url"),
    ({"sign_up_url": "/account/register"}, "sign_up_url"),
    ({"unknown": 1}, "unknown"),
])
def test_bad_settings_are_422_naming_the_field(client, shop_and_key, body, field):
    _, key = shop_and_key
    response = client.patch("/api/v1/widget/settings", headers=auth(key), json=body)
    assert response.status_code == 422
    assert field in response.json["error"]["details"]["fields"]


def test_a_read_only_key_cannot_change_settings(client, session, shop_and_key):
    shop, _ = shop_and_key
    read_only = create_api_key(session, shop.id, name="ro", now=utcnow(), scope=ApiKeyScope.READ_ONLY)
    session.commit()
    assert client.get("/api/v1/widget/settings", headers=auth(read_only)).status_code == 200
    response = client.patch("/api/v1/widget/settings", headers=auth(read_only), json={"locale": "fr"})
    assert response.status_code == 403
