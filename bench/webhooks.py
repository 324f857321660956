#!/usr/bin/env python3
"""Throughput and latency of signed Shopify ``orders/paid`` deliveries, against a ceiling.

Run from the repository root with the project's virtualenv::

    python bench/webhooks.py                      # 16 senders, 10 s per target
    python bench/webhooks.py --configs sync:5,sync:3,gthread:2x8 --duration 15
    python bench/webhooks.py --target http://127.0.0.1:8000 --shop-id 1 \\
        --secret SECRET --domain shop.myshopify.com   # an already running service

What it does, in one run:

1. Recreates the PostgreSQL database ``loyalty_bench`` (only a database whose
   name contains "bench" is ever dropped), runs ``loyalty db upgrade`` on it and
   creates a Shopify shop with ``loyalty shop create``.
2. Counts what the service does for one delivery: it sends one signed
   ``orders/paid`` through Flask's test client against that database and records
   every SQL statement (SQLAlchemy ``before_cursor_execute``). The write
   statements (INSERT/UPDATE/DELETE) become the ceiling's plan, table by table.
3. For each server configuration (``--configs``, default: the sync workers
   ``loyalty serve`` picks for the database, one per core when it is local), one
   after the other, never at the same time: starts gunicorn with the CEILING app, warms it up,
   drives it with wrk, stops it; then the same for the SERVICE
   (``loyalty_plugin.app:create_app()``). Both get the same gunicorn command line
   (worker class and count, threads, timeouts, access log to stdout as
   ``loyalty serve`` has it), the same database and the same driver (psycopg 3).
4. Checks the database afterwards: every request wrk completed must be a
   processed delivery (so no 4xx/5xx, no duplicates, nothing lost), and prints
   orders/s, p50/p99 latency, the ratio service/ceiling and PASS/FAIL against the
   targets (>= 60 % of the ceiling's orders/s, p99 < 25 ms at 16 senders).

The ceiling (bench/ceiling_wsgi.py) is a plain WSGI callable: it verifies the
HMAC over the raw body, parses the JSON, reads the shop once and runs one
transaction with the same number of INSERT/UPDATE statements as the service,
on tables of the same shape (own ``ceiling_*`` tables in the same database).

Every delivery is distinct: its own order id, customer id, email and webhook id,
so the service takes its full path (new order, new account, a ledger credit),
never the cheaper duplicate path. Requests are signed here beforehand and written
to files that bench/webhooks.lua hands out one by one; a run that would need more
requests than were made (a wrk thread starting over) is refused, not reported.

The load generator and the 2 cores: wrk is C, event driven, with
``--wrk-threads`` (default 2) threads; each request costs it one Lua call that
returns a prepared string, plus the socket work every client has. A Python
generator would need several times the CPU per request (signing, HTTP, JSON) and
take it from the server. The script measures what wrk used (user+system CPU time
of the wrk process, from ``getrusage``), what the gunicorn processes and the
PostgreSQL processes used (``/proc/PID/stat``) and the whole machine's busy time
(``/proc/stat``), and prints them beside each result as a share of all cores,
so the reader sees how much of the machine the generator took. The generator's
share is charged to both ceiling and service alike: the ratio compares like
with like.

With ``--target`` the service is not started: the requests go to that URL, for
the shop ``--shop-id`` with domain bench.myshopify.com and webhook secret
``--secret``. The ceiling and the statement count still use the benchmark
database (``--database-url``; if that is the target's own database, it is not
dropped, a shop bench.myshopify.com is found or created there, and the
``ceiling_*`` tables are created in it). Without ``--database-url`` the check of
the target's database is skipped.

Speed is judged only here, by ratios against a ceiling measured in the same run
on the same machine, never by timed assertions in the test suite.

Exit status: 0 when every service run meets both targets, 1 when one does not,
2 when the benchmark itself failed (a server did not start, a non-2xx response,
too few prepared requests, a database check).
"""
from __future__ import annotations

import argparse
import atexit
import base64
import contextlib
import dataclasses
import hashlib
import hmac
import json
import os
import re
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterable, Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import bench_loading  # before any import of the service: it takes bench/ off sys.path
from bench_loading import BENCH_DIR, REPO

DEFAULT_DB_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/loyalty_bench"
DOMAIN = "bench.myshopify.com"
TOPIC = "orders/paid"
TARGET_RATIO = 0.60
TARGET_P99_MS = 25.0
CLK_TCK = os.sysconf("SC_CLK_TCK")

# Today's count (see --ceiling-plan); used only when the statements cannot be counted.
FALLBACK_PLAN = ("inbound_deliveries:INSERT,inbound_deliveries:UPDATE,orders:INSERT,orders:UPDATE,"
                 "customer_accounts:INSERT,customer_accounts:UPDATE,orders:UPDATE,orders:UPDATE,"
                 "ledger_entries:INSERT,customer_accounts:UPDATE,orders:UPDATE,"
                 "inbound_deliveries:UPDATE")


