"""The widget JSON API: identity, tenancy, the signed-in and guest views, caching."""
from __future__ import annotations

from typing import Any

import pytest

from loyalty_plugin.models import CodeStatus, RewardKind, ShopStatus, utcnow
from loyalty_plugin.services.accounts import find_by_external_id
from loyalty_plugin.services.orders import apply_order_snapshot
from tests.factories import make_order, make_shop
from tests.widget_factories import make_code, make_reward, make_tier, signed
from widgets.identity import CUSTOMER_HEADER, DIGEST_HEADER, customer_digest


@pytest.fixture
def program(session):
    shop, _ = make_shop(session)
    make_tier(session, shop, "Silver", "200", "1.25", perks=["Early access"])
    gold = make_tier(session, shop, "Gold", "500", "1.5")
    cheap = make_reward(session, shop, name="$5 off", points_cost=300, value="5")
    make_reward(session, shop, name="10% off", kind=RewardKind.PERCENTAGE, points_cost=1000, value="10")
    make_reward(session, shop, name="Gold shipping", kind=RewardKind.FREE_SHIPPING, points_cost=100,
                required_tier_id=gold.id)
    make_reward(session, shop, name="Retired", points_cost=1, active=False)
    apply_order_snapshot(session, shop, make_order("o1", customer_id="c1", items="380"), utcnow())
    account = find_by_external_id(session, shop.id, "c1")
    account.first_name = "Ada"
    make_code(session, shop, account.id, cheap, code="LOY-READY234")
    make_code(session, shop, account.id, cheap, code="LOY-FAILED23", status=CodeStatus.FAILED)
    session.commit()
    return shop


def summary(client, shop, headers=None, **kwargs):
    return client.get(f"/widget/v1/{shop.id}/summary", headers=headers or {}, **kwargs)


def test_signed_in_summary_shows_balance_tier_progress_rewards_codes_and_activity(client, program):
    response = summary(client, program, signed(program, "c1"))

    assert response.status_code == 200
    body = response.json
    assert body["mode"] == "customer"
    assert body["customer"] == {"first_name": "Ada", "available": 380, "pending": 0, "lifetime": 380}
    tier = body["tier"]
    assert tier["current"]["name"] == "Silver" and tier["current"]["perks"] == ["Early access"]
    assert (tier["next"]["name"], tier["remaining"], tier["basis"], tier["percent"]) == (
        "Gold", "120", "points_earned", 76)
    offers = {r["name"]: r for r in body["rewards"]}
    assert set(offers) == {"$5 off", "10% off", "Gold shipping"}
    assert offers["$5 off"]["affordable"] is True and offers["$5 off"]["blocked_by"] is None
    assert (offers["10% off"]["blocked_by"], offers["10% off"]["points_short"]) == ("points", 620)
    assert offers["Gold shipping"]["blocked_by"] == "tier"
    assert [c["code"] for c in body["codes"]] == ["LOY-READY234"]
    assert body["codes"][0]["status"] == "issued" and body["codes"][0]["reward_name"] == "$5 off"
    assert [(a["kind"], a["points"], a["detail"]) for a in body["activity"]] == [
        ("earn", 380, "Order o1")]
    assert body["program"]["currency"] == "USD"
    assert [t["name"] for t in body["program"]["tiers"]] == ["Silver", "Gold"]


def test_signed_in_reads_are_private_vary_by_identity_and_revalidate(client, program):
    response = summary(client, program, signed(program, "c1"))

    assert response.headers["Cache-Control"] == "private, max-age=20"
    assert {"X-Loyalty-Customer", "X-Loyalty-Digest"} <= set(response.vary)
    again = summary(client, program, signed(program, "c1", **{"If-None-Match": response.headers["ETag"]}))
    assert again.status_code == 304


def test_revalidation_matches_weak_tags_and_answers_a_changed_body_in_full(client, program):
    response = summary(client, program, signed(program, "c1"))
    etag = response.headers["ETag"]

    weak = summary(client, program, signed(program, "c1", **{"If-None-Match": f'"other", W/{etag}'}))
    stale = summary(client, program, signed(program, "c1", **{"If-None-Match": '"other"'}))

    assert weak.status_code == 304 and weak.data == b"" and weak.headers["ETag"] == etag
    assert stale.status_code == 200 and stale.json == response.json
    # The server sends the Date header; one from the app would go out beside it.
    assert "Date" not in response.headers


def test_guest_summary_shows_the_program_and_nothing_personal(client, program):
    response = summary(client, program)

    assert response.status_code == 200
    body = response.json
    assert body["mode"] == "guest"
    assert set(body) == {"mode", "program", "rewards"}
    assert [r["name"] for r in body["rewards"]] == ["Gold shipping", "$5 off", "10% off"]
    assert "affordable" not in body["rewards"][0]
    assert response.headers["Cache-Control"] == "public, max-age=300"
    text = response.get_data(as_text=True)
    assert "Ada" not in text and "LOY-READY234" not in text and "380" not in text


