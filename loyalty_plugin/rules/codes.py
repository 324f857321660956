"""Discount code strings and the checks a storefront runs before accepting one.

Pure functions: no Flask, no database.
"""
from __future__ import annotations

import datetime as dt
import enum
import re
import secrets
from collections.abc import Callable
from decimal import Decimal

# No 0/O and 1/I: a customer reading the code off a screen or an email cannot
# confuse them. 32 symbols, so each carries exactly 5 bits.
ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
RANDOM_LENGTH = 12  # 60 bits: guessing one live code is hopeless
GROUP = 4
DEFAULT_PREFIX = "RWD"
MAX_PREFIX = 12
MAX_CODE_LENGTH = 64

_PREFIX_CHARS = re.compile(r"[^A-Z0-9]")
# Subdomains that name the platform or the web, not the shop.
_NOT_THE_SHOP = {"www", "shop", "store"}


def default_prefix(domain: str) -> str:
    """A prefix from the shop's domain: ``blue-bird.myshopify.com`` gives ``BLUEBRD``.

    Only characters of the unambiguous alphabet are kept, so the whole code stays
    readable; at most 7 of them.
    """
    labels = [label for label in domain.lower().split(".") if label and label not in _NOT_THE_SHOP]
    first = labels[0] if labels else ""
    kept = "".join(ch for ch in first.upper() if ch in ALPHABET)[:7]
    return kept or DEFAULT_PREFIX


def clean_prefix(prefix: str | None, domain: str) -> str:
    """The shop's configured prefix (letters and digits, upper-cased), or the default."""
    if prefix:
        cleaned = _PREFIX_CHARS.sub("", prefix.upper())[:MAX_PREFIX]
        if cleaned:
            return cleaned
    return default_prefix(domain)


def generate_code(prefix: str, *, choice: Callable[[str], str] = secrets.choice) -> str:
    """``PREFIX-XXXX-XXXX-XXXX`` from a cryptographically secure random source."""
    body = "".join(choice(ALPHABET) for _ in range(RANDOM_LENGTH))
    groups = [body[i:i + GROUP] for i in range(0, RANDOM_LENGTH, GROUP)]
    return "-".join([prefix, *groups])


def normalise_code(text: str) -> str | None:
    """How a customer may have typed a code, to how it is stored; None if it cannot be one."""
    code = text.strip().upper()
    if not code or len(code) > MAX_CODE_LENGTH:
        return None
    return code


class CodeProblem(str, enum.Enum):
    """Why a code cannot be applied to a cart, in the order the checks run."""

    UNKNOWN = "unknown"
    CANCELLED = "cancelled"
    USED = "used"
    EXPIRED = "expired"
    WRONG_CUSTOMER = "wrong_customer"
    BELOW_MINIMUM = "below_minimum"


def code_problem(*, status: str, expires_at: dt.datetime, now: dt.datetime,
                 min_order_subtotal: Decimal, subtotal: Decimal | None,
                 owner: str | None, customer: str | None) -> CodeProblem | None:
    """None when a code in ``status`` can be used now on a cart of ``subtotal``.

    ``status`` is a CodeStatus value. A code still pending or whose issue failed
    was never handed to anyone: to a storefront it does not exist. ``customer``
    None skips the owner check (the storefront does not know who is buying).
    """
    if status in ("pending", "failed"):
        return CodeProblem.UNKNOWN
    if status == "cancelled":
        return CodeProblem.CANCELLED
    if status == "used":
        return CodeProblem.USED
    if status == "expired" or expires_at <= now:
        return CodeProblem.EXPIRED
    if customer is not None and customer != owner:
        return CodeProblem.WRONG_CUSTOMER
    if subtotal is not None and subtotal < min_order_subtotal:
        return CodeProblem.BELOW_MINIMUM
    return None
