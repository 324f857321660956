"""The ceiling for bench/webhooks.py: the least a webhook endpoint can do per delivery.

A plain WSGI callable (no Flask, no ORM), served by the same gunicorn command
line as the service. Per request it reads the raw body, verifies the Shopify
HMAC over it with the shop's secret (read from the database, as the service
does), checks the shop domain, parses the JSON for the order and customer ids,
and runs ONE transaction through psycopg (the service's driver) against the same
PostgreSQL database: one SELECT of the shop, then the writes listed in
``BENCH_CEILING_PLAN``, then COMMIT.

The plan is the service's own per-delivery write statements, counted by
bench/webhooks.py on a real delivery before the run, one ``table:VERB`` per
statement, e.g. ``inbound_deliveries:INSERT,inbound_deliveries:UPDATE,...``.
Each step writes the ceiling's table for that service table: an INSERT adds
the row (keyed by the delivery, order or customer id, ``RETURNING id``), an
UPDATE changes the row this transaction inserted. The delivery row keeps the
raw body and headers, as the service's inbox does.

Settings (environment): ``BENCH_CEILING_DSN`` (a libpq conninfo or
postgresql:// URL), ``BENCH_CEILING_PLAN``.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import threading

import psycopg
from psycopg.types.json import Jsonb

# Service table -> (ceiling table, INSERT, UPDATE). Unknown service tables use "misc".
TABLES = {
    "inbound_deliveries": (
        "ceiling_deliveries",
        "INSERT INTO ceiling_deliveries (shop_id, delivery_id, topic, status, attempts, body,"
        " headers, received_at) VALUES (%(shop_id)s, %(delivery_id)s, %(topic)s, 'failed', 0,"
        " %(body)s, %(headers)s, now()) ON CONFLICT (shop_id, delivery_id) DO NOTHING RETURNING id",
        "UPDATE ceiling_deliveries SET status = 'processed', attempts = attempts + 1,"
        " processed_at = now(), order_id = %(order_id)s WHERE id = %(id)s",
    ),
    "orders": (
        "ceiling_orders",
        "INSERT INTO ceiling_orders (shop_id, platform_order_id, amount, status, created_at,"
        " updated_at) VALUES (%(shop_id)s, %(order_id)s, %(amount)s, 'open', now(), now())"
        " ON CONFLICT (shop_id, platform_order_id) DO NOTHING RETURNING id",
        "UPDATE ceiling_orders SET status = 'awarded', points = %(points)s, writes = writes + 1,"
        " updated_at = now() WHERE id = %(id)s",
    ),
    "customer_accounts": (
        "ceiling_accounts",
        "INSERT INTO ceiling_accounts (shop_id, platform_customer_id, email, created_at,"
        " updated_at) VALUES (%(shop_id)s, %(customer_id)s, %(email)s, now(), now())"
        " ON CONFLICT (shop_id, platform_customer_id) DO NOTHING RETURNING id",
        "UPDATE ceiling_accounts SET available = available + %(points)s,"
        " lifetime = lifetime + %(points)s, updated_at = now() WHERE id = %(id)s",
    ),
    "ledger_entries": (
        "ceiling_entries",
        "INSERT INTO ceiling_entries (shop_id, idempotency_key, points, remaining, created_at)"
        " VALUES (%(shop_id)s, %(entry_key)s, %(points)s, %(points)s, now()) RETURNING id",
        "UPDATE ceiling_entries SET remaining = remaining - 0 WHERE id = %(id)s",
    ),
    "misc": (
        "ceiling_misc",
        "INSERT INTO ceiling_misc (shop_id, k, created_at) VALUES (%(shop_id)s, %(misc_key)s, now())"
        " RETURNING id",
        "UPDATE ceiling_misc SET n = n + 1 WHERE id = %(id)s",
    ),
}

SCHEMA = """
DROP TABLE IF EXISTS ceiling_entries, ceiling_deliveries, ceiling_orders, ceiling_accounts,
    ceiling_misc, ceiling_shops;
CREATE TABLE ceiling_shops (id bigint PRIMARY KEY, domain text NOT NULL, secret text NOT NULL);
CREATE TABLE ceiling_accounts (
    id bigserial PRIMARY KEY, shop_id bigint NOT NULL REFERENCES ceiling_shops(id),
    platform_customer_id varchar(64), email varchar(320), available bigint NOT NULL DEFAULT 0,
    lifetime bigint NOT NULL DEFAULT 0, created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL, UNIQUE (shop_id, platform_customer_id));
CREATE TABLE ceiling_orders (
    id bigserial PRIMARY KEY, shop_id bigint NOT NULL REFERENCES ceiling_shops(id),
    platform_order_id varchar(64) NOT NULL, amount numeric(14, 4) NOT NULL,
    status varchar(16) NOT NULL, points bigint NOT NULL DEFAULT 0, writes int NOT NULL DEFAULT 0,
    created_at timestamptz NOT NULL, updated_at timestamptz NOT NULL,
    UNIQUE (shop_id, platform_order_id));
CREATE TABLE ceiling_deliveries (
    id bigserial PRIMARY KEY, shop_id bigint NOT NULL REFERENCES ceiling_shops(id),
    delivery_id varchar(128) NOT NULL, topic varchar(64) NOT NULL, status varchar(16) NOT NULL,
    attempts int NOT NULL, body bytea, headers jsonb, order_id varchar(64),
    received_at timestamptz NOT NULL, processed_at timestamptz, UNIQUE (shop_id, delivery_id));
