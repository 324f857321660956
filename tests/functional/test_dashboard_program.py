"""The program editor: tiers, the tier program and rewards, with field errors; the preview."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from loyalty_plugin.dashboard.program import PREVIEW_POLICY
from loyalty_plugin.models import CustomerAccount, Reward, Tier, utcnow
from loyalty_plugin.rules.identity import customer_digest
from loyalty_plugin.services.orders import apply_order_snapshot
from tests.dashboard_support import dashboard_client, post, shop_with_owner, signed_in_client
from tests.factories import make_order, make_shop

PROGRAM = "/admin/program"


@pytest.fixture
def shop(session):
    return shop_with_owner(session)


@pytest.fixture
def client(app, shop):
    return signed_in_client(app, shop)


def tier_form(**overrides) -> dict:
    return {"name": "Gold", "threshold": "500", "multiplier": "1.5", "entry_bonus_points": "50",
            "entry_reward_id": "", "perks": "Free shipping\nEarly access", **overrides}


def reward_form(**overrides) -> dict:
    return {"name": "$5 off", "kind": "fixed_amount", "points_cost": "500", "value": "5.00",
            "min_order_subtotal": "0", "validity_days": "30", "min_points": "", "max_points": "",
            "product_variant_id": "", "required_tier_id": "", "per_customer_limit": "",
            "description": "", "active": "on", **overrides}


def test_program_page_shows_forms_and_the_preview(client):
    page = client.get(PROGRAM).get_data(as_text=True)
    assert 'id="preview"' in page and "/admin/program/preview" in page
    preview = client.get("/admin/program/preview")
    assert preview.status_code == 200
    html = preview.get_data(as_text=True)
    assert 'src="/widget/loader.js"' in html and "data-shop=" in html
    assert "script-src 'self'" in preview.headers["Content-Security-Policy"]
    assert "frame-ancestors 'self'" in preview.headers["Content-Security-Policy"]


def test_a_tier_is_created_edited_and_archived(client, session, shop):
    assert post(client, f"{PROGRAM}/tiers", tier_form(), page=PROGRAM).status_code == 303
    tier = session.execute(select(Tier).where(Tier.shop_id == shop.id)).scalar_one()
    assert (tier.name, str(tier.multiplier), tier.perks) == ("Gold", "1.5000", ["Free shipping", "Early access"])
    edit = f"{PROGRAM}/tiers/{tier.id}"
    assert 'value="Gold"' in client.get(edit).get_data(as_text=True)
    assert post(client, edit, tier_form(multiplier="2"), page=edit).status_code == 303
    session.refresh(tier)
    assert str(tier.multiplier) == "2.0000"
    assert post(client, f"{edit}/archive", page=PROGRAM).status_code == 303
    session.refresh(tier)
    assert tier.archived_at is not None


@pytest.mark.parametrize("overrides, field_error", [
    ({"name": ""}, "Missing data for required field."),
    ({"threshold": "lots"}, "Not a valid number."),
    ({"multiplier": "0"}, "Must be greater than 0"),
    ({"entry_bonus_points": "1.5"}, "Must be a whole number."),
    ({"entry_reward_id": "999"}, "No reward with id 999 in this shop."),
])
def test_a_bad_tier_shows_the_problem_next_to_its_field(client, session, shop, overrides, field_error):
    response = post(client, f"{PROGRAM}/tiers", tier_form(**overrides), page=PROGRAM)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert field_error in page and 'aria-invalid="true"' in page
    assert session.execute(select(Tier).where(Tier.shop_id == shop.id)).first() is None


def test_a_clashing_tier_is_refused_next_to_its_field(client, session, shop):
    post(client, f"{PROGRAM}/tiers", tier_form(), page=PROGRAM)
    response = post(client, f"{PROGRAM}/tiers", tier_form(name="gold", threshold="900"), page=PROGRAM)
    assert response.status_code == 422 and "A tier named &#39;gold&#39; exists already." in response.get_data(as_text=True)


def test_the_tier_program_is_saved_or_refused(client, session, shop):
    form = {"tier_basis": "amount_spent", "tier_window": "calendar_year", "tier_downgrade": "requalify",
            "tier_grace_days": "30"}
    ok = post(client, f"{PROGRAM}/tier-program", form, page=PROGRAM)
    assert ok.status_code == 303, ok.get_data(as_text=True)
    session.refresh(shop.settings)
    assert shop.settings.tier_grace_days == 30
    bad = post(client, "/admin/program/tier-program", {**form, "tier_basis": "vibes"}, page=PROGRAM)
    assert bad.status_code == 422 and "Must be one of" in bad.get_data(as_text=True)


def test_a_reward_is_created_deactivated_and_archived(client, session, shop):
    assert post(client, f"{PROGRAM}/rewards", reward_form(), page=PROGRAM).status_code == 303
    reward = session.execute(select(Reward).where(Reward.shop_id == shop.id)).scalar_one()
    edit = f"{PROGRAM}/rewards/{reward.id}"
    form = reward_form()
    del form["active"]  # an unticked box is not sent
    assert post(client, edit, form, page=edit).status_code == 303
    session.refresh(reward)
    assert reward.active is False
    assert post(client, f"{edit}/archive", page=PROGRAM).status_code == 303
    session.refresh(reward)
    assert reward.archived_at is not None
    archived = post(client, edit, reward_form(), page=edit)
    assert archived.status_code == 422 and "archived" in archived.get_data(as_text=True)


@pytest.mark.parametrize("overrides, field_error", [
    ({"kind": "percentage", "value": "150"}, "A percentage cannot be above 100."),
    ({"points_cost": ""}, "Missing data for required field."),
    ({"points_cost": "-5"}, "Must be greater than or equal to 1"),
    ({"kind": "free_product"}, "A free_product reward needs the platform&#39;s variant id."),
    ({"kind": "spaceship"}, "Must be one of"),
])
def test_a_bad_reward_shows_the_problem_and_saves_nothing(client, session, shop, overrides, field_error):
    response = post(client, f"{PROGRAM}/rewards", reward_form(**overrides), page=PROGRAM)
    assert response.status_code == 422
    assert field_error in response.get_data(as_text=True)
    assert session.execute(select(Reward).where(Reward.shop_id == shop.id)).first() is None


def test_unknown_tiers_and_rewards_are_404_pages(client):
    for path in (f"{PROGRAM}/tiers/424242", f"{PROGRAM}/rewards/424242"):
        response = client.get(path)
        assert response.status_code == 404 and "<h1>Not found</h1>" in response.get_data(as_text=True)


def rules_form(**overrides) -> dict:
    return {"points_per_unit": "2", "rounding": "half_up", "min_order_amount": "10",
            "award_on": "paid", "pending_days": "14", "signup_bonus_points": "50",
            "negative_balance": "clamp", "timezone": "Europe/Paris", "include_shipping": "on",
            "skip_test_orders": "on", **overrides}


def test_earning_rules_are_saved_with_a_new_rules_version(client, session, shop):
    assert 'value="1"' in client.get(PROGRAM).get_data(as_text=True)  # one point per unit now
    response = post(client, f"{PROGRAM}/earning", rules_form(), page=PROGRAM)
    assert response.status_code == 303
    session.refresh(shop)
    session.refresh(shop.settings)
    settings = shop.settings
    assert (str(settings.points_per_unit), settings.pending_days, settings.include_shipping,
            settings.include_taxes, shop.timezone, settings.rule_version) == (
        "2.0000", 14, True, False, "Europe/Paris", 2)
    assert "Earning rules saved (version 2)." in client.get(PROGRAM).get_data(as_text=True)


@pytest.mark.parametrize("overrides, field_error", [
    ({"points_per_unit": "0"}, "Must be greater than 0 and less than or equal to 10000."),
    ({"pending_days": "many"}, "Must be a whole number."),
    ({"timezone": "Mars/Olympus"}, "Must be an IANA time zone name such as Europe/Paris."),
    ({"rounding": "sideways"}, "Must be one of: floor, half_up, ceil."),
])
def test_bad_earning_rules_change_nothing(client, session, shop, overrides, field_error):
    response = post(client, f"{PROGRAM}/earning", rules_form(**overrides), page=PROGRAM)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert f'<p class="error" id="e-{next(iter(overrides))}">{field_error}</p>' in page
    session.refresh(shop.settings)
    assert shop.settings.rule_version == 1 and shop.settings.pending_days == 0


def test_the_preview_shows_a_picked_customer_signed_in_without_the_secret(app, client, session, shop):
    apply_order_snapshot(session, shop, make_order("p1", customer_id="c-77", email="ann@example.com",
                                                   items="30"), utcnow())
    apply_order_snapshot(session, shop, make_order("p2", customer_id=None, email="guest@example.com",
                                                   items="5"), utcnow())
    session.commit()
    ann = session.execute(select(CustomerAccount).where(CustomerAccount.platform_customer_id == "c-77")).scalar_one()
    guest = session.execute(select(CustomerAccount).where(CustomerAccount.email == "guest@example.com")).scalar_one()

    found = client.get(PROGRAM, query_string={"preview_q": "ann@"}).get_data(as_text=True)
    assert f'href="/admin/program?customer={ann.id}#preview"' in found
    picked = client.get(PROGRAM, query_string={"customer": ann.id}).get_data(as_text=True)
    assert f'src="/admin/program/preview?customer={ann.id}"' in picked and "Actions in it are real" in picked

    preview = client.get("/admin/program/preview", query_string={"customer": ann.id})
    html = preview.get_data(as_text=True)
    digest = customer_digest("c-77", shop.widget_secret)
    assert f'data-customer-id="c-77" data-customer-digest="{digest}"' in html
    assert shop.widget_secret not in html and shop.widget_secret not in str(preview.headers)
    assert preview.headers["Content-Security-Policy"] == PREVIEW_POLICY
    assert preview.headers["Cache-Control"] == "no-store" and preview.headers["Referrer-Policy"] == "no-referrer"
    # The digest is the one the storefront widget API accepts for that customer.
    widget = app.test_client().get(f"/widget/v1/{shop.id}/summary", headers={
        "X-Loyalty-Customer": "c-77", "X-Loyalty-Digest": digest})
    assert widget.status_code == 200, widget.get_data(as_text=True)

    assert client.get("/admin/program/preview", query_string={"customer": guest.id}).status_code == 422
    assert client.get("/admin/program/preview", query_string={"customer": "x"}).status_code == 400


def test_only_a_signed_in_owner_of_the_shop_can_preview_its_customers(app, client, session, shop):
    other, _ = make_shop(session)
    apply_order_snapshot(session, other, make_order("q1", customer_id="c-88", items="30"), utcnow())
    session.commit()
    theirs = session.execute(select(CustomerAccount).where(CustomerAccount.shop_id == other.id)).scalar_one()
    refused = client.get("/admin/program/preview", query_string={"customer": theirs.id})
    assert refused.status_code == 404
    assert customer_digest("c-88", other.widget_secret) not in refused.get_data(as_text=True)
    assert client.get(PROGRAM, query_string={"customer": theirs.id}).status_code == 404
    assert "No customer matches." in client.get(PROGRAM, query_string={"preview_q": "c-88"}).get_data(as_text=True)
    stranger = dashboard_client(app)
    answer = stranger.get("/admin/program/preview", query_string={"customer": theirs.id})
    assert answer.status_code == 302 and "data-customer-digest" not in answer.get_data(as_text=True)
