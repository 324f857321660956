"""Encryption at rest for platform credentials, keyed from ``LOYALTY_SECRET_KEY``.

The Fernet key is derived with HKDF-SHA256 from the app secret, so the secret
itself never touches a ciphertext and one secret can key several purposes.
Rotation: set the new ``LOYALTY_SECRET_KEY``, list the old one in
``LOYALTY_PREVIOUS_SECRET_KEYS`` (still decrypts, never encrypts), run
``loyalty shop reencrypt-credentials``, then drop the old key.
"""
from __future__ import annotations

import base64
from collections.abc import Mapping, Sequence
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

# Part of the key derivation: changing either makes every stored credential unreadable.
_SALT = b"loyalty-plugin"
CREDENTIALS_PURPOSE = b"platform-credentials/v1"


class EncryptionUnavailable(RuntimeError):
    """No stable key: what is encrypted now could not be read by the next process."""


class DecryptionFailed(RuntimeError):
    """A ciphertext none of the configured keys opens (a changed or wrong secret key)."""


def derive_fernet_key(secret: str, purpose: bytes = CREDENTIALS_PURPOSE) -> bytes:
    if not secret:
        raise EncryptionUnavailable("an empty secret key cannot key encryption")
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=_SALT, info=purpose)
    return base64.urlsafe_b64encode(hkdf.derive(secret.encode()))


class SecretBox:
    """Encrypts with the current key; decrypts with the current or any previous one."""

    def __init__(self, secret: str, previous: Sequence[str] = (), *, ephemeral: bool = False,
                 purpose: bytes = CREDENTIALS_PURPOSE) -> None:
        keys = [secret, *(p for p in previous if p and p != secret)]
        self._fernet = MultiFernet([Fernet(derive_fernet_key(k, purpose)) for k in keys])
        self._ephemeral = ephemeral

    def __repr__(self) -> str:
        return "SecretBox(<keys hidden>)"

    def encrypt(self, plaintext: str) -> str:
        if self._ephemeral:
            raise EncryptionUnavailable(
                "LOYALTY_SECRET_KEY is not set, so this process runs on a random key; credentials "
                "encrypted with it could never be read again. Set LOYALTY_SECRET_KEY first.")
        return self._fernet.encrypt(plaintext.encode()).decode("ascii")

    def decrypt(self, token: str) -> str:
        try:
            return self._fernet.decrypt(token.encode("ascii")).decode()
        except (InvalidToken, UnicodeError):
            raise DecryptionFailed(
                "stored credentials cannot be decrypted with LOYALTY_SECRET_KEY (or any key in "
                "LOYALTY_PREVIOUS_SECRET_KEYS)") from None

    def rotate(self, token: str) -> str:
        """The same plaintext, encrypted under the current key."""
        if self._ephemeral:
            raise EncryptionUnavailable("LOYALTY_SECRET_KEY is not set; nothing to rotate to.")
        try:
            return self._fernet.rotate(token.encode("ascii")).decode("ascii")
        except (InvalidToken, UnicodeError):
            raise DecryptionFailed("a stored credential opens with none of the configured keys") from None


def box_from_config(config: Mapping[str, Any]) -> SecretBox:
    previous = [k.strip() for k in str(config.get("LOYALTY_PREVIOUS_SECRET_KEYS") or "").split(",")]
    return SecretBox(config["LOYALTY_SECRET_KEY"], [k for k in previous if k],
                     ephemeral=bool(config.get("LOYALTY_SECRET_KEY_GENERATED")))
