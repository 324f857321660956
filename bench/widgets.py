#!/usr/bin/env python3
"""Signed-in widget summary reads on PostgreSQL with 100k customers, against a ceiling.

Run from the repository root with the project's virtualenv::

    python bench/widgets.py                        # 100k customers, 8 senders, 10 s per target
    python bench/widgets.py --configs sync:5,gthread:2x4 --concurrency 4,8,16
    python bench/widgets.py --no-recreate          # reuse the seeded database

What it does, in one run:

1. Recreates the PostgreSQL database ``loyalty_bench_widgets`` (only a database
   whose name contains "bench" is ever dropped), upgrades it, and seeds one
   Shopify shop with two tiers, five rewards and ``--customers`` customers (three
   earn entries each, a tier for those who reached one, a code for every fifth),
   in plain SQL, then VACUUM (ANALYZE), as autovacuum would leave its tables.
2. Counts the statements the service runs for one summary (SQLAlchemy
   ``before_cursor_execute`` through Flask's test client) and prints them.
3. For each server configuration and concurrency, ``--rounds`` times, one after the other: starts
   gunicorn with the CEILING (``--ceiling``; by default the service's own app with the
   summary view answering a constant once the shop, the Origin and the digest are
   checked: bench/widget_ceilings/widget_ceiling_app.py), warms it up,
   drives it with wrk, stops it; then the same for the SERVICE
   (``loyalty_plugin.app:create_app()``), with the same gunicorn command line.
   Every request is ``GET /widget/v1/<shop>/summary`` for one of
   ``--distinct`` customers picked at random, signed beforehand, with the
   storefront's ``Origin``, as the loader sends it.
4. Refuses the run if any response is not 2xx; prints requests/s, latency
   percentiles and CPU shares of every run, then per configuration and concurrency
   the median round's ratio service/ceiling and the median of the service's p99,
   with PASS/FAIL against the targets (>= 50 % of the ceiling, p99 < 10 ms).

Before each run the database's tables and indexes are read into the operating
system's cache (``pg_prewarm``): a shop's working set lives in memory, and on a
2-core virtual machine with a slow disk, pages read from it stalled the summaries
for hundreds of milliseconds while the ceiling, which reads nothing, ran on untouched.

Each round pairs a ceiling run with the service run right after it: on a shared
machine either run alone can land in a slow moment, so one pair decides nothing
and the median pair is the figure to read.

Process handling, CPU accounting and the quiet-machine wait are bench/webhooks.py's.
Exit status: 0 targets met, 1 a target missed, 2 the benchmark itself failed.
"""
from __future__ import annotations

import argparse
import atexit
import hashlib
import hmac
import json
import os
import random
import re
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import psycopg

import bench_loading  # before any import of the service: it takes bench/ off sys.path
from bench_loading import BENCH_DIR

# Not bench/ itself: there, this file would shadow the ``widgets`` package in gunicorn.
CEILINGS = BENCH_DIR / "widget_ceilings"

common = bench_loading.load("bench_webhooks", "webhooks.py")
seed = bench_loading.load("bench_widgets_seed", "widgets_seed.py").seed

DEFAULT_DB_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/loyalty_bench_widgets"
ORIGIN = "https://bench-shop.example"
TARGET_RATIO = 0.50
TARGET_P99_MS = 10.0
log = common.log
BenchError = common.BenchError


def count_statements(url: str, shop_id: int, secret: str, customer: str) -> list[str]:
    """Send one summary through the app in-process and record its SQL."""
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
        headers = signed_headers(customer, secret)
        client.get(f"/widget/v1/{shop_id}/summary", headers=headers)  # warm caches, not counted
        statements.clear()
        response = client.get(f"/widget/v1/{shop_id}/summary", headers=headers)
        if response.status_code != 200 or response.get_json().get("mode") != "customer":
            raise BenchError(f"counting summary failed: {response.status_code} "
                             f"{response.get_data(as_text=True)[:500]}")
    finally:
        engine.dispose()
    return statements


