#!/usr/bin/env python3
"""Redemptions per second against the native provider, beside the webhook ceiling.

Run from the repository root with the project's virtualenv::

    python bench/redeem.py                       # 16 clients, 10 s per target
    python bench/redeem.py --duration 15 --redemptions-per-account 2

What it does, in one run (the machinery is bench/webhooks.py's, imported):

1. Recreates the PostgreSQL database ``loyalty_bench_redeem`` (only a database whose
   name contains "bench" is ever dropped), upgrades it, and prepares the webhook
   ceiling exactly as bench/webhooks.py does (a Shopify shop, the service's write
   statements for one delivery counted, the ``ceiling_*`` tables).
2. Creates a custom store (``loyalty shop create --platform custom``): its codes
   go to the native provider. Through the service in-process it creates one
   reward (100 points for 5.00 off) and redeems it once, recording the SQL.
3. For each server configuration: starts gunicorn with the webhook CEILING app and
   drives it with wrk; then the SERVICE (``loyalty_plugin.app:create_app()``),
   driven with redemption requests. Each request is a distinct
   ``POST /api/v1/customers/<id>/redemptions`` with its own Idempotency-Key, for
   customers seeded beforehand (one ADJUSTMENT lot each, straight into the
   database) with points for ``--redemptions-per-account`` redemptions, requests
   dealt round-robin over them so concurrent requests rarely wait on one account.
4. Checks afterwards that every response wrk counted is a stored 201 for its key
   and an issued code, and that ``loyalty ledger verify`` still passes; prints
   redemptions/s, latency, CPU shares and the ratio redemptions/s divided by the
   ceiling's deliveries/s.

The ceiling is the least a webhook endpoint can do per delivery (see
bench/ceiling_wsgi.py): the yardstick for what one request that writes the
ledger costs on this machine. A redemption does more (API key lookup, an
idempotency record, a row lock, the debit and its lot allocation, the code, then
a second transaction to mark it issued), so the ratio says how close it comes.

Exit status: 0 when the run completed, 2 when the benchmark itself failed.
"""
from __future__ import annotations

import atexit
import json
import math
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import bench_loading  # before any import of the service: it takes bench/ off sys.path


wb = bench_loading.load("bench_webhooks", "webhooks.py")

DEFAULT_DB_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/loyalty_bench_redeem"
DOMAIN = "bench-redeem.example.com"
POINTS_COST = 100


