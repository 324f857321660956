"""Code strings (alphabet, prefix, length) and the storefront's checks, as pure rules."""
from __future__ import annotations

import datetime as dt
import itertools
import re
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from loyalty_plugin.rules.codes import (ALPHABET, DEFAULT_PREFIX, MAX_CODE_LENGTH, RANDOM_LENGTH,
                                        CodeProblem, clean_prefix, code_problem, default_prefix,
                                        generate_code, normalise_code)

NOW = dt.datetime(2026, 11, 24, 12, 0, tzinfo=dt.timezone.utc)
LATER = NOW + dt.timedelta(days=30)


def test_alphabet_has_no_lookalikes_and_32_distinct_symbols():
    assert not set("0O1I") & set(ALPHABET)
    assert len(ALPHABET) == len(set(ALPHABET)) == 32
    assert set(ALPHABET) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")


def test_generated_code_is_prefix_and_three_groups_of_four():
    code = generate_code("BLUE")
    assert re.fullmatch(rf"BLUE-[{ALPHABET}]{{4}}-[{ALPHABET}]{{4}}-[{ALPHABET}]{{4}}", code), code
    assert len(code.replace("-", "")) == len("BLUE") + RANDOM_LENGTH
    assert len(code) <= MAX_CODE_LENGTH


def test_every_random_character_comes_from_the_injected_choice():
    symbols = itertools.cycle("AB")
    seen = []

    def choice(alphabet: str) -> str:
        seen.append(alphabet)
        return next(symbols)

    assert generate_code("P", choice=choice) == "P-ABAB-ABAB-ABAB"
    assert seen == [ALPHABET] * RANDOM_LENGTH


def test_codes_do_not_repeat_over_many_draws():
    codes = {generate_code("X") for _ in range(5000)}
    assert len(codes) == 5000
    body = "".join(code[2:].replace("-", "") for code in codes)
    # Every symbol turns up, none dominates: uniform draws, not a fixed pattern.
    counts = [body.count(symbol) for symbol in ALPHABET]
    assert min(counts) > 0.8 * len(body) / 32 and max(counts) < 1.2 * len(body) / 32


@pytest.mark.parametrize("domain, prefix", [
    ("blue-bird.myshopify.com", "BLUEBRD"),
    ("www.shoes.example", "SHES"),           # O is dropped: the code stays unambiguous
    ("shop.example.com", "EXAMPLE"),
    ("io1.example", DEFAULT_PREFIX),  # nothing usable left in the first label
    ("", DEFAULT_PREFIX),
    ("verylongshopname.example", "VERYLNG"),
])
def test_default_prefix_comes_from_the_domain_without_lookalikes(domain, prefix):
    assert default_prefix(domain) == prefix
    assert set(default_prefix(domain)) <= set(ALPHABET)


def test_configured_prefix_wins_and_is_cleaned():
    assert clean_prefix("vip-2026!", "x.example") == "VIP2026"
    assert clean_prefix("abcdefghijklmnop", "x.example") == "ABCDEFGHIJKL"
    assert clean_prefix("--", "blue.example") == "BLUE"
    assert clean_prefix(None, "blue.example") == "BLUE"


@given(st.text(max_size=80))
def test_normalised_codes_are_trimmed_upper_case_and_short(text):
    code = normalise_code(text)
    if code is not None:
        assert code == code.strip().upper() and 0 < len(code) <= MAX_CODE_LENGTH


def test_normalise_accepts_what_a_customer_types():
    assert normalise_code("  blue-abcd-efgh-jkmn ") == "BLUE-ABCD-EFGH-JKMN"
    assert normalise_code("   ") is None
    assert normalise_code("x" * 65) is None


def problem(status="issued", *, expires_at=LATER, subtotal="50", minimum="20", owner="c1",
            customer="c1"):
    return code_problem(status=status, expires_at=expires_at, now=NOW,
                        min_order_subtotal=Decimal(minimum),
                        subtotal=None if subtotal is None else Decimal(subtotal),
                        owner=owner, customer=customer)


def test_an_issued_code_in_time_above_the_minimum_for_its_owner_is_valid():
    assert problem() is None
    assert problem(subtotal="20") is None  # the minimum itself is enough
    assert problem(customer=None) is None  # the storefront may not know the buyer


@pytest.mark.parametrize("kwargs, expected", [
    ({"status": "pending"}, CodeProblem.UNKNOWN),
    ({"status": "failed"}, CodeProblem.UNKNOWN),
    ({"status": "cancelled"}, CodeProblem.CANCELLED),
    ({"status": "used"}, CodeProblem.USED),
    ({"status": "expired"}, CodeProblem.EXPIRED),
    ({"expires_at": NOW}, CodeProblem.EXPIRED),  # expiry is exclusive
    ({"customer": "c2"}, CodeProblem.WRONG_CUSTOMER),
    ({"owner": None, "customer": "c1"}, CodeProblem.WRONG_CUSTOMER),
    ({"subtotal": "19.99"}, CodeProblem.BELOW_MINIMUM),
    # Several problems: the most final one is reported.
    ({"status": "used", "expires_at": NOW, "customer": "c2"}, CodeProblem.USED),
    ({"expires_at": NOW, "subtotal": "1"}, CodeProblem.EXPIRED),
])
def test_each_problem_is_reported(kwargs, expected):
    assert problem(**kwargs) is expected
