"""Settings read from ``LOYALTY_*`` environment variables when the app is built."""
from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from typing import Any

ENV_PREFIX = "LOYALTY_"


def _flag(value: Any) -> bool:
    return str(value).lower() in {"1", "true", "yes", "on"}


# name -> (default, parser). A default of None means "derive it at load time".
_SETTINGS: dict[str, tuple[Any, Any]] = {
    "DATABASE_URL": (None, str),
    "SECRET_KEY": (None, str),
    # Comma-separated keys that may still decrypt stored credentials after a rotation.
    "PREVIOUS_SECRET_KEYS": ("", str),
    "PUBLIC_URL": ("http://127.0.0.1:8000", str),
    "MAX_BODY_BYTES": (2 * 1024 * 1024, int),
    "DB_POOL_SIZE": (5, int),
    "DB_MAX_OVERFLOW": (5, int),
    "LOG_LEVEL": ("INFO", str),
    # Celery broker (e.g. redis://127.0.0.1:6379/0); empty: jobs run inline from cron.
    "BROKER_URL": ("", str),
    # A public Shopify app's client id and secret; without them /install/shopify answers 503.
    "SHOPIFY_API_KEY": ("", str),
    "SHOPIFY_API_SECRET": ("", str),
    "SHOPIFY_SCOPES": ("read_orders,read_customers,write_discounts", str),
    "SCHEMA_CHECK": (True, _flag),
    # Webhook endpoints on loopback (http://127.0.0.1:...) are for development and tests only.
    "WEBHOOK_ALLOW_LOOPBACK": (False, _flag),
    # smtp://user:password@host:port (STARTTLS when offered) or smtps://... (TLS); empty: no email.
    "SMTP_URL": ("", str),
    # A PEM file of the authorities the SMTP server's certificate is checked against instead
    # of the system's (a private relay); empty: the system's.
    "SMTP_CA_FILE": ("", str),
    # Redemptions one storefront customer may attempt per window, and the window in seconds.
    "WIDGET_REDEEM_LIMIT": (5, int),
    "WIDGET_REDEEM_WINDOW": (60, int),
    # Seconds a worker keeps a shop's tiers and rewards for the storefront (public data).
    "WIDGET_CATALOG_TTL": (30.0, float),
    # Seconds a worker keeps a shop and its settings for storefront reads; this worker's own
    # changes show at once, another worker's within this time.
    "WIDGET_SHOP_TTL": (5.0, float),
    # The dashboard's session cookie is sent over HTTPS only; unset: when PUBLIC_URL is https.
    "COOKIE_SECURE": (None, _flag),
    # Hours a dashboard sign-in lasts.
    "DASHBOARD_SESSION_HOURS": (12, int),
    # Dashboard sign-in attempts per shop and email (and per shop and address) per window.
    "SIGN_IN_LIMIT": (10, int),
    "SIGN_IN_WINDOW": (900, int),
    # Seconds a redemption waits for the platform to create its code.
    "PROVIDER_TIMEOUT": (30.0, float),
}


def load_config(
    instance_path: str,
    overrides: Mapping[str, Any] | None = None,
    environ: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """Build the app's settings: explicit overrides, then the environment, then defaults.

    Keys keep their ``LOYALTY_`` prefix so they cannot clash with Flask's own.
    """
    environ = os.environ if environ is None else environ
    overrides = dict(overrides or {})
    config: dict[str, Any] = {}
    for name, (default, parse) in _SETTINGS.items():
        key = ENV_PREFIX + name
        if key in overrides:
            config[key] = overrides.pop(key)
        elif key in environ:
            config[key] = parse(environ[key])
        else:
            config[key] = default
    if not config[ENV_PREFIX + "DATABASE_URL"]:
        config[ENV_PREFIX + "DATABASE_URL"] = "sqlite:///" + os.path.join(instance_path, "loyalty.db")
    if not config[ENV_PREFIX + "SECRET_KEY"]:
        # Every worker of this instance must sign sessions and forms with the same key, so a
        # generated one is kept in the instance folder; production sets its own.
        config[ENV_PREFIX + "SECRET_KEY"] = instance_secret(instance_path)
        # Nothing is encrypted at rest with a key that lies beside the data it would protect.
        config[ENV_PREFIX + "SECRET_KEY_GENERATED"] = True
    if config[ENV_PREFIX + "COOKIE_SECURE"] is None:
        config[ENV_PREFIX + "COOKIE_SECURE"] = str(config[ENV_PREFIX + "PUBLIC_URL"]).startswith("https://")
    config.update(overrides)
    return config


SECRET_FILE = "secret_key"


def instance_secret(instance_path: str) -> str:
    """The instance's generated secret key, made once, readable by its owner only.

    Written to a private file first and linked into place, so workers starting together
    all read the one key that won, never a half-written file.
    """
    path = os.path.join(instance_path, SECRET_FILE)
    if not os.path.exists(path):
        os.makedirs(instance_path, exist_ok=True)
        draft = f"{path}.{os.getpid()}.{secrets.token_hex(4)}"
        descriptor = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as out:
            out.write(secrets.token_hex(32))
        try:
            os.link(draft, path)
        except FileExistsError:
            pass
        finally:
            os.unlink(draft)
    with open(path) as source:
        return source.read().strip()