def signed_headers(customer: str, secret: str) -> dict[str, str]:
    digest = hmac.new(secret.encode(), customer.encode(), hashlib.sha256).hexdigest()
    return {"X-Loyalty-Customer": customer, "X-Loyalty-Digest": digest, "Origin": ORIGIN}


def write_requests(prefix: Path, *, shop_id: int, secret: str, customers: int, distinct: int,
                   threads: int, seed_value: int) -> None:
    """``distinct`` signed summary requests for random customers, dealt to one file per wrk thread."""
    rng = random.Random(seed_value)
    files = [open(f"{prefix}.{t}", "wb") for t in range(threads)]
    try:
        for n in range(distinct):
            headers = signed_headers(f"c{rng.randint(1, customers)}", secret)
            data = (f"GET /widget/v1/{shop_id}/summary HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                    + "".join(f"{k}: {v}\r\n" for k, v in headers.items())
                    + "Accept: application/json\r\n\r\n").encode()
            out = files[n % threads]
            out.write(b"%d\n" % len(data))
            out.write(data)
    finally:
        for f in files:
            f.close()


_BENCH_LINE = re.compile(r"^BENCH (.*)$", re.M)


def run_wrk(url: str, prefix: Path, *, threads: int, connections: int, duration: float,
            timeout_s: float) -> tuple[dict[str, float], float, str]:
    threads = min(threads, connections)  # wrk wants a connection per thread at least
    cmd = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{duration:g}s", f"--timeout={timeout_s:g}s",
           "-s", str(BENCH_DIR / "widgets.lua"), url, "--", str(prefix)]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    proc = common._spawn(cmd, stdout=subprocess.PIPE)
    try:
        out, _ = proc.communicate(timeout=duration + 60)
    except subprocess.TimeoutExpired:
        raise BenchError(f"wrk did not finish within {duration + 60:.0f} s") from None
    finally:
        common._forget(proc)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    wrk_cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    text = out.decode(errors="replace")
    match = _BENCH_LINE.search(text)
    if proc.returncode != 0 or not match:
        raise BenchError(f"wrk failed (exit {proc.returncode}):\n{text[-3000:]}")
    return {k: float(v) for k, v in (i.split("=") for i in match.group(1).split())}, wrk_cpu, text


