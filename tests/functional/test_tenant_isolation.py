"""Another shop's key or dashboard user never reaches a shop's objects: every /api/v1 and
/admin route, from the URL map.

Each route is called with shop B's key against shop A's ids; a write sends its documented
body example, so the request passes validation and reaches the lookup. New routes are
picked up on their own; one with a path argument this test cannot fill fails until a
victim object for it is added to ``victim_ids``.
"""
from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from sqlalchemy import select

from loyalty_plugin.api.openapi import PREFIX, openapi_path
from loyalty_plugin.models import (ApiKey, CodeStatus, CustomerAccount, EmailTemplate, ImportBatch, ImportStatus,
                                   InboundDelivery, OutboundDelivery, OutboundEvent, RewardCode,
                                   RewardKind, Shop, utcnow)
from loyalty_plugin.services.email_settings import put_template
from loyalty_plugin.services.fanout import fan_out
from tests.dashboard_support import csrf_of, dashboard_client, make_user, sign_in
from tests.factories import make_shop, post_shopify, shopify_order

MARKER = "victimmarker"
# Path arguments that name no object of a shop: the caller's own shop is meant.
SHOP_WIDE = {"kind", "locale"}
_ARGUMENT = re.compile(r"<(?:\w+(?:\([^)]*\))?:)?(\w+)>")


def auth(key: str) -> dict:
    return {"Authorization": f"Bearer {key}"}


@pytest.fixture
def victim(client, session):
    shop, key = make_shop(session, referrals_enabled=True)
    session.commit()
    assert post_shopify(client, shop, "orders/paid", shopify_order(
        customer_id=777001, email=f"{MARKER}@example.com"), webhook_id=f"{MARKER}-1").status_code == 200
    write = {"headers": auth(key)}
    tier = client.post("/api/v1/tiers", json={"name": f"{MARKER} tier", "threshold": "50"}, **write)
    endpoint = client.post("/api/v1/webhook-endpoints", json={
        "url": f"https://{MARKER}.example.com/hook", "event_types": ["points.earned"]}, **write)
    code = client.get("/api/v1/customers/777001/referral", **write).json["code"]
    referral = client.post("/api/v1/referrals", json={
        "referral_code": code, "friend": {"email": f"friend-{MARKER}@example.com"}}, **write)
    client.post("/api/v1/api-keys", json={"name": f"{MARKER} key"}, **write)
    reward = client.post("/api/v1/rewards", json={"name": f"{MARKER} reward", "kind": "fixed_amount",
                                                  "points_cost": 10, "value": "1.00"}, **write)
    assert {tier.status_code, endpoint.status_code, referral.status_code,
            reward.status_code} == {201}, (referral.json, reward.json)
    account = session.execute(select(CustomerAccount).where(
        CustomerAccount.shop_id == shop.id, CustomerAccount.platform_customer_id == "777001")).scalar_one()
    session.add(RewardCode(shop_id=shop.id, account_id=account.id, reward_id=reward.json["id"],
                           code="ISOLATED-7Q2M", status=CodeStatus.ISSUED, kind=RewardKind.FIXED_AMOUNT,
                           value=Decimal("1.00"), points_spent=10, provider="native",
                           expires_at=utcnow() + dt.timedelta(days=30), created_at=utcnow()))
    post_shopify(client, shop, "orders/paid", shopify_order(customer_id=777001), webhook_id="again")
    fan_out(session, utcnow())
    session.commit()
    ids = {
        "external_id": "777001",
        "reward_id": reward.json["id"],
        "code": "ISOLATED-7Q2M",  # echoed in 404 messages: no marker in it
        "tier_id": tier.json["id"],
        "endpoint_id": endpoint.json["id"],
        "referral_id": referral.json["id"],
        "key_id": session.execute(select(ApiKey.id).where(ApiKey.shop_id == shop.id)).scalars().first(),
        "row_id": session.execute(select(InboundDelivery.id).where(
            InboundDelivery.shop_id == shop.id)).scalars().first(),
        "delivery_id": session.execute(select(OutboundDelivery.id).join(OutboundEvent).where(
            OutboundEvent.shop_id == shop.id)).scalars().first(),
    }
    assert all(ids.values()), ids
    return key, ids


@pytest.fixture
def intruder(session):
    _, key = make_shop(session)
    session.commit()
    return key


def api_rules(app):
    return [rule for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule)
            if rule.rule.startswith(PREFIX)]


def snapshot(client, key: str, app) -> dict:
    """Everything shop A's own key can read, to prove nothing changed."""
    return {rule.rule: client.get(rule.rule, headers=auth(key)).get_data(as_text=True)
            for rule in api_rules(app) if not rule.arguments and "GET" in rule.methods}


