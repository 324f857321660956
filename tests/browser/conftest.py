"""A real browser against the widget: the API on one local port, a storefront page on another.

Headless Debian Chromium (``/usr/bin/chromium``) driven by Playwright from PyPI with
that executable; nothing is downloaded. Without it, every browser test is skipped
with the reason. Screenshots go to ``tests/browser/artifacts/``.
"""
from __future__ import annotations

import os
import socket
import threading
from pathlib import Path

import pytest
from werkzeug.serving import WSGIRequestHandler, make_server

from loyalty_plugin.app import create_app
from loyalty_plugin.db import get_db
from loyalty_plugin.migrate import upgrade
from loyalty_plugin.models import utcnow
from loyalty_plugin.services.orders import apply_order_snapshot
from loyalty_plugin.services.shops import get_shop
from widgets.demo import sample_snapshot, seed_demo
from widgets.demo_cli import demo_provider
from widgets.storefront import create_storefront

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
ARTIFACTS = Path(__file__).parent / "artifacts"
HOSTILE_NAME = "<img src=x onerror=\"window.__pwned=1\">"
HOSTILE_CUSTOMER = "666"
# Redeems in its own test, so Ada's balance stays the same for every other test.
REDEEMING_CUSTOMER = "1002"

try:
    from playwright.sync_api import sync_playwright
except ImportError:  # pragma: no cover - the test extra installs it
    sync_playwright = None


def pytest_collection_modifyitems(config, items):
    reason = None
    if sync_playwright is None:
        reason = "playwright is not installed (pip install -e '.[test]')"
    elif not os.access(CHROMIUM, os.X_OK):
        reason = f"no Chromium at {CHROMIUM} (apt-get install chromium)"
    if reason:
        for item in items:
            if "tests/browser" in str(item.fspath):
                item.add_marker(pytest.mark.skip(reason=reason))


def pytest_terminal_summary(terminalreporter):
    if ARTIFACTS.exists() and any(ARTIFACTS.iterdir()):
        terminalreporter.write_line(f"browser test screenshots: {ARTIFACTS}")


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, *args, **kwargs):
        pass


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Site:
    """The running API and storefront, and the seeded demo shop behind them."""

    def __init__(self, tmp: Path):
        api_port, store_port = _free_port(), _free_port()
        self.api = f"http://127.0.0.1:{api_port}"
        self.store = f"http://127.0.0.1:{store_port}"
        self.app = create_app({"LOYALTY_DATABASE_URL": f"sqlite:///{tmp / 'browser.db'}",
                               "LOYALTY_PUBLIC_URL": self.api, "LOYALTY_SCHEMA_CHECK": False,
                               "LOYALTY_SECRET_KEY": "browser-tests", "LOYALTY_LOG_LEVEL": "WARNING",
                               # Plain http on loopback: the dashboard's cookie cannot be Secure.
                               "LOYALTY_COOKIE_SECURE": False,
                               "LOYALTY_DISCOUNT_PROVIDERS": demo_provider})
        with self.app.app_context():
            upgrade(get_db().engine)
            with get_db().transaction() as session:
                self.demo = seed_demo(session, storefront_origin=self.store, now=utcnow())
                shop = get_shop(session, self.demo.shop_id)
                hostile = sample_snapshot("hostile-1", HOSTILE_CUSTOMER, "30.00", utcnow(),
                                          first_name=HOSTILE_NAME, email="mallory@example.com")
                apply_order_snapshot(session, shop, hostile, utcnow())
                grace = sample_snapshot("grace-1", REDEEMING_CUSTOMER, "150.00", utcnow(),
                                        first_name="Grace", email="grace@example.com")
                apply_order_snapshot(session, shop, grace, utcnow())
        storefront = create_storefront(api_origin=self.api, shop_id=self.demo.shop_id,
                                       widget_secret=self.demo.widget_secret,
                                       customer_id=self.demo.customer_id)
        self.servers = [make_server("127.0.0.1", api_port, self.app, threaded=True,
                                    request_handler=_QuietHandler),
                        make_server("127.0.0.1", store_port, storefront, threaded=True,
                                    request_handler=_QuietHandler)]
        for server in self.servers:
            threading.Thread(target=server.serve_forever, daemon=True).start()

    def close(self) -> None:
        for server in self.servers:
            server.shutdown()
            server.server_close()
        get_db(self.app).engine.dispose()


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    site = Site(tmp_path_factory.mktemp("browser"))
    yield site
    site.close()


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, request):
    """A fresh page that records uncaught errors and CSP violations, and leaves a screenshot."""
    context = browser.new_context(viewport={"width": 1100, "height": 900}, locale="en-US")
    page = context.new_page()
    page.errors = []
    page.on("pageerror", lambda error: page.errors.append(str(error)))
    # Runs before the page's scripts and is not subject to its CSP.
    page.add_init_script("""
        window.__cspViolations = [];
        document.addEventListener('securitypolicyviolation',
            (e) => window.__cspViolations.push(e.violatedDirective + ' ' + e.blockedURI));
        window.__layoutShift = 0;
        new PerformanceObserver((list) => {
            for (const entry of list.getEntries()) { window.__layoutShift += entry.value; }
        }).observe({type: 'layout-shift', buffered: true});
    """)
    yield page
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{request.node.name}.png"))
    context.close()