class Bench:
    def __init__(self, args: argparse.Namespace, workdir: Path):
        self.args = args
        self.workdir = workdir
        self.db_url = args.database_url
        self.database = common._database_name(self.db_url)

    def setup(self) -> None:
        args = self.args
        if args.recreate:
            log(f"recreating database {self.database}")
            common.recreate_database(self.db_url)
        started = time.monotonic()
        self.shop_id, self.secret = seed(self.db_url, customers=args.customers, origin=ORIGIN)
        log(f"seeded {args.customers} customers in {time.monotonic() - started:.0f} s")
        self.statements = count_statements(self.db_url, self.shop_id, self.secret, "c1")
        self.can_prewarm = self._enable_prewarm()
        self.prefix = self.workdir / "req"
        write_requests(self.prefix, shop_id=self.shop_id, secret=self.secret, customers=args.customers,
                       distinct=args.distinct, threads=args.wrk_threads, seed_value=args.seed)

    def _start(self, name: str, config) -> tuple[subprocess.Popen, str, Path]:
        port = common._free_port()
        log_path = self.workdir / f"{name}-{str(config).replace(':', '-')}-{port}.log"
        cmd = [str(Path(sys.executable).with_name("gunicorn")), "--bind", f"127.0.0.1:{port}",
               *config.gunicorn_args()]
        env = dict(os.environ)
        if name == "ceiling" and self.args.ceiling == "wsgi":
            env["BENCH_CEILING_DSN"] = common._sqlalchemy_to_libpq(self.db_url)
            cmd += ["--pythonpath", str(CEILINGS), "widget_ceiling_wsgi:app"]
        elif name == "ceiling":
            env.update(LOYALTY_DATABASE_URL=self.db_url, LOYALTY_LOG_LEVEL=self.args.log_level)
            factory = "create_reading()" if self.args.ceiling == "reading" else "create()"
            cmd += ["--pythonpath", str(CEILINGS), f"widget_ceiling_app:{factory}"]
        else:
            env.update(LOYALTY_DATABASE_URL=self.db_url, LOYALTY_LOG_LEVEL=self.args.log_level)
            cmd += ["loyalty_plugin.app:create_app()"]
        with open(log_path, "wb") as log_file:
            proc = common._spawn(cmd, env=env, stdout=log_file)
        url = f"http://127.0.0.1:{port}"
        common._wait_ready(url + "/healthz", proc, log_path)
        self._check(name, url)
        return proc, url, log_path

    def _check(self, name: str, url: str) -> None:
        """One signed request before measuring: the target answers what it should."""
        request = urllib.request.Request(f"{url}/widget/v1/{self.shop_id}/summary",
                                         headers=signed_headers("c2", self.secret))
        with urllib.request.urlopen(request, timeout=10) as response:
            body = json.loads(response.read())
            if name == "service" and (body.get("mode") != "customer"
                                      or response.headers.get("Access-Control-Allow-Origin") != ORIGIN):
                raise BenchError(f"service answered an unexpected summary: {str(body)[:300]}")

    def _enable_prewarm(self) -> bool:
        with psycopg.connect(common._sqlalchemy_to_libpq(self.db_url), autocommit=True) as conn:
            try:
                conn.execute("CREATE EXTENSION IF NOT EXISTS pg_prewarm")
            except psycopg.Error as exc:
                log(f"pg_prewarm is not available, the cache stays as it is: {exc}".strip())
                return False
        return True

    def prewarm(self) -> None:
        """Read every table and index of the database into the operating system's cache."""
        if not self.can_prewarm:
            return
        with psycopg.connect(common._sqlalchemy_to_libpq(self.db_url), autocommit=True) as conn:
            conn.execute("SELECT pg_prewarm(c.oid, 'read') FROM pg_class c JOIN pg_namespace n"
                         " ON n.oid = c.relnamespace WHERE n.nspname = 'public' AND c.relkind IN ('r', 'i')")

    def measure(self, name: str, config, connections: int):
        args = self.args
        self.prewarm()
        proc, url, log_path = self._start(name, config)
        try:
            if args.warmup > 0:
                run_wrk(url, self.prefix, threads=args.wrk_threads, connections=connections,
                        duration=args.warmup, timeout_s=args.wrk_timeout)
            if args.quiet_wait > 0:
                common.wait_for_quiet(args.quiet_threshold, args.quiet_wait)
            before = common._cpu_snapshot(proc.pid, self.database)
            fields, wrk_cpu, text = run_wrk(url, self.prefix, threads=args.wrk_threads,
                                            connections=connections, duration=args.duration,
                                            timeout_s=args.wrk_timeout)
            after = common._cpu_snapshot(proc.pid, self.database)
        finally:
            common._forget(proc, grace=25)
        errors = {k: int(fields[k]) for k in ("connect_errors", "read_errors", "write_errors",
                                              "status_errors", "timeouts")}
        if errors["status_errors"] or errors["timeouts"]:
            raise BenchError(f"{name}: {errors} \n{text[-2000:]}{common._log_errors(log_path)}")
        return common.Result(name, config, int(fields["requests"]), fields["duration_us"] / 1e6,
                             fields["p50_us"] / 1000, fields["p90_us"] / 1000, fields["p99_us"] / 1000,
                             fields["max_us"] / 1000, errors, wrk_cpu, common._cpu_share(before, after))


def cpu_ms(result) -> float:
    """Gunicorn's and PostgreSQL's CPU time per request, in ms: what a request costs the
    machine, whatever else ran beside it (the request rate depends on that, this does not)."""
    used = result.cpu["server_s"] + result.cpu["postgres_s"]
    return 1000 * used / result.requests if result.requests else 0.0