def test_every_route_with_an_id_answers_404_to_another_shop(app, client, victim, intruder):
    victim_key, ids = victim
    spec = client.get("/api/v1/openapi.json").json
    before = snapshot(client, victim_key, app)
    checked = 0
    for rule in api_rules(app):
        names = set(_ARGUMENT.findall(rule.rule))
        if not names or names <= SHOP_WIDE:
            continue
        unknown = names - ids.keys() - SHOP_WIDE
        assert not unknown, f"{rule.rule}: add a victim object for {sorted(unknown)} to victim_ids"
        path = _ARGUMENT.sub(lambda m: str(ids[m[1]]), rule.rule)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            operation = spec["paths"][openapi_path(rule)][method.lower()]
            body = operation.get("requestBody", {}).get("content", {}).get("application/json", {})
            response = client.open(path, method=method, json=body.get("example", {}),
                                   headers=auth(intruder))
            assert response.status_code == 404, (method, path, response.status_code, response.json)
            assert set(response.json) == {"error"} and MARKER not in response.get_data(as_text=True)
            checked += 1
    assert checked >= 20
    assert snapshot(client, victim_key, app) == before


def test_lists_and_settings_show_only_the_callers_shop(app, client, victim, intruder):
    victim_key, _ = victim
    for rule in api_rules(app):
        if rule.arguments or "GET" not in rule.methods:
            continue
        mine = client.get(rule.rule, headers=auth(intruder))
        assert mine.status_code == 200, (rule.rule, mine.status_code)
        assert MARKER not in mine.get_data(as_text=True), rule.rule
    own = client.get("/api/v1/customers", headers=auth(victim_key)).get_data(as_text=True)
    assert MARKER in own  # the marker would show, were it leaked


# --------------------------------------------------------------------------- the dashboard

DASHBOARD = "/admin"
# Routes a visitor reaches before signing in: they name no shop's object.
DASHBOARD_PUBLIC = {"/admin/sign-in", "/admin/link/<token>", "/admin/static/<path:filename>"}
# Arguments that name what every shop has (an email's kind and language), not one shop's object.
SHOP_WIDE_ARGUMENTS = {"kind", "locale"}


def dashboard_rules(app):
    return [rule for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule)
            if rule.rule.startswith(DASHBOARD) and rule.rule not in DASHBOARD_PUBLIC]


@pytest.fixture
def dashboard_victim(app, session, victim):
    """Shop A's objects as the dashboard names them, plus an import batch and a dashboard user."""
    _, ids = victim
    account = session.execute(select(CustomerAccount).where(
        CustomerAccount.platform_customer_id == ids["external_id"])).scalar_one()
    make_user(session, session.get(Shop, account.shop_id), email=f"{MARKER}@example.com")
    batch = ImportBatch(shop_id=account.shop_id, status=ImportStatus.APPLIED, filename=f"{MARKER}.csv",
                        file_sha256="0" * 64)
    session.add(batch)
    session.commit()
    return {**ids, "account_id": account.id, "batch_id": batch.id}


@pytest.fixture
def intruder_browser(app, session):
    shop, _ = make_shop(session)
    make_user(session, shop, email="intruder@example.com")
    browser = dashboard_client(app)
    sign_in(browser, shop, email="intruder@example.com")
    return browser


def test_every_dashboard_route_with_an_id_is_404_to_another_shops_user(app, dashboard_victim,
                                                                       intruder_browser):
    checked = 0
    for rule in dashboard_rules(app):
        names = set(_ARGUMENT.findall(rule.rule))
        if not names or names <= SHOP_WIDE_ARGUMENTS:
            continue
        unknown = names - dashboard_victim.keys()
        assert not unknown, f"{rule.rule}: add a victim object for {sorted(unknown)}"
        path = _ARGUMENT.sub(lambda m: str(dashboard_victim[m[1]]), rule.rule)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            data = {"csrf_token": csrf_of(intruder_browser, "/admin/"), "points": "5", "reason": "x",
                    "form_token": "b" * 32, "name": "x", "threshold": "1", "kind": "fixed_amount",
                    "points_cost": "1", "value": "1"} if method == "POST" else None
            response = intruder_browser.open(path, method=method, data=data)
            assert response.status_code == 404, (method, path, response.status_code)
            assert MARKER not in response.get_data(as_text=True)
            checked += 1
    assert checked >= 10


def test_the_email_editor_shows_and_resets_only_the_signed_in_users_shop(app, session, dashboard_victim,
                                                                         intruder_browser):
    account = session.get(CustomerAccount, dashboard_victim["account_id"])
    put_template(session, account.shop_id, "points_earned", "en",
                 {"subject": f"{MARKER} subject", "text": f"{MARKER} text"}, utcnow())
    session.commit()
    path = "/admin/settings/emails/points_earned/en"
    page = intruder_browser.get(path)
    assert page.status_code == 200 and MARKER not in page.get_data(as_text=True)
    reset = intruder_browser.post(path + "/reset", data={"csrf_token": csrf_of(intruder_browser, path)})
    assert reset.status_code == 303
    session.expire_all()
    assert session.execute(select(EmailTemplate.subject).where(
        EmailTemplate.shop_id == account.shop_id)).scalars().all() == [f"{MARKER} subject"]


def test_dashboard_pages_show_only_the_signed_in_users_shop(app, dashboard_victim, intruder_browser):
    for rule in dashboard_rules(app):
        if rule.arguments or "GET" not in rule.methods:
            continue
        page = intruder_browser.get(rule.rule)
        assert page.status_code in (200, 308), (rule.rule, page.status_code)
        assert MARKER not in page.get_data(as_text=True), rule.rule
