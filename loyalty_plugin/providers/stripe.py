"""Stripe through the official SDK, with the shop's own secret key.

The SDK client is built per shop (never the global ``stripe.api_key``), its HTTP
goes through an injected ``requests`` session, and its API base can point at a
fake. The SDK retries network failures itself and sends idempotency keys.
"""
from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator

import requests
import stripe

from ..errors import ProviderError, ProviderRejected, ProviderUnavailable
from ..models import Platform

PAGE_SIZE = 100
# Stripe echoes a masked key in some messages; even masked, it stays out of ours.
_KEY_LIKE = re.compile(r"\b(sk|rk|pk|whsec)_[A-Za-z0-9_*]+")


class StripeProvider:
    platform = Platform.STRIPE

    def __init__(self, client: stripe.StripeClient) -> None:
        self.client = client

    def checkout_sessions_since(self, since: dt.datetime) -> Iterator[dict]:
        """Completed Checkout Sessions created at or after ``since``, newest first, as dicts.

        Open and expired sessions are left out: they are carts, not orders, and no
        webhook would have brought them either.
        """
        params = {"created": {"gte": int(since.timestamp())}, "status": "complete", "limit": PAGE_SIZE}
        try:
            sessions = self.client.v1.checkout.sessions.list(params=params)  # type: ignore[arg-type]
            for session in sessions.auto_paging_iter():
                yield session.to_dict()
        except stripe.StripeError as exc:
            raise provider_error(exc, "list Checkout Sessions") from None


def stripe_client(secret_key: str, api_base: str | None, *, session: requests.Session,
                  network_retries: int, timeout: tuple[float, float]) -> stripe.StripeClient:
    """A client of the shop's own account; ``api_base`` points it at a fake in tests."""
    return stripe.StripeClient(secret_key, base_addresses={"api": api_base} if api_base else None,
                               max_network_retries=max(network_retries, 0),
                               http_client=stripe.RequestsClient(timeout=timeout, session=session))


def provider_error(exc: stripe.StripeError, action: str) -> ProviderError:
    """One error family for the SDK's exceptions; Stripe's messages carry no secret key."""
    status = exc.http_status
    details = {"platform": "stripe", "status": status, "stripe_code": exc.code}
    if isinstance(exc, (stripe.APIConnectionError, stripe.RateLimitError)) or (status or 0) >= 500:
        return ProviderUnavailable(f"Stripe could not {action} ({type(exc).__name__}); try again "
                                   "later.", details=details)
    message = _KEY_LIKE.sub("[key]", exc.user_message or "")[:200] or type(exc).__name__
    return ProviderRejected(f"Stripe refused to {action}: {message}.", details=details)
