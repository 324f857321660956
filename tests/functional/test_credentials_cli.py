"""``loyalty shop credentials`` and ``loyalty shop reencrypt-credentials``."""
from __future__ import annotations

import json

from sqlalchemy import text

from loyalty_plugin.encryption import SecretBox
from loyalty_plugin.models import Platform
from loyalty_plugin.services.credentials import get_credentials
from tests.conftest import make_test_app
from tests.factories import make_shop

TOKEN = "bc-access-token-123"


def stored_token(session, shop_id) -> str:
    return session.execute(text("SELECT access_token_encrypted FROM shop_credentials "
                                "WHERE shop_id = :id"), {"id": shop_id}).scalar_one()


def test_secrets_come_from_env_and_prompt_and_are_stored_encrypted(app, session, monkeypatch):
    shop, _ = make_shop(session, platform=Platform.BIGCOMMERCE, domain="cli.mybigcommerce.com")
    monkeypatch.setenv("BC_TOKEN", TOKEN)
    result = app.test_cli_runner().invoke(args=[
        "shop", "credentials", "--shop", str(shop.id), "--store-hash", "abc123",
        "--access-token", "env:BC_TOKEN", "--client-secret", "prompt", "--json"],
        input="the-client-secret\n")

    assert result.exit_code == 0, result.output
    data = json.loads(result.output.splitlines()[-1])
    assert data == {"shop_id": shop.id, "platform": "bigcommerce",
                    "fields_set": ["store_hash", "access_token", "client_secret"], "missing": []}
    assert TOKEN not in result.output and "the-client-secret" not in result.output
    assert TOKEN not in stored_token(session, shop.id)
    creds = get_credentials(session, shop.id, SecretBox("test"))
    assert (creds.access_token, creds.client_secret) == (TOKEN, "the-client-secret")


def test_a_secret_typed_on_the_command_line_is_refused(app, session):
    shop, _ = make_shop(session)
    result = app.test_cli_runner().invoke(args=[
        "shop", "credentials", "--shop", str(shop.id), "--access-token", "shpat_literal"])
    assert result.exit_code == 2
    assert "shell history" in result.output
    assert session.execute(text("SELECT count(*) FROM shop_credentials")).scalar_one() == 0


def test_without_options_it_shows_what_is_set_and_what_is_missing(app, session):
    shop, _ = make_shop(session, platform=Platform.WOOCOMMERCE, domain="woo.example.com")
    result = app.test_cli_runner().invoke(args=["shop", "credentials", "--shop", str(shop.id)])
    assert result.exit_code == 0, result.output
    assert "credentials set: none" in result.output
    assert "Still needed to call the woocommerce API: consumer_key, consumer_secret" in result.output


def test_unknown_shop_and_bad_values_are_clear_errors(app, session):
    runner = app.test_cli_runner()
    missing = runner.invoke(args=["shop", "credentials", "--shop", "999999", "--api-version", "2026-10"])
    assert missing.exit_code == 1 and "No shop with id 999999" in missing.output
    shop, _ = make_shop(session)
    bad = runner.invoke(args=["shop", "credentials", "--shop", str(shop.id), "--api-url", "http://x.com"])
    assert bad.exit_code == 1 and "api_url must be an https:// URL" in bad.output


def test_reencrypt_moves_every_secret_to_the_new_key(app, database, session, monkeypatch):
    shop, _ = make_shop(session)
    monkeypatch.setenv("SHOP_TOKEN", TOKEN)
    assert app.test_cli_runner().invoke(args=[
        "shop", "credentials", "--shop", str(shop.id), "--access-token", "env:SHOP_TOKEN"]).exit_code == 0
    before = stored_token(session, shop.id)

    rotated = make_test_app(database, LOYALTY_SECRET_KEY="rotated",
                            LOYALTY_PREVIOUS_SECRET_KEYS="test")
    result = rotated.test_cli_runner().invoke(args=["shop", "reencrypt-credentials"])

    assert result.exit_code == 0, result.output
    assert "Re-encrypted the credentials of 1 shop(s)" in result.output
    assert stored_token(session, shop.id) != before
    assert get_credentials(session, shop.id, SecretBox("rotated")).access_token == TOKEN