CREATE TABLE ceiling_entries (
    id bigserial PRIMARY KEY, shop_id bigint NOT NULL REFERENCES ceiling_shops(id),
    idempotency_key varchar(200) NOT NULL, points bigint NOT NULL, remaining bigint NOT NULL,
    created_at timestamptz NOT NULL, UNIQUE (shop_id, idempotency_key));
CREATE TABLE ceiling_misc (
    id bigserial PRIMARY KEY, shop_id bigint NOT NULL, k text NOT NULL, n int NOT NULL DEFAULT 0,
    created_at timestamptz NOT NULL);
"""

KEPT_HEADERS = ("HTTP_X_SHOPIFY_TOPIC", "HTTP_X_SHOPIFY_SHOP_DOMAIN", "HTTP_X_SHOPIFY_WEBHOOK_ID",
                "HTTP_X_SHOPIFY_API_VERSION")


def parse_plan(text: str) -> list[tuple[str, str]]:
    plan = []
    for step in filter(None, (s.strip() for s in text.split(","))):
        table, _, verb = step.partition(":")
        verb = verb.upper()
        if verb not in ("INSERT", "UPDATE"):
            raise ValueError(f"bad plan step {step!r}: want table:INSERT or table:UPDATE")
        plan.append((table if table in TABLES else "misc", verb))
    return plan


def create_schema(dsn: str, *, shop_id: int, domain: str, secret: str) -> None:
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(SCHEMA)
        conn.execute("INSERT INTO ceiling_shops (id, domain, secret) VALUES (%s, %s, %s)",
                     (shop_id, domain, secret))


_local = threading.local()
_PLAN: list[tuple[str, str]] | None = None


def _connection() -> psycopg.Connection:
    # One connection per worker thread, opened after the fork, kept for the worker's life.
    conn = getattr(_local, "conn", None)
    if conn is None or conn.closed:
        conn = _local.conn = psycopg.connect(os.environ["BENCH_CEILING_DSN"])
    return conn


def _plan() -> list[tuple[str, str]]:
    global _PLAN
    if _PLAN is None:
        _PLAN = parse_plan(os.environ["BENCH_CEILING_PLAN"])
    return _PLAN


def _reply(start_response, status: str, payload: dict) -> list[bytes]:
    data = json.dumps(payload).encode()
    start_response(status, [("Content-Type", "application/json"),
                            ("Content-Length", str(len(data)))])
    return [data]


def app(environ, start_response):
    path = environ.get("PATH_INFO", "")
    if path == "/healthz":
        _connection().execute("SELECT 1").fetchone()
        _connection().rollback()
        return _reply(start_response, "200 OK", {"status": "ok"})
    parts = path.strip("/").split("/")
    if environ["REQUEST_METHOD"] != "POST" or len(parts) != 3 or parts[:2] != ["webhooks", "shopify"] \
            or not parts[2].isdigit():
        return _reply(start_response, "404 Not Found", {"error": "not found"})
    length = int(environ.get("CONTENT_LENGTH") or 0)
    body = environ["wsgi.input"].read(length)
    conn = _connection()
    try:
        row = conn.execute("SELECT secret, domain FROM ceiling_shops WHERE id = %s",
                           (int(parts[2]),)).fetchone()
        if row is None:
            conn.rollback()
            return _reply(start_response, "404 Not Found", {"error": "no such shop"})
        secret, domain = row
        expected = base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest())
        given = environ.get("HTTP_X_SHOPIFY_HMAC_SHA256", "").strip().encode()
        if not hmac.compare_digest(expected, given) or \
                environ.get("HTTP_X_SHOPIFY_SHOP_DOMAIN", "").strip().lower() != domain:
            conn.rollback()
            return _reply(start_response, "401 Unauthorized", {"error": "bad signature"})
        order = json.loads(body)
        customer = order.get("customer") or {}
        delivery_id = environ.get("HTTP_X_SHOPIFY_WEBHOOK_ID", "")
        points = int(float(order.get("subtotal_price") or 0))
        params = {
            "shop_id": int(parts[2]), "delivery_id": delivery_id, "body": body,
            "topic": environ.get("HTTP_X_SHOPIFY_TOPIC", ""),
            "headers": Jsonb({k: environ[k] for k in KEPT_HEADERS if k in environ}),
            "order_id": str(order["id"]), "amount": order.get("subtotal_price") or "0",
            "customer_id": str(customer.get("id")), "email": customer.get("email"),
            "points": points, "entry_key": f"order:{order['id']}:earn",
            "misc_key": delivery_id, "id": None,
        }
        ids: dict[str, int | None] = {}
        for table, verb in _plan():
            sql = TABLES[table][1 if verb == "INSERT" else 2]
            if verb == "INSERT":
                inserted = conn.execute(sql, params).fetchone()
                ids[table] = inserted[0] if inserted else None
            else:
                params["id"] = ids.get(table)
                conn.execute(sql, params)
        conn.commit()
    except BaseException:
        if not conn.closed:
            conn.rollback()
        raise
    return _reply(start_response, "200 OK", {"status": "processed", "delivery_id": delivery_id})
