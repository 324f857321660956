#!/usr/bin/env python3
"""CPU and SQL per signed Shopify ``orders/paid`` delivery, in-process, for the service and its ceiling.

Run from the repository root with the project's virtualenv::

    python bench/webhook_profile.py                     # 600 deliveries per target, 3 rounds
    python bench/webhook_profile.py -n 2000 --rounds 5 --payload full
    python bench/webhook_profile.py --profile hot.prof --top 40   # where the service's time goes

``bench/webhooks.py`` (wrk against gunicorn) is the official measure, but its
orders/s mean something only on a quiet machine. This script measures what does
not depend on what else runs beside it: the CPU time this process spends per
delivery (``time.process_time``) and the statements and round trips it sends to
PostgreSQL. It calls the WSGI callables directly with a prepared environ, as
gunicorn's sync worker does, so neither an HTTP client nor a server is measured:

- service: ``loyalty_plugin.app:create_app()`` against the benchmark database;
- ceiling: ``bench/ceiling_wsgi.py`` with the plan counted from the service, as
  bench/webhooks.py runs it.

Every delivery is distinct (own order, customer, email and webhook id), so the
service takes its full path: new order, new account, a ledger credit. Each
target is warmed up first (connections, statement caches, psycopg's prepared
statements), then measured in ``--rounds`` rounds of ``-n`` deliveries,
alternating targets; the table shows the median round (and the best in
brackets). Round trips count the statements plus BEGIN and COMMIT of each
transaction that ran one. The PostgreSQL column is the CPU the database's
backends used (from /proc, so only when the server runs on this machine) and is
coarse: the kernel counts it in clock ticks.

The database (default ``loyalty_bench_profile``) is dropped and recreated on every
run unless ``--no-recreate``; only a database whose name contains "bench" is dropped.
"""
from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass

import bench_loading  # before any import of the service: it takes bench/ off sys.path


wb = bench_loading.load("bench_webhooks", "webhooks.py")

DEFAULT_DB_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/loyalty_bench_profile"


# --------------------------------------------------------------------------- requests

def make_environ(shop_id: int, secret: str, delivery_id: str, body: bytes) -> dict:
    """The WSGI environ gunicorn would build for one signed delivery (minus ``wsgi.input``)."""
    return {
        "REQUEST_METHOD": "POST", "SCRIPT_NAME": "", "PATH_INFO": f"/webhooks/shopify/{shop_id}",
        "QUERY_STRING": "", "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "8000",
        "SERVER_PROTOCOL": "HTTP/1.1", "REMOTE_ADDR": "127.0.0.1", "HTTP_HOST": "127.0.0.1",
        "CONTENT_TYPE": "application/json", "CONTENT_LENGTH": str(len(body)),
        "HTTP_X_SHOPIFY_TOPIC": wb.TOPIC, "HTTP_X_SHOPIFY_HMAC_SHA256": wb.sign(body, secret),
        "HTTP_X_SHOPIFY_SHOP_DOMAIN": wb.DOMAIN, "HTTP_X_SHOPIFY_WEBHOOK_ID": delivery_id,
        "HTTP_X_SHOPIFY_API_VERSION": "2026-10",
        "wsgi.version": (1, 0), "wsgi.url_scheme": "http", "wsgi.errors": sys.stderr,
        "wsgi.multithread": False, "wsgi.multiprocess": True, "wsgi.run_once": False,
        "_body": body,
    }


class Deliveries:
    """Distinct signed deliveries, numbered on from a start unique to this run."""

    def __init__(self, shop_id: int, secret: str, payload: str):
        self.shop_id, self.secret = shop_id, secret
        self.make = wb.PAYLOADS[payload]
        self.next_id = 8 * 10**13 + (int(time.time() * 1000) % 10**10) * 1000

    def batch(self, count: int) -> list[dict]:
        environs = []
        for _ in range(count):
            order_id = self.next_id
            self.next_id += 1
            body = json.dumps(self.make(order_id, order_id), separators=(",", ":")).encode()
            environs.append(make_environ(self.shop_id, self.secret, f"profile-{order_id}", body))
        return environs


def call(app: Callable, environ: dict) -> tuple[str, bytes]:
    """One request through a WSGI callable, as a sync worker runs it."""
    environ = dict(environ)
    environ["wsgi.input"] = io.BytesIO(environ.pop("_body"))
    status: list[str] = []

    def start_response(status_line, _headers, _exc_info=None):
        status.append(status_line)

    result = app(environ, start_response)
    try:
        body = b"".join(result)
    finally:
        close = getattr(result, "close", None)
        if close is not None:
            close()
    return status[0], body


# --------------------------------------------------------------------------- counting

