"""The widget in headless Chromium, on a storefront page of another origin under a strict CSP."""
from __future__ import annotations

import re

from tests.browser.conftest import HOSTILE_CUSTOMER, HOSTILE_NAME, REDEEMING_CUSTOMER

LAUNCHER = ".lw-launcher"
PANEL = ".lw-panel"
# A function, not an expression: Playwright polls expressions with eval, which the page's CSP forbids.
EARN_FILLED = "() => document.querySelector('[data-loyalty-earn]').textContent !== ''"


def open_store(page, site, query: str = ""):
    page.goto(f"{site.store}/{query}")
    page.locator(LAUNCHER).wait_for(state="visible", timeout=10_000)


def open_panel(page):
    page.locator(LAUNCHER).click()
    page.locator(PANEL).wait_for(state="visible")
    page.locator(f"{PANEL} .lw-section").first.wait_for(state="visible", timeout=10_000)


def shadow_focus(page) -> str:
    """What has focus inside the widget: "tag.class[aria-label]:text", or "" outside it."""
    return page.evaluate("""() => {
        const host = document.querySelector('loyalty-widget');
        const el = host && document.activeElement === host ? host.shadowRoot.activeElement : null;
        if (!el) return '';
        return el.tagName.toLowerCase() + '.' + el.className + '[' + (el.getAttribute('aria-label') || '')
            + ']:' + el.textContent.trim().slice(0, 40);
    }""")


def in_dialog(page) -> bool:
    return page.evaluate("""() => {
        const root = document.querySelector('loyalty-widget').shadowRoot;
        return Boolean(root.activeElement && root.activeElement.closest('.lw-panel'));
    }""")


def test_launcher_opens_the_panel_with_balance_tier_progress_and_activity(page, site):
    open_store(page, site)
    launcher = page.locator(LAUNCHER)
    assert launcher.get_attribute("aria-expanded") == "false"

    open_panel(page)

    panel = page.locator(PANEL)
    assert launcher.get_attribute("aria-expanded") == "true"
    assert panel.get_attribute("role") == "dialog" and panel.get_attribute("aria-modal") == "true"
    text = panel.inner_text()
    assert "Hi Ada" in text
    assert "421" in text and "Available" in text
    assert "Silver member" in text and "79 points to Gold" in text
    progress = panel.locator("[role=progressbar]")
    assert progress.get_attribute("aria-valuenow") == "84"
    assert progress.get_attribute("aria-label") == "Progress to Gold"
    assert "Order #demo-3" in text and "+206" in text
    assert "1 point for every $1.00 spent" in text
    assert page.locator(".lw-item", has_text="Gold members' tote bag").get_by_text("For Gold members").count() == 1
    assert page.errors == []


def test_points_snippets_show_what_each_price_earns_this_customer(page, site):
    open_store(page, site)
    snippets = page.locator("[data-loyalty-earn]")
    page.wait_for_function(EARN_FILLED)
    # Silver earns 1.25 points per dollar: 25.00 -> 31, 79.90 -> 99, 120.00 -> 150 (rounded down).
    assert snippets.all_text_contents() == ["Earn 31 points", "Earn 99 points", "Earn 150 points"]


def test_guest_sees_the_program_and_links_to_sign_in_or_join(page, site):
    open_store(page, site, "?guest=1")
    page.wait_for_function(EARN_FILLED)
    assert page.locator("[data-loyalty-earn]").first.text_content() == "Earn 25 points"

    open_panel(page)

    panel = page.locator(PANEL)
    text = panel.inner_text()
    assert "Join our rewards program" in text
    assert page.get_by_role("link", name="Create an account").get_attribute("href") == (
        f"{site.store}/account/register")
    assert page.get_by_role("link", name="Sign in").get_attribute("href") == f"{site.store}/account/login"
    assert "Free shipping" in text and "Silver" in text and "Gold" in text
    assert panel.get_by_role("button", name=re.compile("Redeem")).count() == 0
    assert "Ada" not in text and "421" not in text


def test_keyboard_alone_opens_moves_through_and_closes_the_panel(page, site):
    open_store(page, site)
    page.locator("body").click(position={"x": 5, "y": 120})
    for _ in range(10):  # past the page's own buttons to the launcher, which comes last
        page.keyboard.press("Tab")
        if shadow_focus(page).startswith("button.lw-launcher"):
            break
    assert shadow_focus(page).startswith("button.lw-launcher")

    page.keyboard.press("Enter")
    page.locator(f"{PANEL} .lw-section").first.wait_for(state="visible", timeout=10_000)
    assert shadow_focus(page).startswith("h2.lw-title")  # the dialog's name is read first

    page.keyboard.press("Tab")
    assert shadow_focus(page).startswith("button.lw-close[Close]")
    seen = set()
    for _ in range(40):  # Tab never leaves the open dialog
        page.keyboard.press("Tab")
        assert in_dialog(page), shadow_focus(page)
        seen.add(shadow_focus(page))
    assert any("[Redeem Free shipping]" in item for item in seen)
    page.keyboard.press("Shift+Tab")
    assert in_dialog(page)

    # Redeem asks first; Cancel puts focus back on the reward's button.
    while "[Redeem Free shipping]" not in shadow_focus(page):
        page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    assert shadow_focus(page).startswith("button.lw-button[]:Confirm")
    assert "Spend 200 points on Free shipping?" in page.locator(".lw-confirm").inner_text()
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    assert "[Redeem Free shipping]" in shadow_focus(page)

    page.keyboard.press("Escape")
    assert page.locator(PANEL).is_hidden()
    assert shadow_focus(page).startswith("button.lw-launcher")
    assert page.locator(LAUNCHER).get_attribute("aria-expanded") == "false"


