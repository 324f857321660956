"""The ``loyalty`` command."""
from __future__ import annotations

import json
import os
import sys

import click
from flask import current_app
from flask.cli import AppGroup, FlaskGroup, with_appcontext

from . import code_jobs, migrate
from .credentials_cli import credentials_command, reencrypt_command
from .db import get_db
from .errors import LoyaltyError
from .models import Platform, utcnow
from .providers.discounts import discount_provider
from .services import ledger, schedule
from .services.shops import create_shop


def _cli_app():
    from .app import create_app

    # `loyalty db upgrade` must work on an empty database; other commands check for themselves.
    return create_app({"LOYALTY_SCHEMA_CHECK": False})


@click.group(cls=FlaskGroup, create_app=_cli_app, add_version_option=False, load_dotenv=False)
def main() -> None:
    """Self-hosted loyalty program: service, database and operator commands."""


def register_commands(app) -> None:
    for group in (db_cli, shop_cli, ledger_cli, jobs_cli):
        app.cli.add_command(group)
    app.cli.add_command(serve)


@click.group("db", cls=AppGroup)
def db_cli() -> None:
    """Database schema migrations."""


@db_cli.command("upgrade")
@click.argument("revision", default="head")
def db_upgrade(revision: str) -> None:
    """Upgrade the schema to REVISION (default: the newest)."""
    migrate.upgrade(get_db().engine, revision)
    click.echo(f"Database at revision {migrate.current_revision(get_db().engine)}.")


@db_cli.command("current")
def db_current() -> None:
    """Show the schema revision the database is at, and the newest one."""
    with get_db().transaction() as session:
        current = migrate.current_revision(session.connection())
    click.echo(f"current: {current}")
    click.echo(f"head:    {migrate.head_revision()}")


@click.group("shop", cls=AppGroup)
def shop_cli() -> None:
    """Shops."""


shop_cli.add_command(credentials_command)
shop_cli.add_command(reencrypt_command)


@shop_cli.command("create")
@click.option("--platform", type=click.Choice([p.value for p in Platform]), required=True)
@click.option("--domain", required=True, help="The shop's domain, e.g. example.myshopify.com.")
@click.option("--currency", default="USD", show_default=True, help="ISO 4217 shop currency.")
@click.option("--timezone", default="UTC", show_default=True, help="IANA time zone for day boundaries.")
@click.option("--webhook-secret", help="The platform's webhook signing secret (generated if omitted).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@migrate.requires_schema
def shop_create(platform: str, domain: str, currency: str, timezone: str,
                webhook_secret: str | None, as_json: bool) -> None:
    """Create a shop and print its secrets and first API key (shown only once)."""
    try:
        with get_db().transaction() as session:
            new = create_shop(session, platform=Platform(platform), domain=domain, currency=currency,
                              timezone=timezone, webhook_secret=webhook_secret, now=utcnow())
    except LoyaltyError as exc:
        raise click.ClickException(exc.message) from None
    shop = new.shop
    base_url = current_app.config["LOYALTY_PUBLIC_URL"].rstrip("/")
    result = {
        "id": shop.id, "platform": shop.platform.value, "domain": shop.domain,
        "currency": shop.currency, "timezone": shop.timezone, "api_key": new.api_key,
        "webhook_secret": shop.webhook_secret, "widget_secret": shop.widget_secret,
        "webhook_url": f"{base_url}/webhooks/{shop.platform.value}/{shop.id}",
    }
    if as_json:
        click.echo(json.dumps(result))
    else:
        for key, value in result.items():
            click.echo(f"{key:15} {value}")


@click.group("ledger", cls=AppGroup)
def ledger_cli() -> None:
    """The points ledger."""


@ledger_cli.command("verify")
@click.option("--shop", "shop_id", type=int, help="Only this shop.")
@migrate.requires_schema
def ledger_verify(shop_id: int | None) -> None:
    """Prove every cached balance equals its ledger; exits 1 on any difference."""
    with get_db().transaction() as session:
        mismatches = ledger.verify_balances(session, shop_id=shop_id)
    for m in mismatches:
        click.echo(f"account {m.account_id}: {m.field} cached {m.cached}, ledger says {m.ledger}",
                   err=True)
    if mismatches:
        raise SystemExit(1)
    click.echo("Ledger verified: every balance matches its entries.")


@click.group("jobs", cls=AppGroup)
def jobs_cli() -> None:
    """Scheduled work."""


@jobs_cli.command("run-due")
@migrate.requires_schema
def jobs_run_due() -> None:
    """Run what is due now (the cron entry point): pending points, tier statuses, stalled and
    expired codes."""
    matured = 0
    while True:
        with get_db().transaction() as session:
            batch = schedule.mature_due_points(session, utcnow())
        matured += batch
        if batch == 0:
            break
    work = schedule.DueWork(matured=matured)
    while True:
        with get_db().transaction() as session:
            batch_work = schedule.run_tier_batch(session, utcnow())
        work.reevaluated += batch_work.reevaluated
        work.rolled_over += batch_work.rolled_over
        if batch_work.total == 0:
            break
    click.echo(f"Matured {work.matured} pending lot(s); re-evaluated {work.reevaluated} "
               f"account(s) against changed tiers; {work.rolled_over} tier status(es) ran out.")
    timeout = float(current_app.config["LOYALTY_PROVIDER_TIMEOUT"])
    issued, failed = code_jobs.settle_stale_codes(get_db(), utcnow(), timeout=timeout,
                                                  factory=discount_provider)
    click.echo(f"Settled {issued + failed} stalled code(s): {issued} issued, {failed} failed.")
    click.echo(f"Expired {code_jobs.expire_all_codes(get_db(), utcnow())} code(s).")


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--workers", type=int, help="Worker processes (default: 2 x cores + 1, at most 9).")
@click.option("--upgrade/--no-upgrade", default=False, help="Upgrade the database schema first.")
@with_appcontext
def serve(host: str, port: int, workers: int | None, upgrade: bool) -> None:
    """Run the service under gunicorn."""
    from .server import run_server

    if upgrade:
        migrate.upgrade(get_db().engine)
    try:
        migrate.check_schema(get_db().engine)
    except migrate.SchemaOutOfDate as exc:
        raise click.ClickException(str(exc)) from None
    get_db().engine.dispose()
    workers = workers or min(2 * (os.cpu_count() or 1) + 1, 9)
    run_server(bind=f"{host}:{port}", workers=workers)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
