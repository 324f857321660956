"""Discount providers for tests: they record what they were asked and fail on demand."""
from __future__ import annotations

import datetime as dt
import threading
import time
from decimal import Decimal

from loyalty_plugin.models import RewardKind
from loyalty_plugin.providers.discounts import DiscountSpec


class RecordingProvider:
    """Creates every code it is asked for (once per idempotency key), like a platform would."""

    name = "fake"
    local = False

    def __init__(self, *, fail: Exception | None = None, delay: float = 0.0,
                 revoke_fail: Exception | None = None, fail_after: int = 0) -> None:
        self.fail = fail
        # ``fail`` applies once this many codes have been created.
        self.fail_after = fail_after
        self.delay = delay
        self.revoke_fail = revoke_fail
        self.created: dict[str, DiscountSpec] = {}  # idempotency key -> spec
        self.calls: list[str] = []  # idempotency keys, one per create call
        self.revoked: list[tuple[str | None, str]] = []  # (reference, code)
        self.lock = threading.Lock()

    def create_code(self, spec: DiscountSpec, idempotency_key: str) -> str:
        with self.lock:
            self.calls.append(idempotency_key)
        if self.delay:
            time.sleep(self.delay)
        if self.fail is not None and len(self.created) >= self.fail_after:
            raise self.fail
        with self.lock:
            self.created.setdefault(idempotency_key, spec)
        return f"gid://fake/DiscountCodeNode/{idempotency_key}"

    def revoke_code(self, reference: str | None, spec: DiscountSpec) -> None:
        if self.revoke_fail is not None:
            raise self.revoke_fail
        with self.lock:
            self.revoked.append((reference, spec.code))

    def factory(self, _shop) -> "RecordingProvider":
        return self


NOW = dt.datetime(2026, 11, 24, 9, 30, tzinfo=dt.timezone.utc)


def make_spec(**overrides) -> DiscountSpec:
    """A $5-off code for customer 1001 (shopper@example.com), $20 minimum, 14 days."""
    values = dict(code="BLUEBRD-ABCD-EFGH-JKMN", kind=RewardKind.FIXED_AMOUNT, value=Decimal("5.0000"),
                  currency="USD", min_order_subtotal=Decimal("20.0000"), product_variant_id=None,
                  customer_platform_id="1001", customer_email="shopper@example.com", starts_at=NOW,
                  expires_at=NOW + dt.timedelta(days=14), title="Loyalty reward BLUEBRD-ABCD-EFGH-JKMN "
                  "(100 points)")
    return DiscountSpec(**{**values, **overrides})