def report(results: list, statements: list[str], args: argparse.Namespace) -> int:
    cores = os.cpu_count() or 1
    reads = sum(1 for s in statements if s.upper().startswith(("SELECT", "WITH")))
    print()
    print(f"Signed-in GET /widget/v1/<shop>/summary, {args.customers} customers ({args.distinct} "
          f"distinct signed requests, random customers), wrk -t{args.wrk_threads}, "
          f"{args.duration:g} s per target, {cores} cores")
    ceiling = {
        "app": "the service's app with the summary view answering a constant once the shop, its "
               "settings, the Origin and the digest are checked",
        "reading": "the service's app with the summary view reading the customer's account row in "
                   "1 SELECT once the shop, its settings, the Origin and the digest are checked, "
                   "then answering a constant",
        "wsgi": "a bare WSGI callable: 1 SELECT of the shop's widget secret, the digest checked, "
                "a constant answered"}[args.ceiling]
    print(f"Per summary the service ran {len(statements)} statements ({reads} SELECT); "
          f"ceiling: {ceiling}.")
    print("cpu ms: gunicorn's and PostgreSQL's CPU time per request. CPU columns: share of all "
          "cores taken by wrk, the gunicorn master and workers, PostgreSQL, everything else, and "
          "the machine in total. On a busy machine the CPU-per-request ratio is the steadier figure.")
    print()
    header = (f"{'config':<12} {'conns':>5} {'round':>5} {'target':<8} {'req/s':>8} {'p50 ms':>7} "
              f"{'p90 ms':>7} {'p99 ms':>7} {'max ms':>7} {'errors':>6} {'cpu ms':>6}  {'wrk':>6} "
              f"{'gunicorn':>8} {'postgres':>8} {'others':>6} {'machine':>7}")
    print(header)
    print("-" * len(header))
    status, verdicts = 0, []
    for connections, pairs in results:
        for round_, pair in enumerate(pairs, start=1):
            for r in pair:
                print(f"{str(r.config):<12} {connections:>5} {round_:>5} {r.name:<8} {r.rate:8.1f} "
                      f"{r.p50_ms:7.2f} {r.p90_ms:7.2f} {r.p99_ms:7.2f} {r.max_ms:7.1f} "
                      f"{sum(r.errors.values()):6d} {cpu_ms(r):6.2f}  {common._fmt_cpu(r, cores)}")
        ratios = [service.rate / ceiling.rate if ceiling.rate else 0.0 for ceiling, service in pairs]
        costs = [cpu_ms(ceiling) / cpu_ms(service) if cpu_ms(service) else 0.0 for ceiling, service in pairs]
        ratio, cost_ratio = statistics.median(ratios), statistics.median(costs)
        p99 = statistics.median(service.p99_ms for _, service in pairs)
        ok_ratio, ok_p99 = ratio >= TARGET_RATIO, p99 < TARGET_P99_MS
        status = status or (0 if ok_ratio and ok_p99 else 1)
        config = pairs[0][1].config
        verdicts.append(f"{str(config):<12} c={connections:<3} service/ceiling = {ratio:5.1%} "
                        f"[{'PASS' if ok_ratio else 'FAIL'} >= {TARGET_RATIO:.0%}]   service p99 = "
                        f"{p99:.2f} ms [{'PASS' if ok_p99 else 'FAIL'} < {TARGET_P99_MS:g} ms]   "
                        f"CPU per request ceiling/service = {cost_ratio:5.1%}")
        if len(pairs) > 1:
            verdicts.append(f"{'':<12} {'':<5} medians of {len(pairs)} rounds; the rounds' ratios: "
                            + ", ".join(f"{r:.1%}" for r in ratios) + "; service p99: "
                            + ", ".join(f"{service.p99_ms:.2f}" for _, service in pairs) + " ms")
    print()
    for line in verdicts:
        print(line)
    return status


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--customers", type=int, default=100_000, help="customers to seed")
    p.add_argument("--distinct", type=int, default=20_000, help="distinct signed requests to cycle")
    p.add_argument("--seed", type=int, default=7, help="random seed for the customers picked")
    p.add_argument("-c", "--concurrency", default="8",
                   help="comma-separated wrk connection counts, each measured for ceiling and service")
    p.add_argument("-d", "--duration", type=float, default=10.0, help="seconds measured per target")
    p.add_argument("--rounds", type=int, default=3,
                   help="ceiling-then-service pairs per configuration and concurrency; the verdict "
                   "takes the median pair's ratio and the median service p99")
    p.add_argument("--warmup", type=float, default=2.0, help="unmeasured seconds before each run")
    p.add_argument("--configs", help="server configurations: sync:N or gthread:NxT, comma-separated "
                   "(default: sync:N, as `loyalty serve` would run for the database)")
    p.add_argument("--ceiling", choices=("app", "reading", "wsgi"), default="app",
                   help="app: the service's own app with the summary view answering a constant after "
                   "the digest check (bench/widget_ceilings/widget_ceiling_app.py); reading: the same, "
                   "and the view reads the customer's account row in one SELECT first (what no summary "
                   "can do without); wsgi: a bare WSGI callable that "
                   "reads the secret in one SELECT and checks the digest (bench/widget_ceilings/widget_ceiling_wsgi.py)")
    p.add_argument("--wrk-threads", type=int, default=2, help="wrk threads (wrk -t)")
    p.add_argument("--wrk-timeout", type=float, default=5.0, help="wrk per-request timeout, s")
    p.add_argument("--quiet-wait", type=float, default=60.0,
                   help="before each measured run, wait up to this long for other work to stop")
    p.add_argument("--quiet-threshold", type=float, default=0.15,
                   help="the machine counts as quiet below this busy share of all cores")
    p.add_argument("--log-level", default="WARNING", help="LOYALTY_LOG_LEVEL for the service")
    p.add_argument("--database-url", default=DEFAULT_DB_URL, help="SQLAlchemy URL of the database")
    p.add_argument("--no-recreate", dest="recreate", action="store_false",
                   help="do not drop and recreate the database (it is seeded again only if empty)")
    p.add_argument("--show-statements", action="store_true", help="print the summary's SQL")
    p.add_argument("--keep-files", action="store_true", help="keep request files and server logs")
    args = p.parse_args(argv)
    args.configs = [common.ServerConfig.parse(c) for c in (args.configs or "").split(",") if c.strip()] \
        or [common.ServerConfig("sync", common.serve_workers(args.database_url))]
    args.concurrency = [int(c) for c in args.concurrency.split(",") if c.strip()]
    if args.rounds < 1:
        p.error("--rounds must be at least 1")
    if shutil.which("wrk") is None:
        p.error("wrk is not installed (apt-get install wrk)")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    atexit.register(common._stop_all)
    signal.signal(signal.SIGTERM, common._on_signal)
    signal.signal(signal.SIGINT, common._on_signal)
    workdir = Path(tempfile.mkdtemp(prefix="loyalty-bench-widgets-"))
    bench = Bench(args, workdir)
    try:
        bench.setup()
        if args.show_statements:
            for statement in bench.statements:
                print("  " + statement[:200], file=sys.stderr)
        results = []
        for config in args.configs:
            for connections in args.concurrency:
                pairs = []
                for round_ in range(1, args.rounds + 1):
                    step = f"{config} c={connections} round {round_}/{args.rounds}"
                    log(f"{step}: ceiling")
                    ceiling = bench.measure("ceiling", config, connections)
                    log(f"{step}: ceiling {ceiling.rate:.1f}/s p99 {ceiling.p99_ms:.2f} ms; service")
                    service = bench.measure("service", config, connections)
                    log(f"{step}: service {service.rate:.1f}/s p99 {service.p99_ms:.2f} ms")
                    pairs.append((ceiling, service))
                results.append((connections, pairs))
        return report(results, bench.statements, args)
    except BenchError as exc:
        print(f"BENCHMARK FAILED: {exc}", file=sys.stderr)
        args.keep_files = True
        return 2
    finally:
        common._stop_all()
        if args.keep_files:
            log(f"request files and server logs kept in {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
