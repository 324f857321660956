"""Pure rules of outbound notifications: retry delays and which URLs may be called."""
from __future__ import annotations

import datetime as dt
import ipaddress

import pytest
from hypothesis import given
from hypothesis import strategies as st

from loyalty_plugin.rules.backoff import BASE_DELAY, MAX_DELAY, retry_delay
from loyalty_plugin.rules.urls import address_refusal, url_refusal
from loyalty_plugin.services.safe_http import RefusedAddress, vetted_address
from loyalty_plugin.services.webhook_sender import sign


@given(st.integers(min_value=1, max_value=10_000), st.floats(min_value=0, max_value=1))
def test_a_retry_waits_between_half_and_all_of_the_doubled_delay_never_past_the_cap(attempts, random):
    ceiling = min(MAX_DELAY, BASE_DELAY * 2 ** min(attempts - 1, 32))
    delay = retry_delay(attempts, lambda: random)
    assert ceiling / 2 <= delay <= ceiling <= MAX_DELAY


def test_retry_delays_double_and_jitter_spreads_them():
    assert [retry_delay(n, lambda: 1.0) for n in (1, 2, 3)] == [
        dt.timedelta(seconds=30), dt.timedelta(seconds=60), dt.timedelta(seconds=120)]
    assert retry_delay(1, lambda: 0.0) == dt.timedelta(seconds=15)
    assert retry_delay(40, lambda: 1.0) == MAX_DELAY
    with pytest.raises(ValueError):
        retry_delay(0, lambda: 0.5)


@pytest.mark.parametrize("address, loopback_allowed, refused", [
    ("93.184.215.14", False, None),
    ("2606:2800:21f:cb07:6820:80da:af6b:8b2c", False, None),
    ("127.0.0.1", True, None),
    ("::1", True, None),
    ("127.0.0.1", False, "loopback"),
    ("::ffff:127.0.0.1", False, "loopback"),
    ("169.254.169.254", True, "link-local"),
    ("fe80::1", True, "link-local"),
    ("10.0.0.5", True, "private"),
    ("fd00:ec2::254", True, "private"),
    ("::ffff:192.168.1.1", True, "private"),
    ("100.64.0.1", True, "public"),
    ("224.0.0.1", True, "public"),
    ("0.0.0.0", True, "private"),
])
def test_address_refusals(address, loopback_allowed, refused):
    reason = address_refusal(ipaddress.ip_address(address), allow_loopback=loopback_allowed)
    assert (reason is None) if refused is None else (refused in reason)


@pytest.mark.parametrize("url, refused", [
    ("https://hooks.example.com/loyalty?token=x", None),
    ("https://93.184.215.14:8443/hook", None),
    ("HTTPS://Hooks.Example.com/", None),
    ("http://hooks.example.com/", "https"),
    ("https://hooks.internal/", "internal"),
    ("https://metadata/", "metadata"),
    ("https://localhost/", "loopback"),
    ("https://app.localhost/", "loopback"),
    ("https:///no-host", "no host"),
    ("https://hooks.example.com/#part", "fragment"),
    ("javascript:alert(1)", "https"),
])
def test_url_refusals(url, refused):
    reason = url_refusal(url, allow_loopback=False)
    assert (reason is None) if refused is None else (refused in reason)


def test_a_name_is_refused_at_connect_time_when_it_resolves_to_loopback():
    with pytest.raises(RefusedAddress, match="loopback"):
        vetted_address("localhost", 443, allow_loopback=False)
    assert ipaddress.ip_address(vetted_address("localhost", 443, allow_loopback=True)).is_loopback


def test_the_signature_is_hmac_sha256_of_timestamp_dot_body():
    # Computed independently: printf '1700000000.{"id":1}' | openssl dgst -sha256 -hmac whsec_test
    assert sign("whsec_test", 1700000000, b'{"id":1}') == (
        "2f441ba4b3b2d50d28a9ab9d9fd8880376ecd1eb5d0435401553f5d8d0a5dcf8")
