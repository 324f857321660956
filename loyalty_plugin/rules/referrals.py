"""Referral codes, and the identities fraud checks compare: emails and postal addresses.

Pure functions on plain strings. Two emails or addresses that reach the same
mailbox or door should compare equal; the cost of a false match is a refused
referral the shop can still grant by hand, so the rules lean toward matching.
"""
from __future__ import annotations

import hashlib
import re
import secrets
import unicodedata

# No 0/O, 1/I/L or U: nothing to misread when a code is read out or typed.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_LENGTH = 10  # 30 ** 10 is about 2 ** 49 codes

# Mail providers that ignore dots in the local part and have a second domain name.
_DOTLESS_DOMAINS = {"gmail.com": "gmail.com", "googlemail.com": "gmail.com"}

_ABBREVIATIONS = {
    "street": "st", "str": "st", "strasse": "st", "avenue": "ave", "av": "ave", "road": "rd",
    "boulevard": "blvd", "drive": "dr", "lane": "ln", "court": "ct", "place": "pl",
    "square": "sq", "terrace": "ter", "highway": "hwy", "parkway": "pkwy", "circle": "cir",
    "apartment": "apt", "appt": "apt", "unit": "apt", "flat": "apt", "suite": "apt", "ste": "apt",
    "floor": "fl", "building": "bldg", "north": "n", "south": "s", "east": "e", "west": "w",
    "rue": "r", "number": "no", "nr": "no",
}
_NOISE = {"no", "apt"}  # "Apt 4" and "#4" and "No. 4" are the same door
_NON_ALNUM = re.compile(r"[^0-9a-z]+")


def new_referral_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def parse_referral_code(text: str) -> str | None:
    """A code as a customer may type it (any case, spaces or dashes), or None if it cannot be one."""
    code = re.sub(r"[\s-]", "", text).upper()
    if len(code) != CODE_LENGTH or any(c not in CODE_ALPHABET for c in code):
        return None
    return code


def email_identity(email: str | None) -> str | None:
    """The mailbox an address delivers to: no "+tag", and no dots where the provider ignores them."""
    if not email:
        return None
    local, _, domain = email.strip().casefold().rpartition("@")
    if not local or "." not in domain:
        return None
    local = local.split("+", 1)[0]
    if domain in _DOTLESS_DOMAINS:
        local, domain = local.replace(".", ""), _DOTLESS_DOMAINS[domain]
    return f"{local}@{domain}" if local else None


def _fold(text: str | None) -> str:
    decomposed = unicodedata.normalize("NFKD", (text or "").casefold().replace("ß", "ss"))
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return _NON_ALNUM.sub(" ", plain).strip()


def _street_tokens(text: str) -> list[str]:
    tokens = []
    for token in text.split():
        # German compounds: "Hauptstrasse" is "Haupt st".
        if token.endswith("strasse") and token != "strasse":
            tokens += [token[:-len("strasse")], "st"]
            continue
        token = _ABBREVIATIONS.get(token, token)
        if token not in _NOISE:
            tokens.append(token)
    return tokens


def normalise_address(line1: str | None, line2: str | None = None, city: str | None = None,
                      postal_code: str | None = None) -> str | None:
    """One comparable string for a street address, or None when it is too incomplete to compare.

    Street words are folded (case, accents, punctuation), abbreviated and sorted,
    so "92 Chestnut Street" and "Chestnut St. 92" match. The postal code places
    it when there is one, else the city; the country is left out because forms
    fill it in so differently.
    """
    street = sorted(_street_tokens(f"{_fold(line1)} {_fold(line2)}"))
    postal = _fold(postal_code).replace(" ", "")
    place = postal or _fold(city)
    if not street or not place:
        return None
    return f"{' '.join(street)}|{place}"


def address_digest(normalised: str) -> str:
    """What is stored and compared: the normalised address is personal data, its hash less so."""
    return hashlib.sha256(normalised.encode()).hexdigest()