class BenchError(RuntimeError):
    """The benchmark could not produce a trustworthy figure."""


def log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


# --------------------------------------------------------------------------- processes

_started: list[subprocess.Popen] = []


def _stop(proc: subprocess.Popen, *, grace: float = 10.0) -> None:
    """Stop a process we started, and its process group (gunicorn's workers)."""
    if proc.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=5)


def _stop_all() -> None:
    while _started:
        with contextlib.suppress(Exception):
            _stop(_started.pop())


def _forget(proc: subprocess.Popen, *, grace: float = 10.0) -> None:
    _stop(proc, grace=grace)
    with contextlib.suppress(ValueError):
        _started.remove(proc)


def _on_signal(signum, _frame):
    _stop_all()
    raise SystemExit(128 + signum)


def _spawn(cmd: list[str], *, env: dict[str, str] | None = None, stdout=None) -> subprocess.Popen:
    # A new session: the process and its children form a group we can stop together.
    proc = subprocess.Popen(cmd, env=env, stdout=stdout, stderr=subprocess.STDOUT
                            if stdout is not None else None, start_new_session=True, cwd=REPO)
    _started.append(proc)
    return proc


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_ready(url: str, proc: subprocess.Popen | None, log_path: Path | None,
                timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    last = ""
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            tail = log_path.read_text(errors="replace")[-3000:] if log_path else ""
            raise BenchError(f"server exited with {proc.returncode} before it was ready:\n{tail}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, OSError) as exc:
            last = str(exc)
        time.sleep(0.2)
    raise BenchError(f"{url} not ready after {timeout:.0f} s ({last})")


# --------------------------------------------------------------------------- CPU accounting

def _proc_ticks(pid: int) -> int:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return 0
    return int(fields[11]) + int(fields[12])  # utime + stime


def _all_procs() -> dict[int, tuple[int, str]]:
    """pid -> (ppid, comm) for every process."""
    procs = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                text = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            comm = text[text.index("(") + 1:text.rindex(")")]
            procs[int(entry)] = (int(text.rsplit(")", 1)[1].split()[1]), comm)
    return procs


def _descendants(root: int, procs: dict[int, tuple[int, str]]) -> set[int]:
    found = {root}
    grew = True
    while grew:
        grew = False
        for pid, (ppid, _) in procs.items():
            if ppid in found and pid not in found:
                found.add(pid)
                grew = True
    return found


def _machine_ticks() -> tuple[int, int]:
    """(busy, total) jiffies over all cores, from /proc/stat."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = values[3] + values[4]  # idle + iowait
    total = sum(values[:8])
    return total - idle, total


@dataclasses.dataclass
class CpuSnapshot:
    server: dict[int, int]
    postgres: dict[int, int]
    machine: tuple[int, int]
    at: float


def _is_our_postgres(pid: int, database: str) -> bool:
    """A backend of our database, or a server process of no database (WAL writer, ...)."""
    try:
        title = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return False
    client = "127.0.0.1(" in title or "[local]" in title or "::1(" in title
    return not client or f" {database} " in title


def _cpu_snapshot(server_pid: int | None, database: str) -> CpuSnapshot:
    procs = _all_procs()
    server = {p: _proc_ticks(p) for p in _descendants(server_pid, procs)} if server_pid else {}
    postgres = {p: _proc_ticks(p) for p, (_, comm) in procs.items()
                if comm.startswith(("postgres", "postmaster")) and _is_our_postgres(p, database)}
    return CpuSnapshot(server, postgres, _machine_ticks(), time.monotonic())


def _cpu_share(before: CpuSnapshot, after: CpuSnapshot) -> dict[str, float]:
    """CPU seconds used between two snapshots, and the machine's busy share."""
    def used(a: dict[int, int], b: dict[int, int]) -> float:
        return sum(b[p] - a.get(p, 0) for p in b) / CLK_TCK

    busy = after.machine[0] - before.machine[0]
    total = max(after.machine[1] - before.machine[1], 1)
    return {"server_s": used(before.server, after.server),
            "postgres_s": used(before.postgres, after.postgres),
            "machine_busy": busy / total,
            "machine_s": busy / CLK_TCK}


def wait_for_quiet(threshold: float, max_wait: float) -> float:
    """Wait (bounded) until other processes leave the cores idle; returns the last busy share."""
    deadline = time.monotonic() + max_wait
    while True:
        first = _machine_ticks()
        time.sleep(1.0)
        second = _machine_ticks()
        busy = (second[0] - first[0]) / max(second[1] - first[1], 1)
        if busy <= threshold or time.monotonic() >= deadline:
            if busy > threshold:
                log(f"the machine is still {busy:.0%} busy with other work after {max_wait:.0f} s; "
                    "measuring anyway (see the 'others' column)")
            return busy
        log(f"machine {busy:.0%} busy with other work; waiting for it to quiet down")


# --------------------------------------------------------------------------- database

def _sqlalchemy_to_libpq(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(("postgresql",) + tuple(parts[1:]))


def _with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/" + name))


def _database_name(url: str) -> str:
    return urlsplit(url).path.lstrip("/")


def recreate_database(url: str) -> None:
    import psycopg

    name = _database_name(url)
    if "bench" not in name or not re.fullmatch(r"[A-Za-z0-9_]+", name):
        raise BenchError(f"refusing to drop database {name!r}: its name must contain 'bench' "
                         "(or pass --no-recreate to use it as it is)")
    admin = _sqlalchemy_to_libpq(_with_database(url, "postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def _loyalty_env(url: str, log_level: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(LOYALTY_DATABASE_URL=url, LOYALTY_LOG_LEVEL=log_level)
    return env


def _loyalty_bin() -> str:
    local = Path(sys.executable).with_name("loyalty")
    return str(local) if local.exists() else (shutil.which("loyalty") or "loyalty")


def prepare_service_database(url: str, secret: str) -> tuple[int, str]:
    """Upgrade the schema; find or create the Shopify shop. Returns its id and webhook secret."""
    import psycopg

    env = _loyalty_env(url, "WARNING")
    subprocess.run([_loyalty_bin(), "db", "upgrade"], env=env, check=True, cwd=REPO,
                   stdout=subprocess.DEVNULL, timeout=120)
    with psycopg.connect(_sqlalchemy_to_libpq(url)) as conn:
        row = conn.execute("SELECT id, webhook_secret FROM shops WHERE platform = 'shopify' "
                           "AND domain = %s", (DOMAIN,)).fetchone()
    if row is not None:
        return int(row[0]), row[1]
    out = subprocess.run([_loyalty_bin(), "shop", "create", "--platform", "shopify", "--domain",
                          DOMAIN, "--webhook-secret", secret, "--json"],
                         env=env, check=True, cwd=REPO, capture_output=True, text=True, timeout=60)
    shop = json.loads(out.stdout)
    return int(shop["id"]), shop["webhook_secret"]


def count_rows(url: str, sql: str, params: tuple) -> int:
    import psycopg

    with psycopg.connect(_sqlalchemy_to_libpq(url)) as conn:
        return conn.execute(sql, params).fetchone()[0]


# --------------------------------------------------------------------------- payloads

def sign(body: bytes, secret: str) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def _money(amount: str) -> dict:
    return {"shop_money": {"amount": amount, "currency_code": "USD"},
            "presentment_money": {"amount": amount, "currency_code": "USD"}}


def compact_order(order_id: int, customer_id: int) -> dict:
    """A modern paid order, as in tests/factories.py ``shopify_order()``."""
    subtotal = f"{50 + order_id % 200}.00"
    return {
        "id": order_id, "name": f"#B{order_id}", "email": f"c{customer_id}@bench.example",
        "currency": "USD", "presentment_currency": "USD", "financial_status": "paid",
        "fulfillment_status": None, "cancelled_at": None, "test": False, "taxes_included": False,
        "updated_at": "2026-11-20T10:00:00-05:00",
        "subtotal_price": subtotal, "subtotal_price_set": _money(subtotal),
        "total_tax": "8.00", "total_tax_set": _money("8.00"),
        "total_shipping_price_set": _money("10.00"),
        "line_items": [{"id": order_id * 10 + 1, "price": subtotal, "quantity": 1,
                        "gift_card": False, "price_set": _money(subtotal),
                        "total_discount": "0.00", "discount_allocations": [], "tax_lines": []}],
        "customer": {"id": customer_id, "email": f"c{customer_id}@bench.example",
                     "first_name": "Bench", "last_name": f"Customer{customer_id}"},
        "refunds": [], "discount_codes": [],
    }


_FULL_TEMPLATE: dict | None = None


def full_order(order_id: int, customer_id: int) -> dict:
    """The full REST order of tests/fixtures/shopify/order.json, made paid and distinct."""
    global _FULL_TEMPLATE
    if _FULL_TEMPLATE is None:
        raw = json.loads((REPO / "tests/fixtures/shopify/order.json").read_text())
        _FULL_TEMPLATE = raw.get("order", raw)
    order = json.loads(json.dumps(_FULL_TEMPLATE))
    email = f"c{customer_id}@bench.example"
    order.update(id=order_id, name=f"#B{order_id}", email=email, financial_status="paid",
                 test=False, cancelled_at=None, order_number=order_id % 1_000_000)
    customer = dict(order.get("customer") or {})
    customer.update(id=customer_id, email=email)
    order["customer"] = customer
    return order


PAYLOADS = {"compact": compact_order, "full": full_order}


def _raw_request(shop_id: int, secret: str, delivery_id: str, body: bytes) -> bytes:
    head = (f"POST /webhooks/shopify/{shop_id} HTTP/1.1\r\n"
            "Host: 127.0.0.1\r\n"
            "Content-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n"
            f"X-Shopify-Topic: {TOPIC}\r\n"
            f"X-Shopify-Hmac-Sha256: {sign(body, secret)}\r\n"
            f"X-Shopify-Shop-Domain: {DOMAIN}\r\n"
            f"X-Shopify-Webhook-Id: {delivery_id}\r\n"
            "X-Shopify-API-Version: 2026-10\r\n"
            "\r\n")
    return head.encode() + body


def write_request_files(prefix: Path, threads: int, requests: Iterable[bytes]) -> None:
    """Raw HTTP requests dealt round-robin to one file per wrk thread, as webhooks.lua reads them."""
    files = [open(f"{prefix}.{t}", "wb") for t in range(threads)]
    try:
        for n, data in enumerate(requests):
            out = files[n % threads]
            out.write(b"%d\n" % len(data))
            out.write(data)
    finally:
        for f in files:
            f.close()


def write_requests(prefix: Path, *, count: int, threads: int, run_id: str, first_id: int,
                   shop_id: int, secret: str, payload: str) -> None:
    """``count`` distinct signed deliveries, one file per wrk thread."""
    make = PAYLOADS[payload]

    def requests() -> Iterator[bytes]:
        for n in range(count):
            order_id = first_id + n
            body = json.dumps(make(order_id, order_id), separators=(",", ":")).encode()
            yield _raw_request(shop_id, secret, f"bench-{run_id}-{n}", body)

    write_request_files(prefix, threads, requests())


# --------------------------------------------------------------------------- statement count

@dataclasses.dataclass
class StatementCount:
    reads: int
    writes: list[tuple[str, str]]  # (table, verb) in order
    statements: list[str]

    @property
    def plan(self) -> str:
        return ",".join(f"{table}:{verb}" for table, verb in self.writes)


_WRITE = re.compile(r"^\s*(INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+\"?(\w+)", re.I)


def count_statements(url: str, shop_id: int, secret: str) -> StatementCount:
    """Send one distinct delivery through the app in-process and record its SQL."""
    os.environ["LOYALTY_DATABASE_URL"] = url
    os.environ["LOYALTY_LOG_LEVEL"] = "WARNING"
    from sqlalchemy import event

    from loyalty_plugin.app import create_app

    app = create_app()
    engine = app.extensions["loyalty_db"].engine
    statements: list[str] = []

    @event.listens_for(engine, "before_cursor_execute")
    def _record(_conn, _cursor, statement, *_args):
        statements.append(" ".join(statement.split()))

    try:
        client = app.test_client()
        order_id = 9 * 10**13 + int(time.time() * 1000) % 10**12
        body = json.dumps(compact_order(order_id, order_id), separators=(",", ":")).encode()
        headers = {"Content-Type": "application/json", "X-Shopify-Topic": TOPIC,
                   "X-Shopify-Hmac-Sha256": sign(body, secret), "X-Shopify-Shop-Domain": DOMAIN,
                   "X-Shopify-Webhook-Id": f"bench-count-{order_id}", "X-Shopify-API-Version": "2026-10"}
        statements.clear()
        response = client.post(f"/webhooks/shopify/{shop_id}", data=body, headers=headers)
        if response.status_code != 200 or response.get_json().get("status") != "processed":
            raise BenchError(f"counting delivery failed: {response.status_code} "
                             f"{response.get_data(as_text=True)[:500]}")
    finally:
        engine.dispose()
    writes = []
    reads = 0
    for statement in statements:
        match = _WRITE.match(statement)
        if match:
            writes.append((match.group(2).lower(), match.group(1).split()[0].upper()))
        elif statement.upper().startswith(("SELECT", "WITH")):
            reads += 1
    return StatementCount(reads, writes, statements)


# --------------------------------------------------------------------------- runs

@dataclasses.dataclass(frozen=True)
class ServerConfig:
    worker_class: str
    workers: int
    threads: int = 1

    @classmethod
    def parse(cls, text: str) -> "ServerConfig":
        # sync:5   gthread:2x8 (2 workers x 8 threads)
        kind, _, rest = text.strip().partition(":")
        if kind not in ("sync", "gthread") or not rest:
            raise argparse.ArgumentTypeError(f"bad config {text!r}: use sync:N or gthread:NxT")
        workers, _, threads = rest.partition("x")
        return cls(kind, int(workers), int(threads or (1 if kind == "sync" else 4)))

    def __str__(self) -> str:
        return (f"{self.worker_class}:{self.workers}" if self.worker_class == "sync"
                else f"{self.worker_class}:{self.workers}x{self.threads}")

    def gunicorn_args(self) -> list[str]:
        args = ["--workers", str(self.workers), "--worker-class", self.worker_class]
        if self.worker_class == "gthread":
            args += ["--threads", str(self.threads)]
        # The settings `loyalty serve` runs under (access log, timeouts, no control socket,
        # the app's start-up objects frozen out of garbage collection), for both targets.
        return args + ["--config", "python:loyalty_plugin.gunicorn_conf"]


@dataclasses.dataclass
class Result:
    name: str
    config: ServerConfig
    requests: int
    duration_s: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    errors: dict[str, int]
    wrk_cpu_s: float
    cpu: dict[str, float]

    @property
    def rate(self) -> float:
        return self.requests / self.duration_s


_BENCH_LINE = re.compile(r"^BENCH (.*)$", re.M)


def run_wrk(url: str, prefix: Path, *, threads: int, connections: int, duration: float,
            timeout_s: float) -> tuple[dict[str, float], float, str]:
    cmd = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{duration:g}s", f"--timeout={timeout_s:g}s",
           "-s", str(BENCH_DIR / "webhooks.lua"), url, "--", str(prefix)]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    proc = _spawn(cmd, stdout=subprocess.PIPE)
    try:
        out, _ = proc.communicate(timeout=duration + 60)
    except subprocess.TimeoutExpired:
        raise BenchError(f"wrk did not finish within {duration + 60:.0f} s") from None
    finally:
        _forget(proc)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    wrk_cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    text = out.decode(errors="replace")
    match = _BENCH_LINE.search(text)
    if proc.returncode != 0 or not match:
        raise BenchError(f"wrk failed (exit {proc.returncode}):\n{text[-3000:]}")
    fields = {k: float(v) for k, v in (item.split("=") for item in match.group(1).split())}
    return fields, wrk_cpu, text


def _log_errors(log_path: Path | None) -> str:
    """The server log's last lines that are neither access log nor INFO, for an error report."""
    if log_path is None or not log_path.exists():
        return ""
    lines = [line for line in log_path.read_text(errors="replace").splitlines()
             if " INFO " not in line and '" 200 ' not in line and "[INFO]" not in line]
    return "\nserver log (" + str(log_path) + "), last lines:\n" + "\n".join(lines[-30:])


class Bench:
    def __init__(self, args: argparse.Namespace, workdir: Path):
        self.args = args
        self.workdir = workdir
        # Ids unique across runs too, for --no-recreate.
        self.next_id = (int(time.time()) % 10**7) * 10**6
        self.runs = 0

    def _requests(self, tag: str, count: int) -> tuple[Path, str, int]:
        self.runs += 1
        run_id = f"{self.runs}{tag}"
        prefix = self.workdir / f"req-{run_id}"
        first = self.next_id
        self.next_id += count + 1000
        write_requests(prefix, count=count, threads=self.args.wrk_threads, run_id=run_id,
                       first_id=first, shop_id=self.shop_id, secret=self.secret,
                       payload=self.args.payload)
        return prefix, run_id, first

    def _start(self, name: str, config: ServerConfig) -> tuple[subprocess.Popen, str, Path]:
        port = _free_port()
        log_path = self.workdir / f"{name}-{str(config).replace(':', '-')}-{port}.log"
        cmd = [str(Path(sys.executable).with_name("gunicorn")), "--bind", f"127.0.0.1:{port}",
               *config.gunicorn_args()]
        env = dict(os.environ)
        if name == "ceiling":
            env.update(BENCH_CEILING_DSN=_sqlalchemy_to_libpq(self.db_url),
                       BENCH_CEILING_PLAN=self.plan)
            cmd += ["--pythonpath", str(BENCH_DIR), "ceiling_wsgi:app"]
        else:
            env.update(LOYALTY_DATABASE_URL=self.db_url, LOYALTY_LOG_LEVEL=self.args.log_level)
            cmd += ["loyalty_plugin.app:create_app()"]
        with open(log_path, "wb") as log_file:
            proc = _spawn(cmd, env=env, stdout=log_file)
        url = f"http://127.0.0.1:{port}"
        _wait_ready(url + "/healthz", proc, log_path)
        return proc, url, log_path

    def measure(self, name: str, config: ServerConfig, *, expected_rate: float | None) -> Result:
        args = self.args
        proc = None
        log_path = None
        try:
            if name == "service" and args.target:
                url = args.target.rstrip("/")
                _wait_ready(url + "/healthz", None, None)
            else:
                proc, url, log_path = self._start(name, config)
            # Warm up: connections, prepared statements, caches; not measured.
            if args.warmup > 0:
                count = int(args.max_rate * args.warmup) + 200
                prefix, _, _ = self._requests(f"w{name[0]}", count)
                run_wrk(url, prefix, threads=args.wrk_threads, connections=args.concurrency,
                        duration=args.warmup, timeout_s=args.wrk_timeout)
            rate = args.max_rate if expected_rate is None else max(expected_rate * 2, 250)
            count = int(rate * args.duration) + 500
            prefix, run_id, _ = self._requests(name[0], count)
            server_pid = proc.pid if proc is not None else None
            if args.quiet_wait > 0:
                wait_for_quiet(args.quiet_threshold, args.quiet_wait)
            before = _cpu_snapshot(server_pid, self.database)
            fields, wrk_cpu, text = run_wrk(url, prefix, threads=args.wrk_threads,
                                            connections=args.concurrency, duration=args.duration,
                                            timeout_s=args.wrk_timeout)
            after = _cpu_snapshot(server_pid, self.database)
        finally:
            if proc is not None:
                _forget(proc, grace=25)
        if fields["exhausted_threads"]:
            raise BenchError(f"{name}: wrk used {fields['used']:.0f} requests but only "
                             f"{fields['available']:.0f} were prepared; raise --max-rate")
        errors = {k: int(fields[k]) for k in ("connect_errors", "read_errors", "write_errors",
                                              "status_errors", "timeouts")}
        if errors["status_errors"]:
            raise BenchError(f"{name}: {errors['status_errors']} responses with status >= 400:\n"
                             f"{text[-2000:]}{_log_errors(log_path)}")
        result = Result(name, config, int(fields["requests"]), fields["duration_us"] / 1e6,
                        fields["p50_us"] / 1000, fields["p90_us"] / 1000, fields["p99_us"] / 1000,
                        fields["max_us"] / 1000, errors, wrk_cpu, _cpu_share(before, after))
        self._verify(name, run_id, result)
        return result

    def _verify(self, name: str, run_id: str, result: Result) -> None:
        if name == "service" and self.args.target and not self.args.database_url_given:
            return
        like = f"bench-{run_id}-%"
        if name == "service":
            done = count_rows(self.db_url, "SELECT count(*) FROM inbound_deliveries WHERE "
                              "delivery_id LIKE %s AND status = 'processed'", (like,))
            other = count_rows(self.db_url, "SELECT count(*) FROM inbound_deliveries WHERE "
                               "delivery_id LIKE %s AND status <> 'processed'", (like,))
        else:
            done = count_rows(self.db_url, "SELECT count(*) FROM ceiling_deliveries WHERE "
                              "delivery_id LIKE %s AND status = 'processed'", (like,))
            other = 0
        # wrk stops with requests in flight: the server may finish a few more than wrk counted.
        if done < result.requests or other:
            raise BenchError(f"{name}: wrk counted {result.requests} responses but the database has "
                             f"{done} processed deliveries and {other} others for run {run_id}")

    def setup(self) -> None:
        args = self.args
        self.db_url = args.database_url
        self.database = _database_name(self.db_url)
        if args.recreate:
            log(f"recreating database {self.database}")
            recreate_database(self.db_url)
        local_shop_id, self.secret = prepare_service_database(self.db_url, args.secret)
        # The shop the counted delivery goes to, in the benchmark database...
        self.count_shop_id, self.count_secret = local_shop_id, self.secret
        # ...and the one the measured requests name (the ceiling gets a shop of that id too).
        self.shop_id = args.shop_id if args.target else local_shop_id
        if args.target:
            self.secret = args.secret
        if args.ceiling_plan:
            self.plan = args.ceiling_plan
            self.count = None
            log(f"ceiling plan from --ceiling-plan: {self.plan}")
        else:
            try:
                self.count = count_statements(self.db_url, self.count_shop_id, self.count_secret)
                self.plan = self.count.plan
            except Exception as exc:  # e.g. --target with a database we cannot write
                if args.target:
                    log(f"could not count the service's statements ({exc}); using the fallback plan")
                    self.count, self.plan = None, FALLBACK_PLAN
                else:
                    raise
        from ceiling_wsgi import create_schema  # noqa: E402  (bench/ceiling_wsgi.py)

        create_schema(_sqlalchemy_to_libpq(self.db_url), shop_id=self.shop_id, domain=DOMAIN,
                      secret=self.secret)


def _import_ceiling_module() -> None:
    bench_loading.load("ceiling_wsgi", "ceiling_wsgi.py")


def _cpu_parts(result: Result, cores: int) -> dict[str, float]:
    """Shares of all cores during the measured run, in percent."""
    window = result.duration_s * cores / 100
    cpu = result.cpu
    wrk, server, postgres = result.wrk_cpu_s, cpu["server_s"], cpu["postgres_s"]
    others = max(cpu["machine_s"] - wrk - server - postgres, 0.0)
    return {"wrk": wrk / window, "gunicorn": server / window, "postgres": postgres / window,
            "others": others / window, "machine": 100 * cpu["machine_busy"]}


def _fmt_cpu(result: Result, cores: int) -> str:
    parts = _cpu_parts(result, cores)
    server = f"{parts['gunicorn']:7.0f}%" if result.cpu["server_s"] else "       -"
    return (f"{parts['wrk']:5.1f}% {server} {parts['postgres']:7.0f}% {parts['others']:5.0f}% "
            f"{parts['machine']:6.0f}%")


def report(results: list[tuple[Result, Result]], count: StatementCount | None, plan: str,
           args: argparse.Namespace) -> int:
    cores = os.cpu_count() or 1
    writes = plan.count(":")
    print()
    print(f"Signed Shopify {TOPIC} deliveries, distinct orders and customers, "
          f"{args.payload} payload, {args.concurrency} concurrent senders (wrk -t{args.wrk_threads} "
          f"-c{args.concurrency}), {args.duration:g} s per target, {cores} cores")
    if count is not None:
        print(f"Per delivery the service ran {count.reads} reads and {len(count.writes)} writes "
              f"({', '.join(f'{t}:{v}' for t, v in count.writes)}); the ceiling runs 1 read and "
              f"the same {writes} writes in plain SQL (psycopg).")
    else:
        print(f"The ceiling runs 1 read and {writes} writes in plain SQL (psycopg): {plan}")
    print("CPU columns: share of all cores during the measured run taken by wrk, the gunicorn "
          "master and workers, PostgreSQL (this database's backends and the server's own "
          "processes), everything else on the machine, and the machine in total.")
    print()
    header = (f"{'config':<14} {'target':<8} {'orders/s':>9} {'p50 ms':>7} {'p90 ms':>7} "
              f"{'p99 ms':>7} {'max ms':>7} {'errors':>6}  {'wrk':>6} {'gunicorn':>8} {'postgres':>8} "
              f"{'others':>6} {'machine':>7}")
    print(header)
    print("-" * len(header))
    status = 0
    noisy = False
    verdicts = []
    for ceiling, service in results:
        for r in (ceiling, service):
            errors = sum(r.errors.values())
            print(f"{str(r.config):<14} {r.name:<8} {r.rate:9.1f} {r.p50_ms:7.2f} {r.p90_ms:7.2f} "
                  f"{r.p99_ms:7.2f} {r.max_ms:7.1f} {errors:6d}  {_fmt_cpu(r, cores)}")
            # (with --target the service's own CPU is in "others": no warning for that row)
            if r.cpu["server_s"] and _cpu_parts(r, cores)["others"] > 10:
                noisy = True
        ratio = service.rate / ceiling.rate if ceiling.rate else 0.0
        ok_ratio = ratio >= TARGET_RATIO
        ok_p99 = service.p99_ms < TARGET_P99_MS
        if not (ok_ratio and ok_p99):
            status = 1
        verdicts.append(
            f"{str(service.config):<14} service/ceiling = {ratio:5.1%} "
            f"[{'PASS' if ok_ratio else 'FAIL'} >= {TARGET_RATIO:.0%}]   "
            f"service p99 = {service.p99_ms:.2f} ms [{'PASS' if ok_p99 else 'FAIL'} < "
            f"{TARGET_P99_MS:g} ms]   ceiling p99 = {ceiling.p99_ms:.2f} ms")
    if noisy:
        print("WARNING: other processes used more than 10 % of the cores during a measured run; "
              "the figures are disturbed (run again on a quiet machine)")
    print()
    for line in verdicts:
        print(line)
    if len(results) > 1:
        best = max(results, key=lambda pair: (pair[1].p99_ms < TARGET_P99_MS, pair[1].rate))
        print(f"best configuration for the service: {best[1].config} "
              f"({best[1].rate:.1f} orders/s, p99 {best[1].p99_ms:.2f} ms)")
    return status


def serve_workers(database_url: str) -> int:
    """The sync workers ``loyalty serve`` runs on this machine for a service using ``database_url``."""
    from sqlalchemy.engine import make_url

    from loyalty_plugin.server import default_workers

    return default_workers(make_url(database_url))


def build_parser(description: str | None = None,
                 default_db_url: str = DEFAULT_DB_URL) -> argparse.ArgumentParser:
    """The command line of this benchmark; bench/redeem.py adds its own options to it."""
    p = argparse.ArgumentParser(description=description or __doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.set_defaults(default_db_url=default_db_url)
    p.add_argument("-c", "--concurrency", type=int, default=16, help="concurrent senders (wrk -c)")
    p.add_argument("-d", "--duration", type=float, default=10.0, help="seconds measured per target")
    p.add_argument("--warmup", type=float, default=2.0, help="unmeasured seconds before each run")
    p.add_argument("--workers", type=int, help="sync workers (default: as `loyalty serve` would "
                   "run for the database); shorthand for --configs sync:N")
    p.add_argument("--configs", help="comma-separated server configurations, each measured for "
                   "ceiling and service: sync:N or gthread:NxT (N workers of T threads)")
    p.add_argument("--wrk-threads", type=int, default=2, help="wrk threads (wrk -t)")
    p.add_argument("--wrk-timeout", type=float, default=5.0, help="wrk per-request timeout, s")
    p.add_argument("--payload", choices=sorted(PAYLOADS), default="compact",
                   help="compact: tests/factories.py style order (~1 KB); full: the REST fixture "
                   "tests/fixtures/shopify/order.json (~5 KB)")
    p.add_argument("--max-rate", type=float, default=4000.0,
                   help="orders/s to prepare requests for (the ceiling's run and the warm-ups; "
                   "the service's run gets 2 x the ceiling's measured rate)")
    p.add_argument("--quiet-wait", type=float, default=60.0,
                   help="before each measured run, wait up to this many seconds for other work on "
                   "the machine to stop (0: do not wait)")
    p.add_argument("--quiet-threshold", type=float, default=0.15,
                   help="the machine counts as quiet below this busy share of all cores")
    p.add_argument("--log-level", default="INFO", help="LOYALTY_LOG_LEVEL for the service")
    p.add_argument("--database-url", default=None,
                   help=f"SQLAlchemy URL of the benchmark database (default {default_db_url})")
    p.add_argument("--no-recreate", dest="recreate", action="store_false",
                   help="do not drop and recreate the database; upgrade and use it as it is")
    p.add_argument("--target", help="URL of an already running service to measure instead of "
                   "starting one (the ceiling is still started here); needs --shop-id and --secret "
                   "of a Shopify shop with domain " + DOMAIN)
    p.add_argument("--shop-id", type=int, help="shop id at --target")
    p.add_argument("--secret", default="bench-webhook-secret", help="the shop's webhook secret")
    p.add_argument("--ceiling-plan", help="the ceiling's writes as table:VERB,... instead of "
                   "counting the service's statements")
    p.add_argument("--show-statements", action="store_true",
                   help="print the SQL the service ran for the counted delivery")
    p.add_argument("--keep-files", action="store_true", help="keep request files and server logs")
    return p


def finish_args(p: argparse.ArgumentParser, args: argparse.Namespace) -> argparse.Namespace:
    """Defaults that depend on other options, and the checks argparse cannot make."""
    args.database_url_given = args.database_url is not None
    args.database_url = args.database_url or args.default_db_url
    if args.configs:
        args.configs = [ServerConfig.parse(c) for c in args.configs.split(",") if c.strip()]
    else:
        args.configs = [ServerConfig("sync", args.workers or serve_workers(args.database_url))]
    if args.target:
        if args.shop_id is None:
            p.error("--target needs --shop-id (and --secret) of a shop on that service")
        args.recreate = args.recreate and not args.database_url_given
    if shutil.which("wrk") is None:
        p.error("wrk is not installed (apt-get install wrk)")
    return args


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = build_parser()
    return finish_args(p, p.parse_args(argv))


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    atexit.register(_stop_all)
    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGINT, _on_signal)
    workdir = Path(tempfile.mkdtemp(prefix="loyalty-bench-"))
    _import_ceiling_module()
    bench = Bench(args, workdir)
    try:
        bench.setup()
        if args.show_statements and bench.count is not None:
            for statement in bench.count.statements:
                print("  " + statement[:160], file=sys.stderr)
        results = []
        for config in args.configs:
            log(f"{config}: ceiling")
            ceiling = bench.measure("ceiling", config, expected_rate=None)
            log(f"{config}: ceiling {ceiling.rate:.1f}/s p99 {ceiling.p99_ms:.2f} ms; service")
            service = bench.measure("service", config, expected_rate=ceiling.rate)
            log(f"{config}: service {service.rate:.1f}/s p99 {service.p99_ms:.2f} ms")
            results.append((ceiling, service))
        return report(results, bench.count, bench.plan, args)
    except BenchError as exc:
        print(f"BENCHMARK FAILED: {exc}", file=sys.stderr)
        args.keep_files = True  # the server logs explain it
        return 2
    finally:
        _stop_all()
        if args.keep_files:
            log(f"request files and server logs kept in {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
