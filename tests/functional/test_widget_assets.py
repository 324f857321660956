"""The loader script and the panel files: small, cacheable, versioned."""
from __future__ import annotations

import re

import pytest

from widgets.assets import PANEL_FILES, assets_version

MAX_LOADER_BYTES = 30 * 1024


def test_loader_is_small_cacheable_javascript(client):
    response = client.get("/widget/loader.js")

    assert response.status_code == 200
    assert response.mimetype == "text/javascript"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Cache-Control"] == "public, max-age=300"
    assert 0 < len(response.data) < MAX_LOADER_BYTES
    again = client.get("/widget/loader.js", headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304


@pytest.mark.parametrize("name", sorted(PANEL_FILES))
def test_panel_files_under_the_current_version_are_immutable(client, name):
    response = client.get(f"/widget/assets/{assets_version()}/{name}")

    assert response.status_code == 200
    assert response.mimetype == PANEL_FILES[name]
    assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    # Module scripts are fetched with CORS; the files are public and credential-free.
    assert response.headers["Access-Control-Allow-Origin"] == "*"


def test_an_old_version_gets_todays_file_briefly_cached(client):
    response = client.get("/widget/assets/000000000000/panel.js")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "public, max-age=60"


@pytest.mark.parametrize("name", ["loader.js", "../api.py", "secret.txt", "panel.JS"])
def test_only_the_panel_files_are_served(client, name):
    assert client.get(f"/widget/assets/{assets_version()}/{name}").status_code == 404


def test_scripts_use_no_eval_no_html_parsing_and_no_inline_styles():
    """What a strict CSP forbids, and what would render a shop's or customer's text as HTML."""
    from importlib import resources

    static = resources.files("widgets").joinpath("static")
    forbidden = re.compile(r"\beval\(|new Function|innerHTML|outerHTML|insertAdjacentHTML|"
                           r"document\.write|setAttribute\(\s*['\"](style|on\w+)|\.cssText")
    for name in ("loader.js", *[n for n in PANEL_FILES if n.endswith(".js")]):
        source = static.joinpath(name).read_text("utf-8")
        assert not forbidden.search(source), name
