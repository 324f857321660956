"""Platform credentials: encrypted at rest, readable only with the right key."""
from __future__ import annotations

import logging

import pytest
from sqlalchemy import text

from loyalty_plugin.encryption import SecretBox
from loyalty_plugin.errors import ProviderNotConfigured, Unprocessable
from loyalty_plugin.models import ShopCredentials, utcnow
from loyalty_plugin.services.credentials import (credential_fields, get_credentials, reencrypt_all,
                                                 set_credentials)
from tests.factories import make_shop

TOKEN = "shpat_0123456789abcdef0123456789abcdef"
BOX = SecretBox("the-app-secret")


def _set(session, shop_id, box=BOX, clear=(), **values):
    return set_credentials(session, shop_id, box, values=values, clear=clear, now=utcnow())


def test_credentials_round_trip_and_only_ciphertext_is_stored(session):
    shop, _ = make_shop(session)
    fields = _set(session, shop.id, access_token=TOKEN, api_version="2026-10",
                  client_secret="client-secret-value")
    assert fields == ["api_version", "access_token", "client_secret"]

    creds = get_credentials(session, shop.id, BOX)
    assert (creds.access_token, creds.client_secret, creds.api_version) == (
        TOKEN, "client-secret-value", "2026-10")
    assert creds.consumer_key is None
    assert TOKEN not in repr(creds) and "client-secret-value" not in repr(creds)

    stored = session.execute(text(
        "SELECT access_token_encrypted, client_secret_encrypted FROM shop_credentials"
        " WHERE shop_id = :id"), {"id": shop.id}).one()
    for ciphertext, plaintext in zip(stored, (TOKEN, "client-secret-value")):
        assert plaintext not in ciphertext
        assert ciphertext.startswith("gAAAA")  # a Fernet token


def test_a_partial_update_keeps_the_other_fields_and_clear_removes_one(session):
    shop, _ = make_shop(session)
    _set(session, shop.id, access_token=TOKEN, store_hash="abc123")
    _set(session, shop.id, client_secret="new-secret", clear=["store_hash"])
    creds = get_credentials(session, shop.id, BOX)
    assert creds.access_token == TOKEN
    assert creds.client_secret == "new-secret"
    assert creds.store_hash is None
    assert credential_fields(session, shop.id) == ["access_token", "client_secret"]


def test_a_wrong_key_fails_cleanly_without_leaking(session):
    shop, _ = make_shop(session)
    _set(session, shop.id, access_token=TOKEN)
    with pytest.raises(ProviderNotConfigured) as excinfo:
        get_credentials(session, shop.id, SecretBox("another-secret"))
    assert excinfo.value.status == 503
    assert "cannot be read" in excinfo.value.message
    assert TOKEN not in excinfo.value.message


def test_rotation_keeps_old_ciphertexts_readable_then_reencrypts_them(session):
    shop, _ = make_shop(session)
    _set(session, shop.id, access_token=TOKEN)
    rotated = SecretBox("new-app-secret", previous=["the-app-secret"])
    assert get_credentials(session, shop.id, rotated).access_token == TOKEN

    assert reencrypt_all(session, rotated, utcnow()) >= 1

    assert get_credentials(session, shop.id, SecretBox("new-app-secret")).access_token == TOKEN
    with pytest.raises(ProviderNotConfigured):
        get_credentials(session, shop.id, BOX)


def test_nothing_is_encrypted_with_a_per_process_key(session):
    shop, _ = make_shop(session)
    with pytest.raises(Unprocessable, match="LOYALTY_SECRET_KEY is not set"):
        _set(session, shop.id, SecretBox("random", ephemeral=True), access_token=TOKEN)
    assert session.get(ShopCredentials, shop.id).access_token_encrypted is None


@pytest.mark.parametrize("field, value, message", [
    ("api_url", "http://shop.example.com", "https://"),
    ("api_url", "https://shop.example.com/?consumer_secret=x", "without query"),
    ("store_hash", "ABC-1", "lowercase letters and digits"),
    ("api_version", "latest", "YYYY-MM"),
    ("access_token", "has space", "without spaces"),
    ("password", "x", "Unknown credential field"),
])
def test_bad_values_are_refused_naming_the_field(session, field, value, message):
    shop, _ = make_shop(session)
    with pytest.raises(Unprocessable, match=message):
        _set(session, shop.id, **{field: value})


def test_secrets_never_reach_the_log(session, caplog):
    shop, _ = make_shop(session)
    with caplog.at_level(logging.DEBUG, logger="loyalty_plugin"):
        _set(session, shop.id, access_token=TOKEN, secret_key="sk_test_abcdef")
        get_credentials(session, shop.id, BOX)
    assert "access_token" in caplog.text
    assert TOKEN not in caplog.text and "sk_test_abcdef" not in caplog.text


def test_loopback_http_is_allowed_for_a_local_store(session):
    shop, _ = make_shop(session)
    _set(session, shop.id, api_url="http://127.0.0.1:8080/")
    assert get_credentials(session, shop.id, BOX).api_url == "http://127.0.0.1:8080"
