#!/usr/bin/env python3
"""CPU and SQL per signed-in widget summary, in-process, for the service and its ceilings.

Run from the repository root with the project's virtualenv::

    python bench/widget_profile.py                       # 3 rounds of 1000 per target
    python bench/widget_profile.py -n 3000 --rounds 5 --targets ceiling,service,wsgi
    python bench/widget_profile.py --targets service --top 40 --profile hot.prof
    python bench/widget_profile.py --show-statements     # the SQL one summary runs

``bench/widgets.py`` (wrk against gunicorn) is the official measure, but its
requests/s mean something only on a quiet machine. This script measures what
does not depend on what else runs beside it: the CPU time this process spends
per summary (``time.process_time``) and the statements and round trips it sends
to PostgreSQL. It calls the WSGI callables directly with prepared environs, as
gunicorn's sync worker does:

- service: ``loyalty_plugin.app:create_app()``;
- ceiling: ``widget_ceilings/widget_ceiling_app.py``, bench/widgets.py's default ceiling;
- wsgi: ``widget_ceilings/widget_ceiling_wsgi.py``, the bare WSGI ceiling.

Requests are bench/widgets.py's: ``GET /widget/v1/<shop>/summary`` for random
customers of the seeded shop, signed with its widget secret, with the storefront
``Origin``; ``--distinct`` of them are cycled, so a customer who has no referral
code yet draws it in the warm-up or the first round, as in a wrk run. The
database is bench/widgets.py's and seeded by it (``--no-recreate`` reuses it).
"""
from __future__ import annotations

import argparse
import cProfile
import os
import random
import sys
import time
from collections.abc import Callable

import bench_loading  # before any import of the service: it takes bench/ off sys.path



wp = bench_loading.load("bench_webhook_profile", "webhook_profile.py")  # call(), the counters, the report's figures
bw = bench_loading.load("bench_widgets", "widgets.py")  # the database, the seed, the signed headers
wb = wp.wb


def make_environ(shop_id: int, headers: dict[str, str]) -> dict:
    """The WSGI environ gunicorn would build for one signed summary request."""
    environ = {
        "REQUEST_METHOD": "GET", "SCRIPT_NAME": "", "PATH_INFO": f"/widget/v1/{shop_id}/summary",
        "QUERY_STRING": "", "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "8000",
        "SERVER_PROTOCOL": "HTTP/1.1", "REMOTE_ADDR": "127.0.0.1", "HTTP_HOST": "127.0.0.1",
        "HTTP_ACCEPT": "application/json",
        "wsgi.version": (1, 0), "wsgi.url_scheme": "http", "wsgi.errors": sys.stderr,
        "wsgi.multithread": False, "wsgi.multiprocess": True, "wsgi.run_once": False,
        "_body": b"",
    }
    for name, value in headers.items():
        environ["HTTP_" + name.upper().replace("-", "_")] = value
    return environ


class Requests:
    """``distinct`` signed requests for random customers, handed out in a cycle."""

    def __init__(self, shop_id: int, secret: str, *, customers: int, distinct: int, seed: int):
        rng = random.Random(seed)
        self.environs = [make_environ(shop_id, bw.signed_headers(f"c{rng.randint(1, customers)}", secret))
                         for _ in range(distinct)]
        self.next = 0

    def batch(self, count: int) -> list[dict]:
        out = []
        for _ in range(count):
            out.append(self.environs[self.next % len(self.environs)])
            self.next += 1
        return out


Target = wp.Target
run_round = wp.run_round


def _flask_target(name: str, make: Callable) -> Target:
    app = make()
    counter = wp.Counter()
    wp.count_service(app.extensions["loyalty_db"].engine, counter)
    return Target(name, app, counter, [], b'"customer"')


def _wsgi_target(url: str) -> Target:
    sys.path.insert(0, str(bw.CEILINGS))
    import widget_ceiling_wsgi as ceiling

    counter = wp.Counter()
    ceiling._local.conn = wp.counting_ceiling_connection(wb._sqlalchemy_to_libpq(url), counter)
    ceiling._local.conn.autocommit = True  # as the ceiling opens its own
    return Target("wsgi", ceiling.app, counter, [], b'"customer"')