def test_redeem_asks_for_confirmation_and_shows_the_code_with_copy_and_expiry(page, site):
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=site.store)
    open_store(page, site, f"?customer={REDEEMING_CUSTOMER}")
    open_panel(page)
    assert "150" in page.locator(".lw-balance").inner_text()
    assert page.get_by_role("button", name="Redeem Free shipping").is_disabled()
    assert "50 more points needed" in page.locator(".lw-item", has_text="Free shipping").inner_text()

    page.get_by_role("button", name="Redeem $1 off per 100 points").click()
    page.locator(".lw-confirm input").fill("100")
    assert "Spend 100 points on $1 off per 100 points?" in page.locator(".lw-confirm").inner_text()
    page.get_by_role("button", name="Confirm").click()

    issued = page.locator(".lw-issued")
    issued.wait_for(state="visible", timeout=10_000)
    code = issued.locator("input").input_value()
    assert re.fullmatch(r"[A-Z0-9-]{6,40}", code), code
    assert "Your code is ready" in issued.inner_text() and "Expires" in issued.inner_text()
    assert shadow_focus(page).startswith("p.lw-item-name")  # focus moved to the news
    assert page.locator(".lw-balance").inner_text().startswith("50")
    issued.get_by_role("button", name="Copy code").click()
    issued.get_by_text("Copied").wait_for(timeout=5_000)
    assert page.evaluate("navigator.clipboard.readText()") == code
    codes = page.locator(".lw-section", has_text="Your codes")
    assert code in [v for v in codes.locator("input").evaluate_all("els => els.map(e => e.value)")]
    assert page.errors == []


def test_the_referral_link_is_shown_with_a_copy_button(page, site):
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=site.store)
    open_store(page, site)
    open_panel(page)
    section = page.locator(".lw-section", has_text="Refer a friend")
    assert "When a friend places their first order, you are rewarded." in section.inner_text()
    link = section.get_by_role("textbox", name="Your referral link").input_value()
    assert re.fullmatch(r"https://[a-z0-9.-]+/\?ref=[2-9A-Z]{10}", link), link
    section.get_by_role("button", name="Copy link").click()
    section.get_by_text("Copied").wait_for(timeout=5_000)
    assert page.evaluate("navigator.clipboard.readText()") == link
    assert page.errors == []


def test_a_hostile_customer_name_is_shown_as_text(page, site):
    open_store(page, site, f"?customer={HOSTILE_CUSTOMER}")
    open_panel(page)

    greeting = page.locator(".lw-greeting")
    assert greeting.inner_text() == f"Hi {HOSTILE_NAME}"
    assert page.evaluate("document.querySelector('loyalty-widget').shadowRoot.querySelectorAll('img').length") == 0
    page.wait_for_timeout(300)
    assert page.evaluate("window.__pwned") is None
    assert page.errors == []


def test_the_page_language_picks_the_translation(page, site):
    open_store(page, site, "?lang=fr")
    assert page.locator(LAUNCHER).inner_text() == "Récompenses"
    open_panel(page)
    text = page.locator(PANEL).inner_text()
    assert "Bonjour Ada" in text and "Membre Silver" in text and "Disponibles" in text
    assert "Partagez votre lien." in text
    assert page.get_by_role("button", name="Copier le lien").count() == 1
    assert page.get_by_role("button", name="Fermer").count() == 1


def test_strict_csp_holds_nothing_shifts_and_the_theme_cannot_restyle_the_widget(page, site):
    open_store(page, site)
    page.wait_for_function(EARN_FILLED)
    open_panel(page)
    page.wait_for_timeout(300)

    assert page.evaluate("window.__cspViolations") == []
    assert page.evaluate("window.__layoutShift") == 0
    launcher = page.locator(LAUNCHER)
    # The theme sets every button magenta and 40px (!important) and uppercases all text.
    assert launcher.evaluate("el => getComputedStyle(el).backgroundColor") == "rgb(59, 91, 219)"
    assert launcher.evaluate("el => getComputedStyle(el).fontSize") == "15px"
    assert launcher.evaluate("el => getComputedStyle(el).textTransform") == "none"
    assert page.errors == []


def test_an_unreachable_service_leaves_the_page_working(page, site):
    page.route(f"{site.api}/widget/v1/**", lambda route: route.abort())
    page.goto(f"{site.store}/")
    page.wait_for_timeout(800)

    assert page.locator("loyalty-widget").count() == 0
    assert page.get_by_role("button", name="Add to cart").count() == 3
    assert page.errors == []


def test_a_failing_panel_load_offers_a_retry(page, site):
    open_store(page, site)
    page.route(f"{site.api}/widget/v1/*/summary", lambda route: route.fulfill(status=500, body="{}"))
    page.locator(LAUNCHER).click()
    page.get_by_role("button", name="Try again").wait_for(timeout=10_000)
    assert "Rewards are unavailable right now" in page.locator(PANEL).inner_text()

    page.unroute(f"{site.api}/widget/v1/*/summary")
    page.get_by_role("button", name="Try again").click()
    page.locator(PANEL).get_by_text("Silver member").wait_for(timeout=10_000)
    assert page.errors == []


def test_a_signed_in_customer_without_points_yet_sees_the_program_and_base_estimates(page, site):
    open_store(page, site, "?customer=new-shopper-1")
    page.wait_for_function(EARN_FILLED)
    assert page.locator("[data-loyalty-earn]").first.text_content() == "Earn 25 points"

    open_panel(page)

    text = page.locator(PANEL).inner_text()
    assert "Welcome back" in text and "Your first order starts your points." in text
    assert "Join our rewards program" not in text and "Free shipping" in text
    assert page.errors == []
