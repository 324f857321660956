"""The ``loyalty`` command."""
from __future__ import annotations

import json
import sys

import click
from flask import current_app
from flask.cli import AppGroup, FlaskGroup, with_appcontext

from . import migrate
from .connect_cli import connect_cli
from .credentials_cli import credentials_command, read_secret, reencrypt_command
from .db import get_db
from .errors import LoyaltyError
from .models import Platform, utcnow
from .services import ledger
from .services.shops import (create_shop, drop_previous_webhook_secret, get_shop,
                             rotate_webhook_secret)


def _cli_app():
    from .app import create_app

    # `loyalty db upgrade` must work on an empty database; other commands check for themselves.
    return create_app({"LOYALTY_SCHEMA_CHECK": False})


@click.group(cls=FlaskGroup, create_app=_cli_app, add_version_option=False, load_dotenv=False)
def main() -> None:
    """Self-hosted loyalty program: service, database and operator commands."""


def register_commands(app) -> None:
    from .dashboard_cli import admin_cli
    from .exports_cli import export_cli
    from .imports_cli import import_cli
    from .jobs.cli import jobs_cli, scheduler, worker

    for command in (db_cli, shop_cli, admin_cli, ledger_cli, jobs_cli, import_cli, export_cli, serve,
                    worker, scheduler):
        app.cli.add_command(command)


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
shop_cli.add_command(connect_cli)


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


@shop_cli.command("webhook-secret")
@click.option("--shop", "shop_id", type=int, required=True, help="The shop's id.")
@click.option("--secret", "source", default=None,
              help="Where the new secret comes from: prompt, env:NAME or stdin (generated if omitted).")
@click.option("--drop-previous", is_flag=True,
              help="Stop accepting the previous secret (once the platform signs with the new one).")
@migrate.requires_schema
def shop_webhook_secret(shop_id: int, source: str | None, drop_previous: bool) -> None:
    """Rotate the shop's webhook signing secret; the previous one is still accepted until dropped."""
    given = read_secret("webhook secret", source) if source else None
    with get_db().transaction() as session:
        shop = get_shop(session, shop_id)
        if shop is None:
            raise click.ClickException(f"No shop with id {shop_id}.")
        if drop_previous:
            drop_previous_webhook_secret(session, shop)
            click.echo("The previous webhook secret is no longer accepted.")
            return
        try:
            secret = rotate_webhook_secret(session, shop, given)
        except LoyaltyError as exc:
            raise click.ClickException(exc.message) from None
    # Shown only when generated here: a secret the operator supplied is already theirs.
    click.echo(f"New webhook secret: {secret}" if given is None else "Webhook secret replaced.")
    click.echo("Deliveries signed with the previous secret are still accepted; run again with "
               "--drop-previous once the platform uses the new one.")


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


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--workers", type=int, help="Worker processes (default: one per core when the database "
              "runs on this machine, else 2 x cores + 1; at most 9).")
@click.option("--upgrade/--no-upgrade", default=False, help="Upgrade the database schema first.")
@with_appcontext
def serve(host: str, port: int, workers: int | None, upgrade: bool) -> None:
    """Run the service under gunicorn."""
    from .server import default_workers, run_server

    if upgrade:
        migrate.upgrade(get_db().engine)
    try:
        migrate.check_schema(get_db().engine)
    except migrate.SchemaOutOfDate as exc:
        raise click.ClickException(str(exc)) from None
    engine = get_db().engine
    engine.dispose()
    workers = workers or default_workers(engine.url)
    run_server(bind=f"{host}:{port}", workers=workers)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
