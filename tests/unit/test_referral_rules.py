"""Referral codes and the email and address identities the fraud checks compare."""
from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from loyalty_plugin.rules.referrals import (CODE_ALPHABET, CODE_LENGTH, address_digest,
                                            email_identity, new_referral_code, normalise_address,
                                            parse_referral_code)


def test_codes_use_only_unambiguous_characters_and_differ():
    codes = {new_referral_code() for _ in range(2000)}
    assert len(codes) == 2000
    assert all(len(c) == CODE_LENGTH and set(c) <= set(CODE_ALPHABET) for c in codes)
    assert not set("01ILOU") & set(CODE_ALPHABET)


@given(st.text(alphabet=CODE_ALPHABET, min_size=CODE_LENGTH, max_size=CODE_LENGTH))
def test_a_code_typed_in_lower_case_with_dashes_and_spaces_still_parses(code):
    typed = f" {code[:5].lower()}-{code[5:]} "
    assert parse_referral_code(typed) == code


@pytest.mark.parametrize("text", ["", "ABC", "ABCDEFGHJK2", "ABCDEFGHJO", "ABCDEFGH1K", "ABCDÉFGHJK"])
def test_what_cannot_be_a_code_is_none(text):
    assert parse_referral_code(text) is None


@pytest.mark.parametrize("a, b", [
    ("Ann.Lee+promo@Gmail.com", "annlee@gmail.com"),
    ("ann.lee@googlemail.com", "annlee@gmail.com"),
    ("  BOB+x+y@Example.COM ", "bob@example.com"),
])
def test_emails_reaching_the_same_mailbox_share_an_identity(a, b):
    assert email_identity(a) == email_identity(b) == b


def test_dots_count_where_the_provider_counts_them():
    assert email_identity("ann.lee@example.com") != email_identity("annlee@example.com")


@pytest.mark.parametrize("email", [None, "", "no-at-sign", "@example.com", "+tag@example.com", "a@localhost"])
def test_what_is_not_a_mailbox_has_no_identity(email):
    assert email_identity(email) is None


@pytest.mark.parametrize("a, b", [
    (("92 Chestnut Street", "", "Louisville", "40202"), ("Chestnut St. 92", None, "LOUISVILLE", "40202")),
    (("1 Rue de l'Église", "Apt 4", "Paris", "75001"), ("1 rue de l eglise", "#4", "paris", "75 001")),
    (("Hauptstraße 5", None, "Berlin", None), ("Haupt Str. 5", None, "berlin", None)),
    (("10 Downing Street", None, "London", "SW1A 2AA"), ("10 downing st", None, "Westminster", "sw1a2aa")),
])
def test_the_same_door_written_differently_matches(a, b):
    assert normalise_address(*a) == normalise_address(*b) is not None
    assert address_digest(normalise_address(*a)) == address_digest(normalise_address(*b))


@pytest.mark.parametrize("a, b", [
    (("92 Chestnut Street", None, None, "40202"), ("94 Chestnut Street", None, None, "40202")),
    (("92 Chestnut Street", None, None, "40202"), ("92 Chestnut Street", None, None, "40203")),
    (("92 Chestnut Street", None, "Louisville", None), ("92 Chestnut Street", None, "Lexington", None)),
])
def test_different_doors_differ(a, b):
    assert normalise_address(*a) != normalise_address(*b)


@pytest.mark.parametrize("parts", [(None, None, "Paris", "75001"), ("1 Main St", None, None, None),
                                   ("  ,. ", None, "Paris", None)])
def test_an_address_without_a_street_or_a_place_is_not_compared(parts):
    assert normalise_address(*parts) is None


@given(st.text(max_size=60), st.text(max_size=20), st.text(max_size=30), st.text(max_size=12))
def test_normalising_is_idempotent(line1, line2, city, postal):
    once = normalise_address(line1, line2, city, postal)
    if once is not None:
        street, place = once.split("|")
        assert normalise_address(street, None, place, None) == once


ascii_text = st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=40)


@given(ascii_text, ascii_text, ascii_text, ascii_text)
def test_case_never_matters(line1, line2, city, postal):
    assert normalise_address(line1, line2, city, postal) == \
        normalise_address(line1.upper(), line2.lower(), city.swapcase(), postal.upper())
