"""``loyalty webhooks ...``: operator commands for stored deliveries."""
from __future__ import annotations

import sys

import click
from flask.cli import AppGroup

from loyalty_plugin.db import get_db
from loyalty_plugin.errors import LoyaltyError
from loyalty_plugin.models import DeliveryStatus
from loyalty_plugin.services import deliveries

from .pipeline import replay


@click.group("webhooks", cls=AppGroup)
def webhooks_cli() -> None:
    """Inspect and replay inbound webhook deliveries."""


@webhooks_cli.command("replay")
@click.option("--shop", "shop_id", type=int, help="Only this shop's deliveries.")
@click.option("--status", "statuses", multiple=True, default=["failed"], show_default=True,
              type=click.Choice([s.value for s in DeliveryStatus]),
              help="Replay deliveries in these states (repeatable).")
@click.option("--id", "delivery_ids", multiple=True, type=int,
              help="Replay exactly these deliveries by row id (repeatable), whatever their state.")
@click.option("--limit", default=1000, show_default=True, type=click.IntRange(1, 100000))
def replay_command(shop_id: int | None, statuses: tuple[str, ...], delivery_ids: tuple[int, ...],
                   limit: int) -> None:
    """Apply stored deliveries again, each in its own transaction.

    Replaying is safe: points already awarded or reversed are never applied twice.
    """
    db = get_db()
    with db.transaction() as session:
        ids = [d.id for d in deliveries.deliveries_to_replay(
            session, shop_id=shop_id, statuses=[DeliveryStatus(s) for s in statuses],
            delivery_ids=list(delivery_ids), limit=limit)]
    if not ids:
        click.echo("No deliveries to replay.")
        return
    failed = 0
    with click.progressbar(ids, label="Replaying deliveries", file=sys.stderr) as bar:
        for delivery_id in bar:
            try:
                with db.transaction() as session:
                    delivery = deliveries.deliveries_to_replay(
                        session, shop_id=None, statuses=[], delivery_ids=[delivery_id])[0]
                    result = replay(session, delivery)
                click.echo(f"\n{delivery_id}: {result['status']}: {result['note']}")
            except (LoyaltyError, ValueError) as exc:
                failed += 1
                click.echo(f"\n{delivery_id}: not replayed: {exc}", err=True)
    click.echo(f"Replayed {len(ids) - failed} of {len(ids)} deliveries.")
    if failed:
        raise SystemExit(1)
