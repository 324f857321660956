"""Settings derived when the environment leaves them out."""
from __future__ import annotations

import os
import stat

from loyalty_plugin.config import SECRET_FILE, load_config


def test_a_generated_secret_key_is_kept_in_the_instance_folder_for_every_worker(tmp_path):
    first = load_config(str(tmp_path), environ={})
    second = load_config(str(tmp_path), environ={})
    assert first["LOYALTY_SECRET_KEY"] == second["LOYALTY_SECRET_KEY"]
    assert len(first["LOYALTY_SECRET_KEY"]) == 64 and first["LOYALTY_SECRET_KEY_GENERATED"] is True
    mode = stat.S_IMODE(os.stat(tmp_path / SECRET_FILE).st_mode)
    assert mode == 0o600
    assert sorted(os.listdir(tmp_path)) == [SECRET_FILE]  # no draft left behind


def test_a_configured_secret_key_writes_nothing(tmp_path):
    config = load_config(str(tmp_path), environ={"LOYALTY_SECRET_KEY": "s3cret"})
    assert config["LOYALTY_SECRET_KEY"] == "s3cret" and "LOYALTY_SECRET_KEY_GENERATED" not in config
    assert os.listdir(tmp_path) == []


def test_the_session_cookie_is_secure_when_the_public_url_is_https(tmp_path):
    secret = {"LOYALTY_SECRET_KEY": "k"}
    assert load_config(str(tmp_path), environ=secret)["LOYALTY_COOKIE_SECURE"] is False
    assert load_config(str(tmp_path), environ={
        **secret, "LOYALTY_PUBLIC_URL": "https://loyalty.example.org"})["LOYALTY_COOKIE_SECURE"] is True
    assert load_config(str(tmp_path), environ={
        **secret, "LOYALTY_COOKIE_SECURE": "true"})["LOYALTY_COOKIE_SECURE"] is True
    assert load_config(str(tmp_path), environ={
        **secret, "LOYALTY_PUBLIC_URL": "https://x.example.org",
        "LOYALTY_COOKIE_SECURE": "false"})["LOYALTY_COOKIE_SECURE"] is False
