"""The ceiling for bench/widgets.py: the least a signed widget read can do.

A plain WSGI callable (no Flask, no ORM), served by the same gunicorn command
line as the service. Per request it reads the shop's widget secret from the same
PostgreSQL database (one SELECT through psycopg, the service's driver, on a
connection kept per worker), verifies the customer's digest in constant time and
answers a constant JSON body. Everything the service does beyond that (the
customer, tier, rewards, codes and activity queries, the JSON) is what the ratio
measures.

Settings (environment): ``BENCH_CEILING_DSN`` (a libpq conninfo or postgresql:// URL).
"""
from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import threading

import psycopg

_PATH = re.compile(r"^/widget/v1/(\d{1,18})/summary$")
_BODY = json.dumps({"mode": "customer", "ceiling": True}).encode()
_local = threading.local()


def _connection() -> psycopg.Connection:
    # One connection per worker thread, opened after the fork, kept for the worker's life.
    conn = getattr(_local, "conn", None)
    if conn is None or conn.closed:
        conn = _local.conn = psycopg.connect(os.environ["BENCH_CEILING_DSN"], autocommit=True)
    return conn


def _reply(start_response, status: str, body: bytes) -> list[bytes]:
    start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
    return [body]


def app(environ, start_response):
    path = environ.get("PATH_INFO", "")
    if path == "/healthz":
        _connection().execute("SELECT 1").fetchone()
        return _reply(start_response, "200 OK", b'{"status": "ok"}')
    match = _PATH.match(path)
    if environ["REQUEST_METHOD"] != "GET" or not match:
        return _reply(start_response, "404 Not Found", b'{"error": "not found"}')
    row = _connection().execute("SELECT widget_secret FROM shops WHERE id = %s",
                                (int(match.group(1)),)).fetchone()
    if row is None:
        return _reply(start_response, "404 Not Found", b'{"error": "no such shop"}')
    customer = environ.get("HTTP_X_LOYALTY_CUSTOMER", "").strip()
    given = environ.get("HTTP_X_LOYALTY_DIGEST", "").strip().lower()
    expected = hmac.new(row[0].encode(), customer.encode(), hashlib.sha256).hexdigest()
    if not customer or not hmac.compare_digest(expected, given):
        return _reply(start_response, "401 Unauthorized", b'{"error": "bad digest"}')
    return _reply(start_response, "200 OK", _BODY)
