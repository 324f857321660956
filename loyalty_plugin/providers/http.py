"""The one outbound HTTP client: timeouts, bounded retries with backoff, one error family.

Retries cover what may pass by itself (connection errors, timeouts, 429 and 5xx)
and only for requests that are safe to repeat: reads, or writes that carry an
idempotency key. Error messages name the platform, method, path and status,
never a query string, header or body we sent, so no credential can leak.
"""
from __future__ import annotations

import email.utils
import logging
import time
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from typing import Any

import requests

from ..errors import ProviderRejected, ProviderUnavailable

log = logging.getLogger(__name__)

# (connect, read) seconds.
DEFAULT_TIMEOUT: tuple[float, float] = (3.05, 20.0)
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 3
    backoff: float = 0.5  # before the first retry; doubles each time
    max_backoff: float = 8.0
    # A longer Retry-After gives up at once: the caller (or the platform's own
    # webhook retry) comes back later instead of holding a request open.
    max_retry_after: float = 30.0

    def delay(self, retry: int, retry_after: float | None) -> float:
        if retry_after is not None:
            return retry_after
        return min(self.backoff * (2 ** retry), self.max_backoff)


class HttpClient:
    def __init__(self, platform: str, base_url: str, *, session: requests.Session | None = None,
                 headers: Mapping[str, str] | None = None, auth: Any = None,
                 timeout: tuple[float, float] = DEFAULT_TIMEOUT, retry: RetryPolicy = RetryPolicy(),
                 idempotency_header: str | None = None,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.platform = platform
        self.base_url = base_url.rstrip("/")
        self.session = session or requests.Session()
        self.headers = {"Accept": "application/json", **(headers or {})}
        self.auth = auth
        self.timeout = timeout
        self.retry = retry
        self.idempotency_header = idempotency_header
        self.sleep = sleep

    def __repr__(self) -> str:
        return f"HttpClient({self.platform!r}, {self.base_url!r})"

    def request(self, method: str, path: str, *, params: Mapping[str, Any] | None = None,
                json: Any = None, idempotency_key: str | None = None,
                read_only: bool = False, expect: Collection[int] = ()) -> requests.Response:
        """``read_only`` vouches that a POST changes nothing (a GraphQL query), so it may repeat.

        ``expect``: 4xx statuses the caller reads itself (a duplicate, a resource already
        gone) instead of having them raised as ProviderRejected.
        """
        method = method.upper()
        headers = dict(self.headers)
        if idempotency_key and self.idempotency_header:
            headers[self.idempotency_header] = idempotency_key
        repeatable = method in SAFE_METHODS or idempotency_key is not None or read_only
        what = f"{method} {path}"
        for attempt in range(self.retry.attempts):
            last = attempt + 1 >= self.retry.attempts or not repeatable
            try:
                response = self.session.request(method, self.base_url + path, params=params, json=json,
                                                headers=headers, auth=self.auth, timeout=self.timeout)
            except requests.Timeout:
                problem, retry_after = "did not answer in time", None
            except requests.ConnectionError:
                problem, retry_after = "could not be reached", None
            except requests.RequestException as exc:
                raise ProviderUnavailable(f"{self.platform} request {what} failed "
                                          f"({type(exc).__name__}).") from None
            else:
                if response.status_code not in RETRY_STATUSES:
                    if response.status_code >= 400 and response.status_code not in expect:
                        raise ProviderRejected(
                            f"{self.platform} answered {response.status_code} to {what}"
                            f"{_platform_message(response)}.",
                            details={"platform": self.platform, "status": response.status_code})
                    return response
                problem = f"answered {response.status_code}"
                retry_after = _retry_after(response)
            delay = self.retry.delay(attempt, retry_after)
            if last or delay > self.retry.max_retry_after:
                raise ProviderUnavailable(f"{self.platform} {problem} to {what}; try again later.",
                                          details={"platform": self.platform, "attempts": attempt + 1})
            log.warning("provider retry platform=%s request=%s problem=%s wait=%.2fs", self.platform,
                        what, problem, delay)
            self.sleep(delay)
        raise AssertionError("unreachable")  # pragma: no cover

    def get_json(self, path: str, *, params: Mapping[str, Any] | None = None) -> Any:
        return self.json_of(self.request("GET", path, params=params), f"GET {path}")

    def json_of(self, response: requests.Response, what: str) -> Any:
        if response.status_code == 204 or not response.content:
            return None
        try:
            return response.json()
        except ValueError:
            raise ProviderUnavailable(f"{self.platform} answered {what} with a body that is not "
                                      "JSON.") from None


def _retry_after(response: requests.Response) -> float | None:
    value = response.headers.get("Retry-After")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def _platform_message(response: requests.Response) -> str:
    """The platform's own short explanation, when it gives one."""
    try:
        body = response.json()
    except ValueError:
        return ""
    if isinstance(body, list) and body and isinstance(body[0], dict):
        body = body[0]
    if not isinstance(body, dict):
        return ""
    message = body.get("message") or body.get("title") or body.get("errors") or body.get("error")
    if isinstance(message, dict):
        message = message.get("message")
    return f": {str(message)[:200]}" if message else ""
