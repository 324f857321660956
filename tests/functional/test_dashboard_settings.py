"""The dashboard's API keys, webhook endpoints with their dead letters, and the settings page
(expiry, referrals, birthdays, emails): saved through the services, refusals next to fields."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from loyalty_plugin.models import (ApiKey, EmailSettings, EventType, ExpiryPolicy, OutboundDelivery,
                                   OutboundStatus, Reward, RewardKind, WebhookEndpoint, utcnow)
from loyalty_plugin.services.api_keys import authenticate
from loyalty_plugin.services.fanout import fan_out
from loyalty_plugin.services.outbox import emit
from tests.dashboard_support import csrf_of, form_token_of, post, shop_with_owner, signed_in_client
from tests.factories import make_shop

KEYS, HOOKS, SETTINGS = "/admin/api-keys", "/admin/webhooks", "/admin/settings"


@pytest.fixture
def shop(session):
    return shop_with_owner(session)


@pytest.fixture
def client(app, shop):
    return signed_in_client(app, shop)


def error_of(html: str, field: str) -> str:
    match = re.search(rf'<p class="error" id="e-{field}">([^<]*)</p>', html)
    assert match, f"no error shown next to {field}"
    return match.group(1)


# API keys

def test_a_key_is_shown_once_works_and_is_revoked(client, session, shop):
    response = post(client, KEYS, {"name": "Zapier", "scope": "read_only",
                                   "form_token": form_token_of(client, KEYS)}, page=KEYS)
    assert response.status_code == 201
    secret = re.search(r"<code>(lk_[^<]+)</code>", response.get_data(as_text=True)).group(1)
    # Not kept in the session cookie, nor shown again.
    assert secret not in (response.headers.get("Set-Cookie") or "")
    listing = client.get(KEYS).get_data(as_text=True)
    assert "Zapier" in listing and secret not in listing and "read only" in listing
    key = authenticate(session, secret)
    assert key is not None and key.shop_id == shop.id and key.scope.value == "read_only"

    assert post(client, f"{KEYS}/{key.id}/revoke", page=KEYS).status_code == 303
    session.expire_all()
    assert authenticate(session, secret) is None


def test_the_last_write_key_is_not_revoked_and_says_why(client, session, shop):
    (only,) = session.execute(select(ApiKey).where(ApiKey.shop_id == shop.id)).scalars()
    response = post(client, f"{KEYS}/{only.id}/revoke", page=KEYS)
    assert response.status_code == 409
    assert "last read-write key" in response.get_data(as_text=True)
    session.refresh(only)
    assert only.revoked_at is None


@pytest.mark.parametrize("form, field", [({"name": "", "scope": "read_only"}, "name"),
                                         ({"name": "x" * 101, "scope": "read_only"}, "name"),
                                         ({"name": "ok", "scope": "admin"}, "scope")])
def test_a_bad_key_form_shows_its_problem_and_creates_nothing(client, session, shop, form, field):
    response = post(client, KEYS, {**form, "form_token": form_token_of(client, KEYS)}, page=KEYS)
    assert response.status_code == 422
    assert error_of(response.get_data(as_text=True), field)
    assert session.execute(select(ApiKey).where(ApiKey.shop_id == shop.id)).scalars().all().__len__() == 1


def test_a_key_form_sent_twice_creates_one_key_and_says_so(client, session, shop):
    form = {"name": "Zapier", "scope": "read_write", "form_token": form_token_of(client, KEYS)}
    first = post(client, KEYS, form, page=KEYS)
    again = post(client, KEYS, {**form, "name": "Zapier again"}, page=KEYS)
    assert first.status_code == 201 and again.status_code == 200
    shown = again.get_data(as_text=True)
    assert "API key already created" in shown and "Zapier (lk_" in shown
    assert "cannot be shown again" in shown and f'href="{KEYS}"' in shown
    assert re.search(r"lk_[A-Za-z0-9_-]{20}", shown) is None  # only the prefix, never the key
    names = session.execute(select(ApiKey.name).where(ApiKey.shop_id == shop.id)).scalars().all()
    assert sorted(names).count("Zapier") == 1 and "Zapier again" not in names
    # The page after a creation carries a fresh token: the next key is a new form.
    assert form_token_of(client, KEYS) != form["form_token"]


def test_a_key_form_without_its_token_creates_nothing(client, session, shop):
    for token in ("", "not-a-token"):
        response = post(client, KEYS, {"name": "Zapier", "scope": "read_only", "form_token": token},
                        page=KEYS)
        assert response.status_code == 400 and "form was incomplete" in response.get_data(as_text=True)
    assert len(session.execute(select(ApiKey).where(ApiKey.shop_id == shop.id)).scalars().all()) == 1


def test_a_refused_key_form_can_be_corrected_and_sent_with_its_token(client, session, shop):
    token = form_token_of(client, KEYS)
    assert post(client, KEYS, {"name": "", "scope": "read_only", "form_token": token},
                page=KEYS).status_code == 422
    assert post(client, KEYS, {"name": "Fixed", "scope": "read_only", "form_token": token},
                page=KEYS).status_code == 201


def test_another_shops_key_cannot_be_revoked_or_seen(client, session):
    other, other_secret = make_shop(session)
    session.commit()
    other_key = authenticate(session, other_secret)
    assert post(client, f"{KEYS}/{other_key.id}/revoke", page=KEYS).status_code == 404
    assert other_key.prefix not in client.get(KEYS).get_data(as_text=True)
    session.refresh(other_key)
    assert other_key.revoked_at is None


# Webhook endpoints and their deliveries

def endpoint_form(**overrides) -> dict:
    return {"url": "https://hooks.shop.example/loyalty", "description": "CRM", "active": "on",
            "event_types": ["points.earned", "tier.changed"], "form_token": "e" * 32, **overrides}


def test_an_endpoint_is_added_with_its_secret_shown_once_changed_rotated_and_deleted(client, session, shop):
    response = post(client, HOOKS, endpoint_form(), page=HOOKS)
    assert response.status_code == 201
    first = re.search(r"<code>(whsec_[^<]+)</code>", response.get_data(as_text=True)).group(1)
    endpoint = session.execute(select(WebhookEndpoint).where(WebhookEndpoint.shop_id == shop.id)).scalar_one()
    assert (endpoint.secret, endpoint.event_types) == (first, ["points.earned", "tier.changed"])
    assert first not in client.get(HOOKS).get_data(as_text=True)

    edit = f"{HOOKS}/{endpoint.id}"
    assert "hooks.shop.example" in client.get(edit).get_data(as_text=True)
    changed = post(client, edit, endpoint_form(event_types=["reward.issued"], active=""), page=edit)
    assert changed.status_code == 303
    session.refresh(endpoint)
    assert (endpoint.event_types, endpoint.active) == (["reward.issued"], False)

    rotated = post(client, f"{edit}/rotate", page=HOOKS)
    second = re.search(r"<code>(whsec_[^<]+)</code>", rotated.get_data(as_text=True)).group(1)
    session.refresh(endpoint)
    assert second != first and endpoint.secret == second

    assert post(client, f"{edit}/delete", page=HOOKS).status_code == 303
    assert session.execute(select(WebhookEndpoint).where(WebhookEndpoint.shop_id == shop.id)).first() is None


def test_an_endpoint_form_sent_twice_adds_one_endpoint_and_says_so(client, session, shop):
    form = endpoint_form(form_token=form_token_of(client, HOOKS))
    first = post(client, HOOKS, form, page=HOOKS)
    again = post(client, HOOKS, form, page=HOOKS)
    assert first.status_code == 201 and again.status_code == 200
    shown = again.get_data(as_text=True)
    assert "webhook endpoint already created" in shown and "https://hooks.shop.example/loyalty" in shown
    assert "signing secret was shown only" in shown and "whsec_" not in shown
    assert f'href="{HOOKS}"' in shown
    assert len(session.execute(select(WebhookEndpoint).where(
        WebhookEndpoint.shop_id == shop.id)).scalars().all()) == 1


def test_a_refused_endpoint_leaves_its_token_for_the_corrected_form(client, session, shop):
    token = form_token_of(client, HOOKS)
    refused = post(client, HOOKS, endpoint_form(url="http://127.0.0.1/hook", form_token=token), page=HOOKS)
    assert refused.status_code == 422 and f'value="{token}"' in refused.get_data(as_text=True)
    assert post(client, HOOKS, endpoint_form(form_token=token), page=HOOKS).status_code == 201
    missing = post(client, HOOKS, endpoint_form(form_token=""), page=HOOKS)
    assert missing.status_code == 400
    assert len(session.execute(select(WebhookEndpoint)).scalars().all()) == 1


@pytest.mark.parametrize("overrides, field", [
    ({"url": "http://127.0.0.1/hook"}, "url"), ({"url": "ftp://x.example/"}, "url"),
    ({"event_types": []}, "event_types"), ({"event_types": ["points.stolen"]}, "event_types"),
    ({"description": "d" * 201}, "description")])
def test_a_bad_endpoint_shows_its_problem_and_saves_nothing(client, session, shop, overrides, field):
    response = post(client, HOOKS, endpoint_form(**overrides), page=HOOKS)
    assert response.status_code == 422
    assert error_of(response.get_data(as_text=True), field)
    assert session.execute(select(WebhookEndpoint)).first() is None


def test_a_dead_delivery_is_listed_and_replayed(client, session, shop):
    endpoint = WebhookEndpoint(shop_id=shop.id, url="https://hooks.shop.example/x", secret="whsec_x",
                               event_types=["points.earned"], active=True, created_at=utcnow(),
                               updated_at=utcnow())
    session.add(endpoint)
    session.flush()
    emit(session, shop.id, EventType.POINTS_EARNED, {"points": 5}, key="e1", now=utcnow())
    fan_out(session, utcnow())
    delivery = session.execute(select(OutboundDelivery).where(OutboundDelivery.shop_id == shop.id)).scalar_one()
    delivery.status, delivery.attempts, delivery.last_status_code = OutboundStatus.DEAD, 8, 503
    session.commit()

    page = client.get(HOOKS).get_data(as_text=True)  # dead letters by default
    assert "points.earned" in page and "HTTP 503" in page
    replay = f"{HOOKS}/deliveries/{delivery.id}/replay"
    assert post(client, replay, {"status": "dead"}, page=HOOKS).status_code == 303
    session.refresh(delivery)
    assert (delivery.status, delivery.attempts) == (OutboundStatus.PENDING, 0)
    # Queued already: refused with a message, nothing changes.
    again = post(client, replay, page=HOOKS)
    assert again.status_code == 303
    assert "still queued" in client.get(HOOKS).get_data(as_text=True)
    # Filtered by channel: the webhook delivery is not an email.
    assert "No pending deliveries." in client.get(f"{HOOKS}?status=pending&channel=email").get_data(as_text=True)


# Settings

def test_expiry_is_saved_and_refused_next_to_its_field(client, session, shop):
    saved = post(client, f"{SETTINGS}/expiry", {"expiry_policy": "inactivity", "expiry_days": "365",
                                                "expiry_warning_days": "14"}, page=SETTINGS)
    assert saved.status_code == 303
    session.refresh(shop.settings)
    assert (shop.settings.expiry_policy, shop.settings.expiry_days) == (ExpiryPolicy.INACTIVITY, 365)
    refused = post(client, f"{SETTINGS}/expiry", {"expiry_policy": "inactivity", "expiry_days": "0",
                                                  "expiry_warning_days": "x"}, page=SETTINGS)
    html = refused.get_data(as_text=True)
    assert refused.status_code == 422 and error_of(html, "expiry_days") and error_of(html, "expiry_warning_days")
    session.refresh(shop.settings)
    assert shop.settings.expiry_days == 365


def test_referrals_with_a_referrer_reward_need_the_reward(client, session, shop):
    reward = Reward(shop_id=shop.id, name="$5 off", kind=RewardKind.FIXED_AMOUNT, points_cost=500, value=5)
    session.add(reward)
    session.commit()
    form = {"referrals_enabled": "on", "referral_points": "250", "referral_limit": "5",
            "referral_limit_days": "365", "welcome_reward_id": str(reward.id), "referrer_reward": "reward",
            "referrer_reward_id": ""}
    refused = post(client, f"{SETTINGS}/referrals", form, page=SETTINGS)
    assert refused.status_code == 422 and "Required" in error_of(refused.get_data(as_text=True),
                                                                 "referrer_reward_id")
    assert post(client, f"{SETTINGS}/referrals", {**form, "referrer_reward_id": str(reward.id)},
                page=SETTINGS).status_code == 303
    session.refresh(shop.settings)
    settings = shop.settings
    assert (settings.referrals_enabled, settings.referral_points, settings.welcome_reward_id,
            settings.referrer_reward_id) == (True, 250, reward.id, reward.id)
    unknown = post(client, f"{SETTINGS}/referrals", {**form, "welcome_reward_id": "999999"}, page=SETTINGS)
    assert unknown.status_code == 422 and error_of(unknown.get_data(as_text=True), "welcome_reward_id")


def test_birthday_points_are_saved_or_refused(client, session, shop):
    assert post(client, f"{SETTINGS}/birthdays", {"birthday_points": "100"}, page=SETTINGS).status_code == 303
    session.refresh(shop.settings)
    assert shop.settings.birthday_points == 100
    refused = post(client, f"{SETTINGS}/birthdays", {"birthday_points": "-5"}, page=SETTINGS)
    assert refused.status_code == 422 and error_of(refused.get_data(as_text=True), "birthday_points")


def test_emails_need_a_sender_before_they_are_enabled(client, session, shop):
    form = {"enabled": "on", "from_address": "", "from_name": "Shop", "locale": "fr",
            "kinds": ["points_earned", "tier_up"]}
    refused = post(client, f"{SETTINGS}/email", form, page=SETTINGS)
    assert refused.status_code == 422 and error_of(refused.get_data(as_text=True), "from_address")
    assert session.get(EmailSettings, shop.id) is None
    assert post(client, f"{SETTINGS}/email", {**form, "from_address": "rewards@shop.example"},
                page=SETTINGS).status_code == 303
    stored = session.get(EmailSettings, shop.id)
    assert (stored.enabled, stored.locale, stored.kinds) == (True, "fr", ["points_earned", "tier_up"])
    page = client.get(SETTINGS).get_data(as_text=True)
    assert 'value="rewards@shop.example"' in page


def test_settings_need_the_form_token(client, session, shop):
    response = client.post(f"{SETTINGS}/birthdays", data={"birthday_points": "100"})
    assert response.status_code == 403
    assert client.post(KEYS, data={"name": "x", "csrf_token": "forged"}).status_code == 403
    session.refresh(shop.settings)
    assert shop.settings.birthday_points == 0


def test_pages_show_only_the_signed_in_shop(app, client, session, shop):
    other, _ = make_shop(session)
    session.add(WebhookEndpoint(shop_id=other.id, url="https://other.example/hook", secret="whsec_o",
                                event_types=["points.earned"], active=True, created_at=utcnow(),
                                updated_at=utcnow()))
    session.commit()
    other_endpoint = session.execute(select(WebhookEndpoint).where(WebhookEndpoint.shop_id == other.id)).scalar_one()
    assert "other.example" not in client.get(HOOKS).get_data(as_text=True)
    assert client.get(f"{HOOKS}/{other_endpoint.id}").status_code == 404
    token = csrf_of(client, HOOKS)
    assert client.post(f"{HOOKS}/{other_endpoint.id}/delete", data={"csrf_token": token}).status_code == 404
    assert client.post(f"{HOOKS}/{other_endpoint.id}/rotate", data={"csrf_token": token}).status_code == 404
    session.refresh(other_endpoint)
    assert other_endpoint.secret == "whsec_o"
