"""Every dashboard route, signed in, with real ids, garbage ids, garbage query strings and
garbage forms (carrying a valid CSRF token): never a 500, always a 4xx HTML or JSON error
page when refused. Routes added later are crawled without touching this file."""
from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from sqlalchemy import select

from loyalty_plugin.models import CustomerAccount, Reward, RewardKind, WebhookEndpoint, utcnow
from loyalty_plugin.services import tier_catalog
from loyalty_plugin.services.orders import apply_order_snapshot
from tests.dashboard_support import csrf_of, dashboard_client, make_user, sign_in
from tests.factories import make_order, make_shop

GARBAGE = ["-1", "0", "99999999999999999999999", "abc", "1.5", "é" * 3, "💥", "x" * 5000,
           "<script>alert(1)</script>", " ", "true", "2026-13-45", "//evil.example/"]
GARBAGE_IDS = ["0", "-1", "99999999999999999999999", "abc", "%C3%A9", "1e3", "%F0%9F%92%A5"]
# The query parameters any dashboard page reads.
QUERY_NAMES = ["cursor", "limit", "q", "status", "topic", "channel", "from", "to", "bucket",
               "customer", "preview_q", "next"]
TEMPLATES = Path(__file__).parents[2] / "loyalty_plugin" / "dashboard" / "templates"
SKIPPED = {"dashboard.static", "dashboard.auth.sign_out"}  # sign-out has its own tests


def form_field_names() -> list[str]:
    """Every field name any dashboard form sends."""
    names = set()
    for template in TEMPLATES.rglob("*.html"):
        names.update(re.findall(r'name="([a-z_]+)"', template.read_text()))
    names.update(re.findall(r'field\([a-z_]+, "([a-z_]+)"', "".join(
        t.read_text() for t in TEMPLATES.rglob("*.html"))))
    names.update(re.findall(r'select\([a-z_]+, "([a-z_]+)"', "".join(
        t.read_text() for t in TEMPLATES.rglob("*.html"))))
    return sorted(names - {"csrf_token"})


@pytest.fixture
def seeded(app, session):
    shop, _ = make_shop(session)
    make_user(session, shop)
    apply_order_snapshot(session, shop, make_order("o1", customer_id="c1", items="42"), utcnow())
    tier = tier_catalog.create_tier(session, shop, {"name": "Gold", "threshold": 100}, utcnow())
    reward = Reward(shop_id=shop.id, name="$5 off", kind=RewardKind.FIXED_AMOUNT, points_cost=500,
                    value=5)
    session.add(reward)
    endpoint = WebhookEndpoint(shop_id=shop.id, url="https://hooks.shop.example/x", secret="whsec_x",
                               event_types=["points.earned"], active=True, created_at=utcnow(),
                               updated_at=utcnow())
    session.add(endpoint)
    session.commit()
    account = session.execute(select(CustomerAccount).where(CustomerAccount.shop_id == shop.id)).scalar_one()
    client = dashboard_client(app)
    sign_in(client, shop)
    ids = {"account_id": str(account.id), "tier_id": str(tier.id), "reward_id": str(reward.id),
           "endpoint_id": str(endpoint.id)}
    return client, ids


def admin_rules(app, method: str):
    return [rule for rule in app.url_map.iter_rules()
            if rule.rule.startswith("/admin") and method in rule.methods and rule.endpoint not in SKIPPED]


def paths(rule, ids: dict[str, str]) -> list[str]:
    """The rule with real ids (1 for ids nothing seeds), then with each garbage id."""
    if not rule.arguments:
        return [rule.rule]
    real = re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", lambda m: ids.get(m.group(1), "1"), rule.rule)
    return [real] + [re.sub(r"<[^>]+>", garbage, rule.rule) for garbage in GARBAGE_IDS]


def assert_answered(response, what) -> int:
    assert response.status_code < 500, (what, response.status_code, response.get_data(as_text=True)[:500])
    if response.status_code >= 400:
        if response.is_json:
            assert "error" in response.json and response.json["error"]["code"], what
        else:
            assert response.mimetype == "text/html", (what, response.mimetype)
            assert "<html" in response.get_data(as_text=True), what
    if response.status_code in (301, 302, 303, 307, 308):
        location = response.headers["Location"]
        assert location.startswith("/admin") or location.startswith("https://loyalty.example.test/admin"), \
            (what, location)
    return response.status_code


def test_every_get_route_answers_garbage_with_a_page_never_a_500(app, seeded):
    client, ids = seeded
    for rule in admin_rules(app, "GET"):
        real, *garbage_paths = paths(rule, ids)
        for path in garbage_paths:
            assert_answered(client.get(path), path)
        assert_answered(client.get(real), real)
        for value in GARBAGE:
            everything = {name: value for name in QUERY_NAMES}
            assert_answered(client.get(real, query_string=everything), (real, value))
            assert_answered(client.get(real, query_string=everything,
                                       headers={"Accept": "application/json"}), (real, value))
        for name in QUERY_NAMES:
            for value in ("-1", "99999999999999999999999", "abc", "x" * 5000):
                assert_answered(client.get(real, query_string={name: value}), (real, name, value))
    assert client.get("/admin/").status_code == 200  # still signed in


def test_every_post_route_answers_garbage_forms_with_a_page_never_a_500(app, seeded):
    client, ids = seeded
    token = csrf_of(client, "/admin/")
    names = form_field_names()
    assert {"points", "reason", "name", "threshold"} <= set(names)
    whole_forms = [{}] + [{name: value for name in names} for value in GARBAGE]
    one_field = [{name: "x" * 5000} for name in names]
    statuses = set()
    for rule in admin_rules(app, "POST"):
        real, *garbage_paths = paths(rule, ids)
        for path in garbage_paths:
            for form in whole_forms[:2]:
                assert_answered(client.post(path, data={**form, "csrf_token": token}), (path, form))
        for form in whole_forms:
            for accept in ("text/html", "application/json"):
                response = client.post(real, data={**form, "csrf_token": token}, headers={"Accept": accept})
                statuses.add(assert_answered(response, (real, form, accept)))
        for form in one_field:
            statuses.add(assert_answered(client.post(real, data={**form, "csrf_token": token}), (real, form)))
    # The forms got past the CSRF check to their validation (and some garbage is acceptable).
    assert {303, 400, 404, 422} <= statuses
    assert client.get("/admin/").status_code == 200


def test_garbage_uploads_are_refused_with_a_page(app, seeded):
    client, _ = seeded
    token = csrf_of(client, "/admin/")
    for content, filename in ((b"", "empty.csv"), (b"\xff\xfe\x00\x00binary", "x.csv"),
                              (b"external_id,email\n" + b"x" * 100_000 + b"\n", "x" * 1000 + ".csv"),
                              (b"a,b\n1,2\n", "é💥.csv")):
        response = client.post("/admin/import", data={"csrf_token": token,
                                                      "file": (io.BytesIO(content), filename)},
                               content_type="multipart/form-data")
        assert_answered(response, filename[:20])