class Counter:
    """Statements and round trips; a transaction that ran a statement adds BEGIN and its end."""

    def __init__(self) -> None:
        self.statements = self.reads = self.writes = self.round_trips = 0
        self._open = False

    def statement(self, sql: str) -> None:
        self.statements += 1
        self.round_trips += 1
        if wb._WRITE.match(sql):
            self.writes += 1
        else:
            self.reads += 1
        self._open = True

    def end(self, *, autocommit: bool = False) -> None:
        if self._open and not autocommit:  # statements on their own send no BEGIN or COMMIT
            self.round_trips += 2
        self._open = False

    def snapshot(self) -> tuple[int, int, int, int]:
        return self.statements, self.reads, self.writes, self.round_trips


def count_service(engine, counter: Counter) -> None:
    from sqlalchemy import event

    @event.listens_for(engine, "before_cursor_execute")
    def _statement(_conn, _cursor, statement, *_args):
        counter.statement(statement)

    def _autocommit(conn) -> bool:
        return bool(getattr(conn.connection.driver_connection, "autocommit", False))

    @event.listens_for(engine, "commit")
    def _commit(conn):
        counter.end(autocommit=_autocommit(conn))

    @event.listens_for(engine, "rollback")
    def _rollback(conn):
        counter.end(autocommit=_autocommit(conn))


def counting_ceiling_connection(dsn: str, counter: Counter):
    import psycopg

    class CountingConnection(psycopg.Connection):
        def execute(self, query, params=None, **kwargs):
            counter.statement(str(query))
            return super().execute(query, params, **kwargs)

        def commit(self):
            counter.end()
            return super().commit()

        def rollback(self):
            counter.end()
            return super().rollback()

    return CountingConnection.connect(dsn)


# --------------------------------------------------------------------------- measuring

@dataclass
class Round:
    deliveries: int
    cpu_s: float
    wall_s: float
    postgres_s: float
    counts: tuple[int, int, int, int]

    def per(self, value: float) -> float:
        return value / self.deliveries


@dataclass
class Target:
    name: str
    app: Callable
    counter: Counter
    rounds: list[Round]
    expect: bytes = b'"processed"'  # in every answer's body, or the run is refused


def run_round(target: Target, environs: list[dict], database: str,
              profiler: cProfile.Profile | None = None) -> Round:
    before_counts = target.counter.snapshot()
    before_pg = wb._cpu_snapshot(None, database)
    wall, cpu = time.perf_counter(), time.process_time()
    if profiler is not None:
        profiler.enable()
    for environ in environs:
        status, body = call(target.app, environ)
        if not status.startswith("200") or target.expect not in body:
            raise wb.BenchError(f"{target.name}: {status} {body[:300]!r}")
    if profiler is not None:
        profiler.disable()
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    after_pg = wb._cpu_snapshot(None, database)
    counts = tuple(a - b for a, b in zip(target.counter.snapshot(), before_counts))
    return Round(len(environs), cpu, wall, wb._cpu_share(before_pg, after_pg)["postgres_s"], counts)


def service_app(url: str) -> tuple[Callable, Counter]:
    os.environ["LOYALTY_DATABASE_URL"] = url
    os.environ["LOYALTY_LOG_LEVEL"] = "WARNING"
    from loyalty_plugin.app import create_app

    app = create_app()
    counter = Counter()
    count_service(app.extensions["loyalty_db"].engine, counter)
    return app, counter


def ceiling_app(url: str, plan: str) -> tuple[Callable, Counter]:
    wb._import_ceiling_module()
    ceiling = sys.modules["ceiling_wsgi"]
    dsn = wb._sqlalchemy_to_libpq(url)
    os.environ.update(BENCH_CEILING_DSN=dsn, BENCH_CEILING_PLAN=plan)
    counter = Counter()
    ceiling._local.conn = counting_ceiling_connection(dsn, counter)
    return ceiling.app, counter


def _median_round(rounds: list[Round], key: Callable[[Round], float]) -> float:
    return statistics.median(key(r) for r in rounds)


def report(targets: list[Target], args: argparse.Namespace, plan: str) -> None:
    print()
    print(f"Signed Shopify {wb.TOPIC} deliveries, distinct orders and customers, {args.payload} "
          f"payload, called in-process; {args.rounds} rounds of {args.deliveries} per target "
          f"after {args.warmup} warm-up deliveries. Median round [best round].")
    print(f"Ceiling plan (the service's writes): {plan}")
    cpu_of = print_table(targets, "delivery", counts_places=1)
    if "service" in cpu_of and "ceiling" in cpu_of:
        print()
        print(f"service CPU per delivery = {cpu_of['service'] / cpu_of['ceiling']:.2f} x the ceiling's")


