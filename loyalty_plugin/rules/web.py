"""Checks on the web addresses a shop configures: storefront origins and links."""
from __future__ import annotations

import ipaddress
import re
from urllib.parse import urlsplit

_HOST = re.compile(r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$")
MAX_URL_LENGTH = 500


def _host(hostname: str) -> str | None:
    """A DNS name or IPv4 address as is, an IPv6 address in brackets; None when neither."""
    if ":" in hostname:
        try:
            return f"[{ipaddress.IPv6Address(hostname).compressed}]"
        except ValueError:
            return None
    return hostname if _HOST.match(hostname) else None


def normalise_origin(value: str) -> str:
    """``https://Shop.example.com/`` -> ``https://shop.example.com``; ValueError if not an origin.

    An origin is what a browser sends in its ``Origin`` header: scheme, host and
    port only, so anything with a path, query, fragment or credentials is refused.
    """
    text = value.strip()
    error = ValueError(f"{text[:100]!r} is not an origin like https://shop.example.com")
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        raise error from None
    host = _host((parts.hostname or "").lower())
    if parts.scheme not in ("http", "https") or host is None or parts.username is not None \
            or parts.path not in ("", "/") or "?" in text or "#" in text:
        raise error
    default = 443 if parts.scheme == "https" else 80
    return f"{parts.scheme}://{host}" + (f":{port}" if port not in (None, default) else "")


def check_link(value: str) -> str:
    """An absolute http(s) URL a storefront may link to; ValueError otherwise."""
    text = value.strip()
    if len(text) > MAX_URL_LENGTH or any(c.isspace() or ord(c) < 32 for c in text):
        raise ValueError(f"{text[:100]!r} is not an absolute http(s) URL")
    try:
        parts = urlsplit(text)
    except ValueError:
        raise ValueError(f"{text[:100]!r} is not an absolute http(s) URL") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"{text[:100]!r} is not an absolute http(s) URL")
    return text
