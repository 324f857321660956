"""``loyalty admin link`` and ``loyalty admin user create``: getting into the dashboard.

A password never comes from the command line, where it would stay in the shell
history: it is prompted for (hidden, twice) or read from standard input.
"""
from __future__ import annotations

import sys

import click
from flask import current_app
from flask.cli import AppGroup

from . import migrate
from .db import get_db
from .errors import LoyaltyError
from .models import utcnow
from .services import dashboard_users
from .services.shops import get_shop


@click.group("admin", cls=AppGroup)
def admin_cli() -> None:
    """The shop owner's dashboard: users and one-time sign-in links."""


@admin_cli.command("link")
@click.option("--shop", "shop_id", type=int, required=True, help="The shop's id.")
@click.option("--email", help="Sign in as this user (created without a password if new); "
                              "default: the shop's owner user.")
@migrate.requires_schema
def admin_link(shop_id: int, email: str | None) -> None:
    """Print a one-time dashboard sign-in link, valid for 15 minutes."""
    try:
        with get_db().transaction() as session:
            shop = get_shop(session, shop_id)
            if shop is None:
                raise click.ClickException(f"No shop with id {shop_id}.")
            link = dashboard_users.create_link(session, shop, email, utcnow())
            user_email = link.user.email
    except LoyaltyError as exc:
        raise click.ClickException(exc.message) from None
    base_url = current_app.config["LOYALTY_PUBLIC_URL"].rstrip("/")
    click.echo(f"{base_url}/admin/link/{link.token}")
    click.echo(f"Signs in {user_email} to shop {shop_id} once, until "
               f"{link.expires_at:%Y-%m-%d %H:%M} UTC.", err=True)


@admin_cli.group("user")
def user_cli() -> None:
    """Dashboard users."""


@user_cli.command("create")
@click.option("--shop", "shop_id", type=int, required=True, help="The shop's id.")
@click.option("--email", required=True, help="The user's email; unique within the shop.")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@migrate.requires_schema
def user_create(shop_id: int, email: str, password_stdin: bool) -> None:
    """Create a dashboard user who signs in with a password."""
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password (hidden)", hide_input=True, confirmation_prompt=True,
                                err=True)
    try:
        with get_db().transaction() as session:
            shop = get_shop(session, shop_id)
            if shop is None:
                raise click.ClickException(f"No shop with id {shop_id}.")
            user = dashboard_users.create_user(session, shop, email, password, utcnow())
            user_email = user.email
    except LoyaltyError as exc:
        raise click.ClickException(exc.message) from None
    click.echo(f"Dashboard user {user_email} created for shop {shop_id}; sign in at "
               f"{current_app.config['LOYALTY_PUBLIC_URL'].rstrip('/')}/admin/sign-in")