def print_table(targets: list[Target], unit: str, *, counts_places: int) -> dict[str, float]:
    """One line per target, median round [best round]; returns each target's median CPU ms."""
    print()
    cpu_title = f"CPU ms/{unit}"
    header = (f"{'target':<8} {cpu_title:>20} {'wall ms':>8} {'PG CPU ms':>9} "
              f"{'statements':>10} {'reads':>6} {'writes':>6} {'round trips':>11}")
    print(header)
    print("-" * len(header))
    cpu_of: dict[str, float] = {}
    for target in targets:
        rounds = target.rounds
        cpu = _median_round(rounds, lambda r: 1000 * r.per(r.cpu_s))
        best = min(1000 * r.per(r.cpu_s) for r in rounds)
        cpu_of[target.name] = cpu
        wall = _median_round(rounds, lambda r: 1000 * r.per(r.wall_s))
        pg = _median_round(rounds, lambda r: 1000 * r.per(r.postgres_s))
        statements, reads, writes, trips = (
            _median_round(rounds, lambda r, i=i: r.per(r.counts[i])) for i in range(4))
        n = counts_places
        print(f"{target.name:<8} {cpu:11.3f} [{best:6.3f}] {wall:8.3f} {pg:9.3f} {statements:10.{n}f} "
              f"{reads:6.{n}f} {writes:6.{n}f} {trips:11.{n}f}")
    return cpu_of


def print_profile(profiler: cProfile.Profile, args: argparse.Namespace) -> None:
    if args.profile:
        profiler.dump_stats(args.profile)
        wb.log(f"cProfile of the service's measured rounds written to {args.profile}")
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats(args.sort).print_stats(args.top)
    print(out.getvalue())


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("-n", "--deliveries", type=int, default=600, help="deliveries per round and target")
    p.add_argument("--rounds", type=int, default=3, help="measured rounds per target, alternating")
    p.add_argument("--warmup", type=int, default=200, help="unmeasured deliveries per target first")
    p.add_argument("--payload", choices=sorted(wb.PAYLOADS), default="compact",
                   help="as bench/webhooks.py --payload")
    p.add_argument("--targets", default="ceiling,service", help="comma-separated: ceiling, service")
    p.add_argument("--database-url", default=DEFAULT_DB_URL, help="SQLAlchemy URL of the database")
    p.add_argument("--no-recreate", dest="recreate", action="store_false",
                   help="do not drop and recreate the database; upgrade and use it as it is")
    p.add_argument("--secret", default="bench-webhook-secret", help="the shop's webhook secret")
    add_profile_arguments(p)
    p.add_argument("--show-statements", action="store_true",
                   help="print the SQL the service ran for the counted delivery")
    return p


def add_profile_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--profile", metavar="FILE", help="also write the service's cProfile stats here")
    p.add_argument("--top", type=int, default=0,
                   help="print the service's N costliest functions (cProfile; slows the service)")
    p.add_argument("--sort", default="tottime", help="pstats sort key for --top (tottime, cumulative)")


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    names = [n.strip() for n in args.targets.split(",") if n.strip()]
    if not names or set(names) - {"ceiling", "service"}:
        print("--targets takes ceiling and/or service", file=sys.stderr)
        return 2
    try:
        database = wb._database_name(args.database_url)
        if args.recreate:
            wb.log(f"recreating database {database}")
            wb.recreate_database(args.database_url)
        shop_id, secret = wb.prepare_service_database(args.database_url, args.secret)
        count = wb.count_statements(args.database_url, shop_id, secret)
        if args.show_statements:
            for statement in count.statements:
                print("  " + statement[:200], file=sys.stderr)
        wb._import_ceiling_module()
        sys.modules["ceiling_wsgi"].create_schema(wb._sqlalchemy_to_libpq(args.database_url),
                                                  shop_id=shop_id, domain=wb.DOMAIN, secret=secret)
        deliveries = Deliveries(shop_id, secret, args.payload)
        targets = []
        for name in names:
            app, counter = (service_app(args.database_url) if name == "service"
                            else ceiling_app(args.database_url, count.plan))
            targets.append(Target(name, app, counter, []))
        # CPU time, as the table: waiting on PostgreSQL is not the service's work.
        profiler = cProfile.Profile(time.process_time) if (args.profile or args.top) else None
        for target in targets:
            wb.log(f"{target.name}: {args.warmup} warm-up deliveries")
            run_round(target, deliveries.batch(args.warmup), database)
        for n in range(args.rounds):
            for target in targets:
                environs = deliveries.batch(args.deliveries)
                wb.log(f"{target.name}: round {n + 1} of {args.rounds}")
                target.rounds.append(run_round(
                    target, environs, database, profiler if target.name == "service" else None))
    except wb.BenchError as exc:
        print(f"PROFILE FAILED: {exc}", file=sys.stderr)
        return 2
    report(targets, args, count.plan)
    if profiler is not None and "service" in names:
        print_profile(profiler, args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
