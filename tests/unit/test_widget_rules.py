"""Pure pieces of the storefront widget: identity digests, origins, colours, languages."""
from __future__ import annotations

import datetime as dt
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from loyalty_plugin.errors import Unauthorized
from loyalty_plugin.models.widget import WIDGET_LOCALES
from loyalty_plugin.rules.web import check_link, normalise_origin
from loyalty_plugin.services.rate_limits import window_of
from widgets.i18n import messages, resolve_locale
from widgets.identity import customer_digest, verified_customer
from widgets.theme import WHITE, accent_text_color, contrast_ratio, text_color_on


def test_digest_matches_shopifys_documented_hmac_sha256_filter_vector():
    # {{ 'Polyjuice' | hmac_sha256: 'Polina' }} in Liquid (PLATFORMS.md 1.10)
    assert customer_digest("Polyjuice", "Polina") == (
        "8e0d5d65cff1242a4af66c8f4a32854fd5fb80edcc8aabe9b302b29c7c71dc20")


def test_digest_matches_phps_hash_hmac_argument_order():
    # hash_hmac('sha256', $customer_id, $secret): the id is the message, the secret the key.
    import hashlib
    import hmac

    assert customer_digest("42", "s3cret") == hmac.new(b"s3cret", b"42", hashlib.sha256).hexdigest()


def test_verified_customer_accepts_the_right_digest_and_treats_no_id_as_a_guest():
    digest = customer_digest("c1", "secret")
    assert verified_customer("c1", digest, "secret") == "c1"
    assert verified_customer(" c1 ", digest.upper(), "secret") == "c1"
    assert verified_customer(None, None, "secret") is None
    assert verified_customer("", "", "secret") is None


@pytest.mark.parametrize("customer, digest", [
    ("c1", None), ("c1", ""), ("c1", "0" * 64), ("c2", "{c1}"), (None, "{c1}"),
    ("c1", "{c1}0"), ("c1", "zz" * 32), ("x" * 65, "{c1}"),
])
def test_verified_customer_refuses_a_bad_identity_instead_of_falling_back_to_guest(customer, digest):
    digest = digest.replace("{c1}", customer_digest("c1", "secret")) if digest else digest
    with pytest.raises(Unauthorized):
        verified_customer(customer, digest, "secret")


@pytest.mark.parametrize("value, origin", [
    ("https://Shop.Example.com/", "https://shop.example.com"),
    ("https://shop.example.com:443", "https://shop.example.com"),
    ("http://127.0.0.1:8001", "http://127.0.0.1:8001"),
    ("http://localhost", "http://localhost"),
    ("https://[::1]:8443", "https://[::1]:8443"),
])
def test_origins_are_normalised_as_browsers_send_them(value, origin):
    assert normalise_origin(value) == origin


@pytest.mark.parametrize("value", ["*", "null", "shop.example.com", "ftp://shop.example.com",
                                   "https://shop.example.com/path", "https://u:p@shop.example.com",
                                   "https://shop.example.com?x=1", "https://shop.example.com#x",
                                   "https://shop.example.com:99999", "https://sh op.example.com",
                                   "javascript:alert(1)"])
def test_anything_but_an_origin_is_refused(value):
    with pytest.raises(ValueError):
        normalise_origin(value)


@pytest.mark.parametrize("value", ["javascript:alert(1)", "data:text/html,x", "/account/login",
                                   "//evil.example", "https://ex ample.com", "https://" + "a" * 500])
def test_links_must_be_absolute_http_urls(value):
    with pytest.raises(ValueError):
        check_link(value)


@given(st.integers(0, 255), st.integers(0, 255), st.integers(0, 255))
def test_launcher_text_is_readable_on_any_shop_colour(r, g, b):
    color = f"#{r:02x}{g:02x}{b:02x}"
    assert contrast_ratio(color, text_color_on(color)) >= 4.5
    assert contrast_ratio(accent_text_color(color), WHITE) >= 4.5


@pytest.mark.parametrize("shop, page, expected", [
    (None, None, "en"), (None, "fr", "fr"), (None, "de-AT", "de"), (None, "es_MX", "es"),
    (None, "it", "en"), ("fr", "de", "fr"), ("es", None, "es"), (None, "  ", "en"),
])
def test_the_shops_language_wins_then_the_pages_then_english(shop, page, expected):
    assert resolve_locale(shop, page) == expected


def _placeholders(message) -> set[str]:
    texts = message.values() if isinstance(message, dict) else [message]
    return {name for text in texts for name in re.findall(r"\{(\w+)\}", text)}


@pytest.mark.parametrize("locale", WIDGET_LOCALES)
def test_every_language_has_every_message_with_the_same_placeholders(locale):
    english, other = messages("en"), messages(locale)
    assert set(other) == set(english)
    for key, text in english.items():
        assert _placeholders(other[key]) == _placeholders(text), (locale, key)
        assert isinstance(other[key], dict) == isinstance(text, dict), (locale, key)
        if isinstance(text, dict):
            assert "other" in other[key]


def test_rate_windows_start_on_whole_multiples_of_their_length():
    at = dt.datetime(2026, 11, 24, 10, 17, 42, tzinfo=dt.timezone.utc)
    assert window_of(at, 60) == dt.datetime(2026, 11, 24, 10, 17, tzinfo=dt.timezone.utc)
    assert window_of(at, 3600) == dt.datetime(2026, 11, 24, 10, 0, tzinfo=dt.timezone.utc)
