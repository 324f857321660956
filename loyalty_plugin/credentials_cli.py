"""``loyalty shop credentials`` and ``loyalty shop reencrypt-credentials``.

Secret values never come from the command line itself, where they would stay in
the shell history and show in ``ps``: each is read from a prompt, an environment
variable or standard input.
"""
from __future__ import annotations

import json
import os
import sys

import click
from flask import current_app
from flask.cli import with_appcontext

from . import migrate
from .db import get_db
from .encryption import box_from_config
from .errors import LoyaltyError
from .models import utcnow
from .providers import REQUIRED_FIELDS
from .services.credentials import FIELDS, SECRET_FIELDS, reencrypt_all, set_credentials
from .services.shops import get_shop

# A refresh token only comes from an app install, together with the expiry it belongs to.
TYPED_SECRET_FIELDS = tuple(name for name in SECRET_FIELDS if name != "refresh_token")
SOURCE_HELP = "SOURCE is 'prompt' (asks, hidden), 'env:NAME' (reads that variable) or 'stdin'."


def read_secret(option: str, source: str) -> str:
    if source == "prompt":
        return click.prompt(f"{option} (hidden)", hide_input=True, err=True)
    if source == "stdin":
        return sys.stdin.readline().strip()
    if source.startswith("env:") and len(source) > 4:
        value = os.environ.get(source[4:], "")
        if not value:
            raise click.UsageError(f"{option}: the variable {source[4:]} is not set or empty.")
        return value
    raise click.BadParameter("give prompt, env:NAME or stdin; a secret typed on the command line "
                             "stays in your shell history.", param_hint=f"--{option}")


def secret_options(func):
    for name in reversed(TYPED_SECRET_FIELDS):
        option = name.replace("_", "-")
        func = click.option(f"--{option}", name, metavar="SOURCE",
                            help=f"Set the {option.replace('-', ' ')}. {SOURCE_HELP}")(func)
    return func


@click.command("credentials")
@with_appcontext
@click.option("--shop", "shop_id", type=int, required=True, help="The shop's id.")
@click.option("--api-url", help="Store URL (WooCommerce) or an API base to use instead of the "
                                "platform's (https, or http to this machine).")
@click.option("--store-hash", help="BigCommerce store hash (stores/<hash> in the API path).")
@click.option("--api-version", help="Shopify Admin API version, e.g. 2026-10.")
@secret_options
@click.option("--clear", multiple=True, type=click.Choice(FIELDS), help="Remove a field (repeatable).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@migrate.requires_schema
def credentials_command(shop_id: int, clear: tuple[str, ...], as_json: bool, **given: str | None) -> None:
    """Set a shop's platform API credentials (stored encrypted); without options, show which are set.

    \b
    Shopify:      --access-token (Admin API token), optionally --api-version
    WooCommerce:  --api-url https://store.example, --consumer-key, --consumer-secret
    BigCommerce:  --store-hash, --access-token, --client-secret (webhook signatures)
    Stripe:       --secret-key (sk_... or a restricted rk_... key)
    """
    values = {name: (read_secret(name.replace("_", "-"), value) if name in SECRET_FIELDS else value)
              for name, value in given.items() if value is not None}
    box = box_from_config(current_app.config)
    try:
        with get_db().transaction() as session:
            shop = get_shop(session, shop_id)
            if shop is None:
                raise click.ClickException(f"No shop with id {shop_id}.")
            fields = set_credentials(session, shop.id, box, values=values, clear=clear, now=utcnow())
            platform = shop.platform
    except LoyaltyError as exc:
        raise click.ClickException(exc.message) from None
    missing = [name for name in REQUIRED_FIELDS.get(platform, ()) if name not in fields]
    result = {"shop_id": shop_id, "platform": platform.value, "fields_set": fields, "missing": missing}
    if as_json:
        click.echo(json.dumps(result))
        return
    click.echo(f"Shop {shop_id} ({platform.value}) credentials set: {', '.join(fields) or 'none'}.")
    if missing:
        click.echo(f"Still needed to call the {platform.value} API: {', '.join(missing)}.")


@click.command("reencrypt-credentials")
@with_appcontext
@migrate.requires_schema
def reencrypt_command() -> None:
    """Re-encrypt every shop's credentials under the current LOYALTY_SECRET_KEY.

    Run after rotating the key, with the old one in LOYALTY_PREVIOUS_SECRET_KEYS;
    then the old key can go.
    """
    try:
        with get_db().transaction() as session:
            count = reencrypt_all(session, box_from_config(current_app.config), utcnow())
    except LoyaltyError as exc:
        raise click.ClickException(exc.message) from None
    click.echo(f"Re-encrypted the credentials of {count} shop(s) under the current key.")
