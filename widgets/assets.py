"""The loader script and the panel's files, served with the caching each one needs.

``loader.js`` keeps one address forever (it is pasted into themes), so it is cached
briefly and revalidated by ETag. The panel's files live under a versioned path
that changes whenever any of them changes, so browsers may keep them for a year.
"""
from __future__ import annotations

import functools
import hashlib
from importlib import resources

from flask import Blueprint, Response, abort

from .conditional import with_etag

bp = Blueprint("widget_assets", __name__, url_prefix="/widget")

PANEL_FILES = {"panel.js": "text/javascript", "views.js": "text/javascript",
               "rewards.js": "text/javascript", "dom.js": "text/javascript", "panel.css": "text/css"}
LOADER_MAX_AGE = 300
STALE_VERSION_MAX_AGE = 60
YEAR = 365 * 24 * 3600


@functools.cache
def _read(name: str) -> bytes:
    return resources.files(__package__).joinpath("static", name).read_bytes()


@functools.cache
def assets_version() -> str:
    digest = hashlib.sha256()
    for name in sorted(PANEL_FILES):
        digest.update(name.encode() + b"\0" + _read(name))
    return digest.hexdigest()[:12]


def _file_response(data: bytes, mimetype: str, cache_control: str) -> Response:
    response = Response(data, mimetype=mimetype)
    response.charset = "utf-8"
    response.headers["Cache-Control"] = cache_control
    response.headers["X-Content-Type-Options"] = "nosniff"
    return with_etag(response)


@bp.get("/loader.js")
def loader() -> Response:
    return _file_response(_read("loader.js"), "text/javascript", f"public, max-age={LOADER_MAX_AGE}")


@bp.get("/assets/<version>/<name>")
def asset(version: str, name: str) -> Response:
    if name not in PANEL_FILES:
        abort(404)
    # A page may still run a loader from before a deploy: give it today's files,
    # but never let them be kept under the old version's address.
    cache = (f"public, max-age={YEAR}, immutable" if version == assets_version()
             else f"public, max-age={STALE_VERSION_MAX_AGE}")
    response = _file_response(_read(name), PANEL_FILES[name], cache)
    # The panel is loaded as JavaScript modules, which browsers fetch with CORS;
    # these files are public and carry no credentials.
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response
