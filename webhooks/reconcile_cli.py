"""``loyalty reconcile``: apply the orders whose webhooks never arrived."""
from __future__ import annotations

import datetime as dt
import json
import re
import sys

import click
from flask import current_app
from flask.cli import with_appcontext

from loyalty_plugin import migrate
from loyalty_plugin.db import get_db
from loyalty_plugin.encryption import box_from_config
from loyalty_plugin.errors import LoyaltyError
from loyalty_plugin.models import utcnow
from loyalty_plugin.providers import ShopifyApp, ShopifyOAuth

from .reconcile import OrderResult, start_reconciliation

_RELATIVE = re.compile(r"^(\d{1,5})([dh])$")


def parse_since(value: str, now: dt.datetime) -> dt.datetime:
    """``7d``, ``12h`` or an ISO date or time (UTC unless it says otherwise)."""
    text = value.strip()
    match = _RELATIVE.match(text)
    if match:
        amount, unit = int(match.group(1)), match.group(2)
        return now - (dt.timedelta(days=amount) if unit == "d" else dt.timedelta(hours=amount))
    try:
        since = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise click.BadParameter(f"{value!r} is neither Nd, Nh nor an ISO date.",
                                 param_hint="--since") from None
    if since.tzinfo is None:
        since = since.replace(tzinfo=dt.timezone.utc)
    if since > now:
        raise click.BadParameter("the window cannot start in the future.", param_hint="--since")
    return since.astimezone(dt.timezone.utc)


def _shown(result: OrderResult | None) -> str | None:
    return None if result is None else f"order {result.order_id}: {result.outcome}"


@click.command("reconcile")
@click.option("--shop", "shop_id", type=int, required=True, help="The shop's id.")
@click.option("--since", default="7d", show_default=True,
              help="Start of the window: Nd, Nh, or an ISO date or time.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as one JSON object.")
@with_appcontext
@migrate.requires_schema
def reconcile_command(shop_id: int, since: str, as_json: bool) -> None:
    """Fetch the orders changed since --since from the shop's platform API and apply any the
    webhooks missed. Safe to repeat: nothing is applied twice. Exits 1 if an order failed or
    the listing stopped early.
    """
    start = parse_since(since, utcnow())
    try:
        app = ShopifyApp.from_config(current_app.config)
        run = start_reconciliation(get_db(), shop_id, start, box_from_config(current_app.config),
                                   shopify_oauth=ShopifyOAuth(app) if app else None)
    except LoyaltyError as exc:
        raise click.ClickException(exc.message) from None
    with click.progressbar(run, label=f"Reconciling shop {shop_id}", file=sys.stderr,
                           item_show_func=_shown) as bar:
        for _ in bar:
            pass
    summary = run.summary
    if as_json:
        click.echo(json.dumps(summary.as_dict()))
    else:
        click.echo(f"Orders seen {summary.seen}, applied {summary.applied}, already known "
                   f"{summary.already_known}, failed {summary.failed}.")
        for failure in summary.failures:
            click.echo(f"order {failure['order_id']} failed: {failure['error']}", err=True)
        if not summary.complete:
            click.echo(f"Stopped early: {summary.error}", err=True)
    if summary.failed or not summary.complete:
        raise SystemExit(1)