@pytest.mark.parametrize("headers", [
    {CUSTOMER_HEADER: "c1"},
    {CUSTOMER_HEADER: "c1", DIGEST_HEADER: "0" * 64},
    {CUSTOMER_HEADER: "c1", DIGEST_HEADER: "not-hex"},
    {CUSTOMER_HEADER: "c2", DIGEST_HEADER: "{c1}"},
    {DIGEST_HEADER: "{c1}"},
    {CUSTOMER_HEADER: "c1" * 40, DIGEST_HEADER: "{c1}"},
], ids=["missing", "wrong", "malformed", "other-customer's", "no-customer", "overlong-id"])
def test_bad_or_missing_digest_is_401_and_never_data(client, program, headers):
    headers = {k: v.replace("{c1}", customer_digest("c1", program.widget_secret)) for k, v in headers.items()}
    for path in ("summary", "estimate?price=10"):
        response = client.get(f"/widget/v1/{program.id}/{path}", headers=headers)
        assert response.status_code == 401
        assert response.json["error"]["code"] == "invalid_signature"
        assert "380" not in response.get_data(as_text=True)
        assert response.headers["Cache-Control"] == "no-store"


def test_digest_is_accepted_in_upper_case_hex(client, program):
    headers = {CUSTOMER_HEADER: "c1", DIGEST_HEADER: customer_digest("c1", program.widget_secret).upper()}
    assert summary(client, program, headers).status_code == 200


def test_a_digest_from_another_shops_secret_is_401(client, session, program):
    other, _ = make_shop(session)
    session.commit()
    headers = {CUSTOMER_HEADER: "c1", DIGEST_HEADER: customer_digest("c1", other.widget_secret)}
    assert summary(client, program, headers).status_code == 401


def test_another_shops_customer_is_404_never_data(client, session, program):
    other, _ = make_shop(session)
    session.commit()
    response = summary(client, other, signed(other, "c1"))

    assert response.status_code == 404
    assert response.json["error"]["code"] == "customer_not_found"
    assert "380" not in response.get_data(as_text=True) and "Ada" not in response.get_data(as_text=True)


@pytest.mark.parametrize("path", ["/widget/v1/999999/summary", "/widget/v1/999999/config",
                                  "/widget/v1/abc/summary", "/widget/v1/999999/redemptions"])
def test_unknown_shop_is_404_json(client, program, path):
    response = client.get(path, headers=signed(program, "c1"))
    assert response.status_code in (404, 405)
    if response.status_code == 404:
        assert response.json["error"]["code"] in ("shop_not_found", "not_found")


def test_uninstalled_shop_is_404(client, session, program):
    program.status = ShopStatus.UNINSTALLED
    session.commit()
    response = summary(client, program, signed(program, "c1"))
    assert response.status_code == 404 and response.json["error"]["code"] == "shop_not_found"


def test_config_carries_theme_messages_and_asset_version(client, program):
    response = client.get(f"/widget/v1/{program.id}/config?lang=fr-CA")

    assert response.status_code == 200
    body = response.json
    assert body["locale"] == "fr" and body["messages"]["launcher"] == "Récompenses"
    assert body["theme"]["primary"] == "#3b5bdb" and body["theme"]["on_primary"] == "#ffffff"
    assert body["theme"]["position"] == "bottom_right" and body["theme"]["launcher_text"] is None
    assert len(body["assets"]["version"]) == 12
    assert body["currency"] == "USD"
    assert response.headers["Cache-Control"] == "public, max-age=300"
    assert client.get(f"/widget/v1/{program.id}/config?lang=xx").json["locale"] == "en"


def test_the_referral_link_is_shown_to_the_signed_in_customer_while_referrals_run(client, session, program):
    assert summary(client, program, signed(program, "c1")).json["referral"] is None  # program off
    assert "referral" not in summary(client, program).json  # a guest has no link
    program.settings.referrals_enabled = True
    session.commit()
    first = summary(client, program, signed(program, "c1")).json["referral"]
    session.expire_all()
    code = find_by_external_id(session, program.id, "c1").referral_code
    assert first == {"code": code, "link": f"https://{program.domain}/?ref={code}"}
    # Drawn once and kept: the same link on every later look, the same as the admin API's.
    assert summary(client, program, signed(program, "c1")).json["referral"] == first


def _statement_verbs(engine, request) -> tuple[Any, list[str]]:
    """``request()``'s result and the first word of every statement it ran."""
    from sqlalchemy import event

    verbs: list[str] = []

    def record(_conn, _cursor, statement, *_args):
        verbs.append(statement.lstrip().split(None, 1)[0].upper())

    event.listen(engine, "before_cursor_execute", record)
    try:
        return request(), verbs
    finally:
        event.remove(engine, "before_cursor_execute", record)


# Only reads (the test's savepoint around the request aside): no UPDATE, no INSERT.
READS_ONLY = {"SELECT", "SAVEPOINT", "ROLLBACK", "RELEASE"}


def test_a_customer_with_a_referral_code_is_read_without_a_write(client, session, engine, program):
    program.settings.referrals_enabled = True
    session.commit()
    first = summary(client, program, signed(program, "c1")).json["referral"]  # draws the code
    again, verbs = _statement_verbs(
        engine, lambda: summary(client, program, signed(program, "c1")).json["referral"])
    assert again == first
    assert "SELECT" in verbs and set(verbs) <= READS_ONLY

