"""The provider interface: the native provider, the default factory and the deadline."""
from __future__ import annotations

import datetime as dt
import time
from decimal import Decimal

import pytest

from loyalty_plugin.models import Platform, RewardKind, Shop
from loyalty_plugin.providers.discounts import (DiscountSpec, ProviderRejected,
                                                ProviderUnavailable, create_code, default_factory,
                                                revoke_code)
from loyalty_plugin.providers.native import NativeProvider
from tests.providers import RecordingProvider

NOW = dt.datetime(2026, 11, 24, tzinfo=dt.timezone.utc)


def spec(code: str = "BLUE-ABCD-EFGH-JKMN") -> DiscountSpec:
    return DiscountSpec(code=code, kind=RewardKind.FIXED_AMOUNT, value=Decimal("5.00"),
                        currency="USD", min_order_subtotal=Decimal("20"), product_variant_id=None,
                        customer_platform_id="c1", customer_email="c1@example.com", starts_at=NOW,
                        expires_at=NOW + dt.timedelta(days=30), title="Loyalty reward")


def test_native_codes_live_here_only():
    native = NativeProvider()
    assert native.local and native.name == "native"
    assert native.create_code(spec(), "key-1") == "native:BLUE-ABCD-EFGH-JKMN"
    assert native.revoke_code("native:BLUE-ABCD-EFGH-JKMN", spec()) is None


def test_spec_is_single_use():
    assert spec().usage_limit == 1


def test_default_factory_gives_native_codes_to_custom_stores():
    # No app needed: a custom store has nothing to look up.
    assert isinstance(default_factory(Shop(id=1, platform=Platform.CUSTOM)), NativeProvider)


def test_answer_within_the_deadline_is_returned():
    provider = RecordingProvider()
    assert create_code(provider, spec(), "key-1", timeout=5) == "gid://fake/DiscountCodeNode/key-1"
    assert provider.calls == ["key-1"]


@pytest.mark.parametrize("error", [ProviderRejected("bad value"), ProviderUnavailable("503")])
def test_provider_errors_reach_the_caller_unchanged(error):
    with pytest.raises(type(error)) as excinfo:
        create_code(RecordingProvider(fail=error), spec(), "key-1", timeout=5)
    assert excinfo.value is error


def test_a_slow_platform_is_unavailable_and_its_late_code_is_revoked():
    provider = RecordingProvider(delay=0.3)
    started = time.monotonic()
    with pytest.raises(ProviderUnavailable, match="did not answer within 0.05 seconds"):
        create_code(provider, spec(), "key-1", timeout=0.05)
    assert time.monotonic() - started < 0.25
    deadline = time.monotonic() + 5
    while not provider.revoked and time.monotonic() < deadline:
        time.sleep(0.02)
    # The caller gave the points back: the code the platform made after all must not live.
    assert provider.revoked == [("gid://fake/DiscountCodeNode/key-1", "BLUE-ABCD-EFGH-JKMN")]


def test_revoke_within_the_deadline():
    provider = RecordingProvider()
    revoke_code(provider, "ref-1", spec(), timeout=5)
    assert provider.revoked == [("ref-1", "BLUE-ABCD-EFGH-JKMN")]
    with pytest.raises(ProviderUnavailable):
        revoke_code(RecordingProvider(revoke_fail=ProviderUnavailable("down")), "ref-1", spec(), 5)
