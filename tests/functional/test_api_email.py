"""The customer email admin API: settings, templates per kind and language, field errors."""
from __future__ import annotations

import pytest

from tests.conftest import make_test_app
from tests.factories import make_shop


def auth(key: str) -> dict:
    return {"Authorization": f"Bearer {key}"}


@pytest.fixture
def key(session):
    _, api_key = make_shop(session)
    session.commit()
    return api_key


def test_settings_start_off_and_can_be_enabled_with_a_sender(database, key):
    client = make_test_app(database, LOYALTY_SMTP_URL="smtp://127.0.0.1:2525").test_client()
    assert client.get("/api/v1/email-settings", headers=auth(key)).json == {
        "enabled": False, "from_address": None, "from_name": None, "locale": "en",
        "kinds": ["points_earned", "reward_issued", "points_expiring", "tier_up", "tier_downgrade_warning"],
        "smtp_configured": True}
    changed = client.patch("/api/v1/email-settings", headers=auth(key), json={
        "enabled": True, "from_address": "rewards@shop.example", "locale": "de",
        "kinds": ["tier_up", "points_earned"]})
    assert changed.status_code == 200, changed.json
    assert (changed.json["enabled"], changed.json["locale"], changed.json["kinds"]) == (
        True, "de", ["points_earned", "tier_up"])
    assert client.get("/api/v1/email-settings", headers=auth(key)).json == changed.json


@pytest.mark.parametrize("body, field", [
    ({"enabled": True}, "from_address"),
    ({"from_address": "not-an-address"}, "from_address"),
    ({"locale": "it"}, "locale"),
    ({"kinds": ["birthday_cake"]}, "kinds"),
    ({"from_name": "Shop\r\nBcc: everyone@example.com"}, "from_name"),
    ({"enabled": "true"}, "enabled"),
])
def test_bad_settings_are_422_naming_the_field(client, key, body, field):
    response = client.patch("/api/v1/email-settings", headers=auth(key), json=body)
    assert response.status_code == 422
    assert field in response.json["error"]["details"]["fields"]


def test_templates_default_to_the_translations_and_can_be_replaced_and_reset(client, key):
    items = client.get("/api/v1/email-templates", headers=auth(key)).json["items"]
    assert len(items) == 20 and not any(item["custom"] for item in items)  # 5 kinds, 4 languages
    assert {item["locale"] for item in items} == {"en", "fr", "de", "es"}
    german = next(i for i in items if (i["kind"], i["locale"]) == ("tier_up", "de"))
    assert german["subject"] == "Willkommen im Status {{ tier_name }} bei {{ shop_name }}"

    put = client.put("/api/v1/email-templates/tier_up/de", headers=auth(key),
                     json={"subject": "Neu: {{ tier_name }}", "text": "Hallo {{ first_name }}"})
    assert put.status_code == 200 and put.json["custom"] is True
    reset = client.delete("/api/v1/email-templates/tier_up/de", headers=auth(key))
    assert reset.json == {**german, "custom": False}


@pytest.mark.parametrize("path, body, status, field", [
    ("points_earned/en", {"subject": "Hi", "text": "{% if %}"}, 422, "text"),
    ("points_earned/en", {"subject": "{{ unclosed", "text": "ok"}, 422, "subject"),
    ("points_earned/en", {"subject": "Hi", "text": "ok", "html": "{% for %}"}, 422, "html"),
    ("points_earned/en", {"text": "ok"}, 422, "subject"),
    ("points_earned/en", {"subject": "Two\nlines", "text": "ok"}, 422, "subject"),
    ("birthday/en", {"subject": "Hi", "text": "ok"}, 404, None),
    ("points_earned/it", {"subject": "Hi", "text": "ok"}, 404, None),
])
def test_bad_templates_are_refused(client, key, path, body, status, field):
    response = client.put(f"/api/v1/email-templates/{path}", headers=auth(key), json=body)
    assert response.status_code == status
    if field:
        assert field in response.json["error"]["details"]["fields"]
