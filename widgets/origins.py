"""Which storefront origins may call a shop's widget API, and the CORS headers they get.

The widget sends no cookies: the signed identity travels in request headers, so
responses never allow credentials, and an origin is echoed only when allowed.
"""
from __future__ import annotations

import functools
from collections.abc import Iterable

from flask import Response
from werkzeug.datastructures import Headers

from loyalty_plugin.models import Shop, WidgetSettings
from loyalty_plugin.rules.web import normalise_origin

from .identity import CUSTOMER_HEADER, DIGEST_HEADER

ALLOWED_HEADERS = ", ".join(("Content-Type", "Idempotency-Key", CUSTOMER_HEADER, DIGEST_HEADER))
PREFLIGHT_MAX_AGE = 600


def _origin_or_none(value: str) -> str | None:
    try:
        return normalise_origin(value)
    except ValueError:
        return None


def allowed_origins(shop: Shop, settings: WidgetSettings, extra: Iterable[str] = ()) -> frozenset[str]:
    """``https://<shop domain>``, the shop's configured origins, and ``extra`` (the service's own)."""
    return _normalised((f"https://{shop.domain}", *(settings.storefront_origins or []), *extra))


@functools.lru_cache(maxsize=1024)
def _normalised(candidates: tuple[str, ...]) -> frozenset[str]:
    # Every widget request asks; the answer changes only with the shop's settings.
    return frozenset(origin for origin in map(_origin_or_none, candidates) if origin)


def origin_allowed(origin: str | None, allowed: frozenset[str]) -> bool:
    """A request without an Origin header is not a cross-origin browser call: CORS is moot."""
    if origin is None:
        return True
    # Browsers send origins normalised already: the exact match spares the parse.
    return origin in allowed or _origin_or_none(origin) in allowed


def add_cors_headers(response: Response, origin: str, *, preflight: bool) -> None:
    headers = response.headers
    headers["Access-Control-Allow-Origin"] = origin
    if preflight:
        headers["Access-Control-Allow-Methods"] = "GET, POST, OPTIONS"
        headers["Access-Control-Allow-Headers"] = ALLOWED_HEADERS
        headers["Access-Control-Max-Age"] = str(PREFLIGHT_MAX_AGE)
    else:
        headers["Access-Control-Expose-Headers"] = "Retry-After, ETag"
    _vary_on_origin(headers)


def _vary_on_origin(headers: Headers) -> None:
    """Add Origin to Vary, as text: every widget response gets it, and Response.vary parses
    the header into a set and writes it back, three times the cost of the other headers here."""
    vary = headers.get("Vary")
    if not vary:
        headers["Vary"] = "Origin"
    elif vary.strip() != "*" and "origin" not in (name.strip().lower() for name in vary.split(",")):
        headers["Vary"] = f"{vary}, Origin"
