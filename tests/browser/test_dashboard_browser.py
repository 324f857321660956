"""The shop owner's dashboard in headless Chromium: sign-in, the overview, a customer."""
from __future__ import annotations

import pytest

from loyalty_plugin.db import get_db
from loyalty_plugin.models import utcnow
from loyalty_plugin.services.accounts import find_by_external_id
from loyalty_plugin.services.dashboard_users import create_user
from loyalty_plugin.services.shops import get_shop

EMAIL = "owner@demo.example"
PASSWORD = "browser test password"


@pytest.fixture(scope="module")
def owner(site):
    with site.app.app_context(), get_db(site.app).transaction() as session:
        create_user(session, get_shop(session, site.demo.shop_id), EMAIL, PASSWORD, utcnow())
        ada = find_by_external_id(session, site.demo.shop_id, site.demo.customer_id)
        return {"account_id": ada.id, "available": ada.available}


def sign_in(page, site):
    page.goto(f"{site.api}/admin/customers")
    assert "/admin/sign-in" in page.url
    page.fill("#f-shop", str(site.demo.shop_id))
    page.fill("#f-email", EMAIL)
    page.fill("#f-password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{site.api}/admin/customers")


def test_a_wrong_password_stays_on_the_sign_in_page(page, site, owner):
    page.goto(f"{site.api}/admin/sign-in")
    page.fill("#f-shop", str(site.demo.shop_id))
    page.fill("#f-email", EMAIL)
    page.fill("#f-password", "not the password")
    page.click("button[type=submit]")
    assert "The shop, email or password is wrong." in page.inner_text("main")
    assert page.errors == []


def test_sign_in_leads_back_to_the_page_asked_for_and_sign_out_ends_it(page, site, owner):
    sign_in(page, site)
    assert "Ada" in page.inner_text("table.data")
    page.click("text=Sign out")
    page.wait_for_url(f"{site.api}/admin/sign-in")
    page.goto(f"{site.api}/admin/")
    assert "/admin/sign-in" in page.url


def test_overview_chart_labels_carry_the_numbers(page, site, owner):
    sign_in(page, site)
    page.goto(f"{site.api}/admin/")
    issued = int(page.inner_text("#issued"))
    assert issued > 0
    bars = page.evaluate("""() => Array.from(document.querySelectorAll('#points-chart rect.bar-issued'))
        .map((r) => [r.getAttribute('aria-label'), r.getBoundingClientRect().height])""")
    assert len(bars) == 30  # one a day
    numbers = [int(label.rsplit(": ", 1)[1]) for label, _ in bars]
    assert sum(numbers) == issued
    # The tallest bar is the day with the most points, and every day with points shows one.
    assert all((height > 0) == (number > 0) for (_, height), number in zip(bars, numbers))
    tallest = max(range(len(bars)), key=lambda n: bars[n][1])
    assert numbers[tallest] == max(numbers)
    assert page.locator("#points-chart svg[role=img]").is_visible()
    assert page.evaluate("() => window.__cspViolations") == [] and page.errors == []


def test_an_adjustment_made_in_the_form_appears_on_the_customer_page(page, site, owner):
    sign_in(page, site)
    page.goto(f"{site.api}/admin/customers/{owner['account_id']}")
    before = int(page.inner_text("#available"))
    page.fill("#f-points", "25")
    page.fill("#f-reason", "Thanks for the review")
    page.click("form.inline-form button[type=submit]")
    page.wait_for_selector("text=Adjusted by +25 points.")
    assert int(page.inner_text("#available")) == before + 25
    newest = page.locator("#ledger tbody tr").first.inner_text()
    assert "Manual adjustment" in newest and "+25" in newest
    assert f"Thanks for the review. By {EMAIL}." in newest
    # The same form sent twice (a double click, a retried request) adjusts once.
    page.fill("#f-points", "7")
    page.fill("#f-reason", "Sent twice")
    statuses = page.evaluate("""async () => {
        const form = document.querySelector('form.inline-form');
        const send = () => fetch(form.action, {method: 'POST', body: new FormData(form), redirect: 'manual'});
        const answers = await Promise.all([send(), send()]);
        return answers.map((a) => a.type === 'opaqueredirect' ? 303 : a.status);
    }""")
    assert statuses == [303, 303]
    page.reload()
    assert int(page.inner_text("#available")) == before + 32
    assert page.evaluate("() => window.__cspViolations") == [] and page.errors == []


def test_the_program_editor_previews_the_storefront_widget(page, site, owner):
    sign_in(page, site)
    page.goto(f"{site.api}/admin/program")
    frame = page.frame_locator("#preview")
    frame.locator(".lw-launcher").wait_for(state="visible", timeout=10_000)
    frame.locator(".lw-launcher").click()
    frame.locator(".lw-panel").wait_for(state="visible")
    assert page.errors == []


def test_the_preview_shows_a_picked_customers_signed_in_panel(page, site, owner):
    sign_in(page, site)
    page.goto(f"{site.api}/admin/program")
    page.fill("#preview_q", site.demo.customer_id)
    page.click("#preview-search button[type=submit]")
    page.click("#preview-matches a")
    frame = page.frame_locator("#preview")
    frame.locator(".lw-launcher").wait_for(state="visible", timeout=10_000)
    frame.locator(".lw-launcher").click()
    frame.locator(".lw-balance").wait_for(state="visible")
    assert "Ada" in frame.locator(".lw-greeting").inner_text()
    assert frame.locator(".lw-balance .lw-big").first.inner_text().replace(",", "").isdigit()
    assert page.evaluate("() => window.__cspViolations") == [] and page.errors == []