class RedeemBench(wb.Bench):
    """The ceiling as bench/webhooks.py measures it; the service measured on redemptions."""

    def setup(self) -> None:
        super().setup()
        url = self.db_url
        env = wb._loyalty_env(url, "WARNING")
        out = subprocess.run([wb._loyalty_bin(), "shop", "create", "--platform", "custom",
                              "--domain", DOMAIN, "--json"], env=env, check=True, cwd=wb.REPO,
                             capture_output=True, text=True, timeout=60)
        shop = json.loads(out.stdout)
        self.custom_shop_id, self.api_key = int(shop["id"]), shop["api_key"]
        self.next_customer = 1
        self.reward_id, self.redeem_statements = self._reward_and_one_redemption()

    def _reward_and_one_redemption(self) -> tuple[int, list[str]]:
        """Create the reward through the API, and record the SQL of one redemption."""
        from sqlalchemy import event

        from loyalty_plugin.app import create_app

        app = create_app({"LOYALTY_DATABASE_URL": self.db_url, "LOYALTY_LOG_LEVEL": "WARNING"})
        engine = app.extensions["loyalty_db"].engine
        statements: list[str] = []
        event.listen(engine, "before_cursor_execute",
                     lambda _c, _cur, statement, *_: statements.append(" ".join(statement.split())))
        try:
            client = app.test_client()
            headers = {"Authorization": f"Bearer {self.api_key}"}
            reward = client.post("/api/v1/rewards", headers=headers, json={
                "name": "5 off", "kind": "fixed_amount", "points_cost": POINTS_COST, "value": "5.00"})
            if reward.status_code != 201:
                raise wb.BenchError(f"creating the reward failed: {reward.get_data(as_text=True)[:300]}")
            customer = self._seed_accounts(1, POINTS_COST)[0]
            statements.clear()
            response = client.post(f"/api/v1/customers/{customer}/redemptions",
                                   headers={**headers, "Idempotency-Key": "bench-count"},
                                   json={"reward_id": reward.json["id"]})
            if response.status_code != 201:
                raise wb.BenchError(f"counting redemption failed: {response.status_code} "
                                    f"{response.get_data(as_text=True)[:300]}")
            return reward.json["id"], list(statements)
        finally:
            engine.dispose()

    def _seed_accounts(self, count: int, points: int) -> list[str]:
        """``count`` new customers with ``points`` each: the rows the ledger would have written."""
        import psycopg

        first = self.next_customer
        self.next_customer += count
        prefix = f"bench-{first}-"
        with psycopg.connect(wb._sqlalchemy_to_libpq(self.db_url)) as conn:
            conn.execute(
                "INSERT INTO customer_accounts (shop_id, platform_customer_id, available, pending,"
                " lifetime, created_at, updated_at) SELECT %(shop)s, %(prefix)s || g, %(points)s, 0,"
                " %(points)s, now(), now() FROM generate_series(0, %(n)s - 1) g",
                {"shop": self.custom_shop_id, "prefix": prefix, "points": points, "n": count})
            conn.execute(
                "INSERT INTO ledger_entries (shop_id, account_id, kind, points, status, remaining,"
                " created_at, matured_at, source, source_ref, idempotency_key, reason)"
                " SELECT shop_id, id, 'adjustment', %(points)s, 'available', %(points)s, now(), now(),"
                " 'api', 'bench-seed', 'bench-seed:' || id, 'Benchmark points' FROM customer_accounts"
                " WHERE shop_id = %(shop)s AND platform_customer_id LIKE %(like)s",
                {"shop": self.custom_shop_id, "points": points, "like": prefix + "%"})
        return [f"{prefix}{n}" for n in range(count)]

    def _requests(self, tag: str, count: int) -> tuple[Path, str, int]:
        if tag.endswith("c"):  # the ceiling's runs: signed webhook deliveries
            return super()._requests(tag, count)
        self.runs += 1
        run_id = f"{self.runs}{tag}"
        prefix = self.workdir / f"req-{run_id}"
        per_account = self.args.redemptions_per_account
        customers = self._seed_accounts(math.ceil(count / per_account), per_account * POINTS_COST)
        wb.write_request_files(prefix, self.args.wrk_threads,
                               self._redemptions(run_id, count, customers))
        return prefix, run_id, 0

    def _redemptions(self, run_id: str, count: int, customers: list[str]) -> Iterator[bytes]:
        body = json.dumps({"reward_id": self.reward_id}, separators=(",", ":")).encode()
        for n in range(count):
            head = (f"POST /api/v1/customers/{customers[n % len(customers)]}/redemptions HTTP/1.1\r\n"
                    "Host: 127.0.0.1\r\n"
                    "Content-Type: application/json\r\n"
                    f"Authorization: Bearer {self.api_key}\r\n"
                    f"Idempotency-Key: bench-{run_id}-{n}\r\n"
                    f"Content-Length: {len(body)}\r\n"
                    "\r\n")
            yield head.encode() + body

    def _verify(self, name: str, run_id: str, result) -> None:
        if name == "ceiling":
            return super()._verify(name, run_id, result)
        like = f"bench-{run_id}-%"
        answered = wb.count_rows(self.db_url, "SELECT count(*) FROM idempotency_records WHERE "
                                 "scope = 'redemption' AND key LIKE %s AND status_code = 201", (like,))
        other = wb.count_rows(self.db_url, "SELECT count(*) FROM idempotency_records WHERE "
                              "scope = 'redemption' AND key LIKE %s AND status_code <> 201", (like,))
        if answered < result.requests or other:
            raise wb.BenchError(f"service: wrk counted {result.requests} responses but the database "
                                f"holds {answered} redemptions answered 201 and {other} others")
        pending = wb.count_rows(self.db_url, "SELECT count(*) FROM reward_codes WHERE shop_id = %s "
                                "AND status <> 'issued'", (self.custom_shop_id,))
        if pending:
            raise wb.BenchError(f"service: {pending} codes are not issued")

    def verify_ledger(self) -> None:
        result = subprocess.run([wb._loyalty_bin(), "ledger", "verify", "--shop",
                                 str(self.custom_shop_id)], env=wb._loyalty_env(self.db_url, "WARNING"),
                                cwd=wb.REPO, capture_output=True, text=True, timeout=600)
        if result.returncode != 0:
            raise wb.BenchError(f"loyalty ledger verify failed:\n{result.stderr[-2000:]}")


