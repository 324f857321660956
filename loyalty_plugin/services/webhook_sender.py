"""Sending one event to one webhook endpoint, signed so the receiver can trust it.

The body is ``{id, type, created_at, shop_id, data}``. ``X-Loyalty-Signature``
is ``t=<unix seconds>,v1=<hex>``, where ``v1`` is the HMAC-SHA256, keyed with the
endpoint's secret, of ``"<t>."`` followed by the exact body bytes: the scheme of
the custom-store inbound format, so one verifier serves both directions.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import requests

from .safe_http import RefusedAddress, vetted_session

SIGNATURE_HEADER = "X-Loyalty-Signature"
USER_AGENT = "loyalty-plugin-webhooks/1"
TIMEOUT = (3.05, 10.0)  # connect, read: a slow receiver must not hold a worker


@dataclass(frozen=True)
class WebhookMessage:
    delivery_id: int
    url: str
    secret: str
    event: dict[str, Any]  # the body: id, type, created_at, shop_id, data


@dataclass(frozen=True)
class SendResult:
    ok: bool
    status_code: int | None = None
    error: str | None = None


def sign(secret: str, timestamp: int, body: bytes) -> str:
    return hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def encode(event: dict[str, Any]) -> bytes:
    return json.dumps(event, separators=(",", ":"), ensure_ascii=False).encode()


class WebhookSender:
    """Posts signed events; errors are described without the URL, which may hold a token."""

    def __init__(self, *, allow_loopback: bool = False, timeout: tuple[float, float] = TIMEOUT,
                 clock: Callable[[], float] = time.time) -> None:
        self._http = vetted_session(allow_loopback=allow_loopback)
        self._timeout = timeout
        self._clock = clock

    def send(self, message: WebhookMessage) -> SendResult:
        body = encode(message.event)
        timestamp = int(self._clock())
        headers = {
            "Content-Type": "application/json", "User-Agent": USER_AGENT,
            "X-Loyalty-Event-Id": str(message.event["id"]),
            "X-Loyalty-Event-Type": message.event["type"],
            "X-Loyalty-Delivery-Id": str(message.delivery_id),
            "X-Loyalty-Timestamp": str(timestamp),
            SIGNATURE_HEADER: f"t={timestamp},v1={sign(message.secret, timestamp, body)}",
        }
        try:
            response = self._http.post(message.url, data=body, headers=headers, timeout=self._timeout,
                                       allow_redirects=False, stream=True)
        except RefusedAddress as exc:
            return SendResult(False, error=str(exc))
        except requests.Timeout:
            return SendResult(False, error=f"timed out (connect {self._timeout[0]} s, read {self._timeout[1]} s)")
        except requests.RequestException as exc:
            return SendResult(False, error=f"could not connect ({type(exc).__name__})")
        response.close()  # the answer's body is not needed, however large it is
        if 200 <= response.status_code < 300:
            return SendResult(True, response.status_code)
        if 300 <= response.status_code < 400:
            return SendResult(False, response.status_code, "answered with a redirect, which is not followed")
        return SendResult(False, response.status_code, f"answered HTTP {response.status_code}")

    def close(self) -> None:
        self._http.close()