def make_target(name: str, url: str) -> Target:
    os.environ["LOYALTY_DATABASE_URL"] = url
    os.environ["LOYALTY_LOG_LEVEL"] = "WARNING"
    if name == "service":
        from loyalty_plugin.app import create_app

        return _flask_target(name, create_app)
    if name == "ceiling":
        sys.path.insert(0, str(bw.CEILINGS))
        import widget_ceiling_app

        return _flask_target(name, widget_ceiling_app.create)
    return _wsgi_target(url)


def report(targets: list[Target], args: argparse.Namespace) -> None:
    print()
    print(f"Signed-in GET /widget/v1/<shop>/summary, {args.customers} customers, {args.distinct} "
          f"distinct signed requests cycled, called in-process; {args.rounds} rounds of "
          f"{args.requests} per target after {args.warmup} warm-up requests. Median round [best round].")
    cpu_of = wp.print_table(targets, "request", counts_places=2)
    if "service" in cpu_of:
        print()
        for name in ("ceiling", "wsgi"):
            if name in cpu_of:
                print(f"service CPU per request = {cpu_of['service'] / cpu_of[name]:.2f} x the {name}'s "
                      f"(the {name}'s CPU is {cpu_of[name] / cpu_of['service']:.0%} of the service's)")


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("-n", "--requests", type=int, default=1000, help="requests per round and target")
    p.add_argument("--rounds", type=int, default=3, help="measured rounds per target, alternating")
    p.add_argument("--warmup", type=int, default=300, help="unmeasured requests per target first")
    p.add_argument("--customers", type=int, default=100_000, help="customers to seed")
    p.add_argument("--distinct", type=int, default=20_000, help="distinct signed requests to cycle")
    p.add_argument("--seed", type=int, default=7, help="random seed for the customers picked")
    p.add_argument("--targets", default="ceiling,service",
                   help="comma-separated: ceiling (the app ceiling), service, wsgi (the bare ceiling)")
    p.add_argument("--database-url", default=bw.DEFAULT_DB_URL, help="SQLAlchemy URL of the database")
    p.add_argument("--no-recreate", dest="recreate", action="store_false",
                   help="do not drop and recreate the database (it is seeded again only if empty)")
    wp.add_profile_arguments(p)
    p.add_argument("--show-statements", action="store_true",
                   help="print the SQL the service ran for one summary")
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    names = [n.strip() for n in args.targets.split(",") if n.strip()]
    if not names or set(names) - {"ceiling", "service", "wsgi"}:
        print("--targets takes ceiling, service and/or wsgi", file=sys.stderr)
        return 2
    try:
        database = wb._database_name(args.database_url)
        if args.recreate:
            wb.log(f"recreating database {database}")
            wb.recreate_database(args.database_url)
        started = time.monotonic()
        shop_id, secret = bw.seed(args.database_url, customers=args.customers, origin=bw.ORIGIN)
        wb.log(f"seeded in {time.monotonic() - started:.0f} s")
        if args.show_statements:
            for statement in bw.count_statements(args.database_url, shop_id, secret, "c1"):
                print("  " + statement[:200], file=sys.stderr)
        requests = Requests(shop_id, secret, customers=args.customers, distinct=args.distinct,
                            seed=args.seed)
        targets = [make_target(name, args.database_url) for name in names]
        # CPU time, as the table: waiting on PostgreSQL is not the service's work.
        profiler = cProfile.Profile(time.process_time) if (args.profile or args.top) else None
        for target in targets:
            wb.log(f"{target.name}: {args.warmup} warm-up requests")
            run_round(target, requests.batch(args.warmup), database)
        for n in range(args.rounds):
            environs = requests.batch(args.requests)
            for target in targets:
                wb.log(f"{target.name}: round {n + 1} of {args.rounds}")
                target.rounds.append(run_round(
                    target, environs, database, profiler if target.name == "service" else None))
    except wb.BenchError as exc:
        print(f"PROFILE FAILED: {exc}", file=sys.stderr)
        return 2
    report(targets, args)
    if profiler is not None and "service" in names:
        wp.print_profile(profiler, args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