def report(results: list, bench: RedeemBench, args) -> None:
    cores = os.cpu_count() or 1
    writes = [s for s in bench.redeem_statements if wb._WRITE.match(s)]
    reads = [s for s in bench.redeem_statements if s.upper().startswith(("SELECT", "WITH"))]
    print()
    print(f"Redemptions of a 100-point reward into native codes, distinct Idempotency-Keys, "
          f"{args.redemptions_per_account} per customer, {args.concurrency} concurrent clients "
          f"(wrk -t{args.wrk_threads} -c{args.concurrency}), {args.duration:g} s per target, "
          f"{cores} cores")
    print(f"Per redemption the service ran {len(reads)} reads and {len(writes)} writes in two "
          f"transactions; the webhook ceiling runs 1 read and {bench.plan.count(':')} writes "
          "(bench/ceiling_wsgi.py).")
    print("CPU columns: share of all cores taken by wrk, the gunicorn master and workers, "
          "PostgreSQL, everything else, and the machine in total.")
    print()
    header = (f"{'config':<14} {'target':<18} {'req/s':>8} {'p50 ms':>7} {'p90 ms':>7} {'p99 ms':>7} "
              f"{'max ms':>7}  {'wrk':>6} {'gunicorn':>8} {'postgres':>8} {'others':>6} {'machine':>7}")
    print(header)
    print("-" * len(header))
    for ceiling, service in results:
        for label, r in (("webhook ceiling", ceiling), ("redemptions", service)):
            print(f"{str(r.config):<14} {label:<18} {r.rate:8.1f} {r.p50_ms:7.2f} {r.p90_ms:7.2f} "
                  f"{r.p99_ms:7.2f} {r.max_ms:7.1f}  {wb._fmt_cpu(r, cores)}")
    if any(wb._cpu_parts(r, cores)["others"] > 10 for pair in results for r in pair):
        print("WARNING: other processes used more than 10 % of the cores during a measured run; "
              "the figures are disturbed (run again on a quiet machine)")
    print()
    for ceiling, service in results:
        ratio = service.rate / ceiling.rate if ceiling.rate else 0.0
        print(f"{str(service.config):<14} redemptions/s / webhook ceiling deliveries/s = {ratio:5.1%} "
              f"({service.rate:.1f} / {ceiling.rate:.1f}); redemption p99 {service.p99_ms:.2f} ms")


def main(argv: list[str] | None = None) -> int:
    parser = wb.build_parser(__doc__.split("\n\n")[0], default_db_url=DEFAULT_DB_URL)
    parser.add_argument("--redemptions-per-account", type=int, default=4,
                        help="redemptions each seeded customer can afford (and is sent)")
    args = wb.finish_args(parser, parser.parse_args(argv))
    if args.target:
        parser.error("--target is not supported here: the benchmark seeds the service's database")
    atexit.register(wb._stop_all)
    signal.signal(signal.SIGTERM, wb._on_signal)
    signal.signal(signal.SIGINT, wb._on_signal)
    workdir = Path(tempfile.mkdtemp(prefix="loyalty-bench-redeem-"))
    wb._import_ceiling_module()
    bench = RedeemBench(args, workdir)
    try:
        bench.setup()
        results = []
        for config in args.configs:
            wb.log(f"{config}: webhook ceiling")
            ceiling = bench.measure("ceiling", config, expected_rate=None)
            wb.log(f"{config}: ceiling {ceiling.rate:.1f}/s; redemptions")
            service = bench.measure("service", config, expected_rate=ceiling.rate)
            wb.log(f"{config}: redemptions {service.rate:.1f}/s p99 {service.p99_ms:.2f} ms")
            results.append((ceiling, service))
        started = time.monotonic()
        bench.verify_ledger()
        wb.log(f"ledger verified in {time.monotonic() - started:.1f} s")
        report(results, bench, args)
        return 0
    except wb.BenchError as exc:
        print(f"BENCHMARK FAILED: {exc}", file=sys.stderr)
        args.keep_files = True
        return 2
    finally:
        wb._stop_all()
        if args.keep_files:
            wb.log(f"request files and server logs kept in {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
