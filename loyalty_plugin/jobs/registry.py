"""The jobs the service runs, by name; the edge packages may add their own at start-up."""
from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass

from flask import Flask

from ..db import Database
from ..providers.discounts import discount_provider
from ..services import dispatch, ledger, schedule
from . import codes, referrals

log = logging.getLogger(__name__)

EXTENSION = "loyalty_jobs"
# Sending notifications goes after every job that may announce something.
LAST = 100
BatchFn = Callable[[Database, dt.datetime], int]


@dataclass(frozen=True)
class Job:
    name: str
    description: str
    run: BatchFn
    # How often the scheduler starts it.
    every: dt.timedelta
    # `run-due` runs jobs by rank, then by registration; higher runs later.
    rank: int = 0


def until_done(batch: Callable[..., int]) -> BatchFn:
    """Repeat a one-batch step, each batch committed on its own, until it finds nothing."""

    def run(database: Database, now: dt.datetime) -> int:
        total = 0
        while True:
            with database.transaction() as session:
                done = batch(session, now)
            total += done
            if done == 0:
                return total

    return run


def _audit_ledger(database: Database, now: dt.datetime) -> int:
    with database.transaction() as session:
        mismatches = ledger.verify_balances(session)
    for mismatch in mismatches:
        log.error("ledger audit: account %s %s cached %s, ledger says %s", mismatch.account_id,
                  mismatch.field, mismatch.cached, mismatch.ledger)
    if not mismatches:
        log.info("ledger audit: every balance matches its entries")
    return 0  # an audit finds, it does not fix: running it again is never "more work"


CORE_JOBS = (
    Job("mature_points", "Make pending points whose time has come available",
        until_done(schedule.mature_due_points), dt.timedelta(minutes=5)),
    Job("tiers", "Re-evaluate tiers after changes; judge statuses that ran out",
        until_done(lambda session, now: schedule.run_tier_batch(session, now).total),
        dt.timedelta(minutes=15)),
    Job("tier_notices", "Warn customers whose tier would drop when its window ends",
        until_done(lambda session, now: schedule.run_tier_notice_batch(session, now).total),
        dt.timedelta(hours=1)),
    Job("expiry", "Re-date points after a policy change; expire due points",
        until_done(lambda session, now: schedule.run_expiry_batch(session, now).total),
        dt.timedelta(minutes=15)),
    Job("reminders", "Announce points that expire within the shop's warning days",
        until_done(lambda session, now: schedule.run_reminder_batch(session, now).total),
        dt.timedelta(hours=1)),
    Job("birthdays", "Pay birthday points due today in each shop's time zone",
        until_done(lambda session, now: schedule.run_birthday_batch(session, now).total),
        dt.timedelta(hours=1)),
    Job("ledger_audit", "Prove every cached balance equals its ledger (as `loyalty ledger verify`)",
        _audit_ledger, dt.timedelta(days=1)),
)


def register_core_jobs(app: Flask) -> None:
    for job in CORE_JOBS:
        register_job(app, job)

    def notify(database: Database, now: dt.datetime) -> int:
        # Built per run: the SMTP URL is checked when the app is created (see app.py).
        channels = dispatch.channels_from_config(app.config)
        tried = 0
        try:
            while done := dispatch.deliver_due(database, now, channels=channels):
                tried += done
        finally:
            channels.close()
        return tried

    def settle_codes(database: Database, now: dt.datetime) -> int:
        timeout = float(app.config["LOYALTY_PROVIDER_TIMEOUT"])
        issued, failed = codes.settle_stale_codes(
            database, now, timeout=timeout, factory=lambda shop: discount_provider(shop, app))
        return issued + failed + codes.expire_all_codes(database, now)

    def run_referrals(database: Database, now: dt.datetime) -> int:
        return referrals.run_referrals(database, now, timeout=float(app.config["LOYALTY_PROVIDER_TIMEOUT"]),
                                       factory=lambda shop: discount_provider(shop, app))

    register_job(app, Job("referrals", "Complete or fail referrals whose friend's order has settled; "
                          "take back failed referrals' welcome codes", run_referrals,
                          dt.timedelta(minutes=15)))
    # Every minute: a tier's entry reward waits for this job to reach the platform.
    register_job(app, Job("codes", "Create granted codes and settle codes whose platform call never "
                          "finished; expire old codes", settle_codes, dt.timedelta(minutes=1)))
    register_job(app, Job("notifications", "Send due webhooks and emails; retry failed ones",
                          notify, dt.timedelta(minutes=1), rank=LAST))


def register_job(app: Flask, job: Job) -> None:
    app.extensions.setdefault(EXTENSION, {})[job.name] = job


def all_jobs(app: Flask) -> dict[str, Job]:
    jobs = app.extensions.get(EXTENSION, {})
    return {job.name: job for job in sorted(jobs.values(), key=lambda job: job.rank)}


def run_job(app: Flask, database: Database, name: str, now: dt.datetime) -> int:
    job = all_jobs(app)[name]
    done = job.run(database, now)
    log.info("job finished job=%s done=%s", name, done)
    return done


__all__ = ["Job", "all_jobs", "register_core_jobs", "register_job", "run_job", "until_done"]
