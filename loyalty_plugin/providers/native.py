"""The native provider: the code lives only in this database.

For custom storefronts. Creating and revoking change nothing outside the code's
own record; the storefront checks and consumes codes through
``POST /api/v1/codes/validate`` and ``POST /api/v1/codes/<code>/use``.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # only for annotations: discounts imports this module
    from .discounts import DiscountSpec

NATIVE = "native"


class NativeProvider:
    name = NATIVE
    # Nothing leaves the process, so there is no call to bound with a deadline.
    local = True

    def create_code(self, spec: DiscountSpec, idempotency_key: str) -> str:
        return f"{NATIVE}:{spec.code}"

    def revoke_code(self, reference: str | None, spec: DiscountSpec) -> None:
        return None
