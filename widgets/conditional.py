"""Revalidation by ETag for the widget's GET responses.

Werkzeug's ``make_conditional`` does more than these responses need (ranges,
If-Modified-Since) and adds a Date header that gunicorn sends again beside its own.
Every storefront page view asks for a summary, so only what applies is done here:
an ETag from the body, and 304 Not Modified when If-None-Match names it.
"""
from __future__ import annotations

import hashlib

from flask import Response, request

_REVALIDATED = frozenset({"GET", "HEAD"})


def with_etag(response: Response) -> Response:
    """``response`` tagged with its body's digest; 304 when the client holds it (werkzeug
    then sends neither the body nor its Content-Length)."""
    etag = hashlib.sha1(response.get_data(), usedforsecurity=False).hexdigest()
    response.headers["ETag"] = f'"{etag}"'
    # If-None-Match compares weakly (RFC 9110, 13.1.2): W/"x" matches "x". Most requests
    # carry none, and parsing an absent header still builds an object.
    if ("If-None-Match" in request.headers and request.method in _REVALIDATED
            and request.if_none_match.contains_weak(etag)):
        response.status_code = 304
    return response
