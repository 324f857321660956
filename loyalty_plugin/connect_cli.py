"""``loyalty shop connect woocommerce|bigcommerce``: credentials stored, webhooks registered.

Like ``loyalty shop credentials``, secrets come from a prompt, an environment
variable or standard input, never from the command line itself.
"""
from __future__ import annotations

import json

import click
from flask import current_app
from flask.cli import with_appcontext

from . import migrate
from .credentials_cli import SOURCE_HELP, read_secret
from .db import get_db
from .encryption import box_from_config
from .errors import LoyaltyError
from .models import Platform, utcnow
from .services.connect import connect_shop, webhook_url
from .services.shops import get_shop


@click.group("connect")
def connect_cli() -> None:
    """Connect a shop to its platform's API and register its webhooks there (safe to repeat)."""


@connect_cli.command("woocommerce")
@with_appcontext
@click.option("--shop", "shop_id", type=int, required=True, help="The shop's id.")
@click.option("--url", required=True, help="The store's address, e.g. https://store.example.com.")
@click.option("--key-from", "key_source", required=True, metavar="SOURCE",
              help=f"Where the REST API consumer key comes from. {SOURCE_HELP}")
@click.option("--secret-from", "secret_source", required=True, metavar="SOURCE",
              help=f"Where the REST API consumer secret comes from. {SOURCE_HELP}")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@migrate.requires_schema
def connect_woocommerce(shop_id: int, url: str, key_source: str, secret_source: str,
                        as_json: bool) -> None:
    """Store the REST API keys (read/write) and create the store's webhooks."""
    values = {"api_url": url, "consumer_key": read_secret("key-from", key_source),
              "consumer_secret": read_secret("secret-from", secret_source)}
    _connect(shop_id, Platform.WOOCOMMERCE, values, as_json)


@connect_cli.command("bigcommerce")
@with_appcontext
@click.option("--shop", "shop_id", type=int, required=True, help="The shop's id.")
@click.option("--store-hash", required=True, help="The store hash (stores/<hash> in API paths).")
@click.option("--token-from", "token_source", required=True, metavar="SOURCE",
              help=f"Where the API account's access token comes from. {SOURCE_HELP}")
@click.option("--client-secret-from", "client_secret_source", metavar="SOURCE",
              help=f"Where the app's client secret comes from (signed callbacks). {SOURCE_HELP}")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@migrate.requires_schema
def connect_bigcommerce(shop_id: int, store_hash: str, token_source: str,
                        client_secret_source: str | None, as_json: bool) -> None:
    """Store the API account's token (its scopes must include Orders) and create the store's
    order hook."""
    values = {"store_hash": store_hash, "access_token": read_secret("token-from", token_source)}
    if client_secret_source:
        values["client_secret"] = read_secret("client-secret-from", client_secret_source)
    _connect(shop_id, Platform.BIGCOMMERCE, values, as_json)


def _connect(shop_id: int, platform: Platform, values: dict[str, str], as_json: bool) -> None:
    public_url = current_app.config["LOYALTY_PUBLIC_URL"]
    try:
        with get_db().transaction() as session:
            shop = get_shop(session, shop_id)
            if shop is None:
                raise click.ClickException(f"No shop with id {shop_id}.")
            sync = connect_shop(session, shop, box_from_config(current_app.config), platform=platform,
                                values=values, public_url=public_url, http=None, now=utcnow())
            url = webhook_url(public_url, shop)
    except LoyaltyError as exc:
        raise click.ClickException(f"{exc.message} Nothing was stored.") from None
    if as_json:
        click.echo(json.dumps({"shop_id": shop_id, "platform": platform.value, "webhook_url": url,
                               "webhooks": sync.as_dict()}))
        return
    click.echo(f"Shop {shop_id} is connected to {platform.value}; webhooks go to {url}.")
    click.echo(f"Created: {', '.join(sync.created) or 'none'}. "
               f"Already there (re-activated): {', '.join(sync.kept) or 'none'}.")
