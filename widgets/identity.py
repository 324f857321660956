"""The storefront's signed customer identity.

The shop's theme renders the logged-in customer's id beside its digest, the hex
HMAC-SHA256 of the id keyed with the shop's widget secret (Shopify's Liquid
``hmac_sha256`` filter, PHP's ``hash_hmac``). The secret never reaches the
browser, so a shopper cannot sign another customer's id.
"""
from __future__ import annotations

import hmac
import re

from loyalty_plugin.errors import ErrorCode, Unauthorized
from loyalty_plugin.rules.identity import customer_digest

CUSTOMER_HEADER = "X-Loyalty-Customer"
DIGEST_HEADER = "X-Loyalty-Digest"
MAX_CUSTOMER_ID = 64  # the width of customer_accounts.platform_customer_id
_DIGEST = re.compile(r"^[0-9a-fA-F]{64}$")

__all__ = ["CUSTOMER_HEADER", "DIGEST_HEADER", "customer_digest", "verified_customer"]


def verified_customer(customer_id: str | None, digest: str | None, secret: str) -> str | None:
    """The customer id when its digest matches; None for a guest (no id at all).

    Raises Unauthorized for an id without a digest, or a digest that does not
    match: a wrong identity must never fall back to the guest view silently.
    """
    customer_id = (customer_id or "").strip()
    digest = (digest or "").strip()
    if not customer_id:
        if digest:
            raise Unauthorized(f"{DIGEST_HEADER} was sent without {CUSTOMER_HEADER}.",
                               code=ErrorCode.INVALID_SIGNATURE)
        return None
    if not digest:
        raise Unauthorized(f"Send the customer's digest in {DIGEST_HEADER}.",
                           code=ErrorCode.INVALID_SIGNATURE)
    if len(customer_id) > MAX_CUSTOMER_ID or not _DIGEST.match(digest):
        raise Unauthorized("The customer digest does not match.", code=ErrorCode.INVALID_SIGNATURE)
    expected = customer_digest(customer_id, secret)
    if not hmac.compare_digest(expected, digest.lower()):
        raise Unauthorized("The customer digest does not match.", code=ErrorCode.INVALID_SIGNATURE)
    return customer_id
