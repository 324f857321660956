"""The storefront's signed customer identity: the digest a shop's theme renders beside
the logged-in customer's id (Shopify's Liquid ``hmac_sha256``, PHP's ``hash_hmac``)."""
from __future__ import annotations

import hashlib
import hmac


def customer_digest(customer_id: str, secret: str) -> str:
    """The hex HMAC-SHA256 of the customer id, keyed with the shop's widget secret."""
    return hmac.new(secret.encode(), customer_id.encode(), hashlib.sha256).hexdigest()
