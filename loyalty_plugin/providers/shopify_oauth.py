"""Shopify OAuth for a public app: the token endpoint, for the install code and for refreshes.

An authorization code works once and Shopify rotates the refresh token on every
use, so neither POST is ever retried: a lost answer must not be followed by a
second try with a spent credential.
"""
from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import requests
from requests.auth import AuthBase

from ..errors import ProviderRejected
from .http import DEFAULT_TIMEOUT, HttpClient

TOKEN_PATH = "/admin/oauth/access_token"
ACCESS_TOKEN_HEADER = "X-Shopify-Access-Token"


@dataclass(frozen=True)
class ShopifyApp:
    """The public app's credentials and the scopes it asks for."""

    api_key: str
    api_secret: str = field(repr=False)
    scopes: tuple[str, ...] = ()

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> ShopifyApp | None:
        key = str(config.get("LOYALTY_SHOPIFY_API_KEY") or "").strip()
        secret = str(config.get("LOYALTY_SHOPIFY_API_SECRET") or "").strip()
        if not key or not secret:
            return None
        scopes = str(config.get("LOYALTY_SHOPIFY_SCOPES") or "")
        return cls(key, secret, tuple(s.strip() for s in scopes.split(",") if s.strip()))

    def missing_scopes(self, granted: tuple[str, ...]) -> list[str]:
        # Shopify reports write_X alone when read_X was asked for too: writing implies reading.
        have = set(granted) | {f"read_{s[6:]}" for s in granted if s.startswith("write_")}
        return [scope for scope in self.scopes if scope not in have]


@dataclass(frozen=True)
class TokenGrant:
    access_token: str = field(repr=False)
    scopes: tuple[str, ...] = ()
    # Seconds; None for a token that does not expire.
    expires_in: int | None = None
    refresh_token: str | None = field(default=None, repr=False)
    refresh_token_expires_in: int | None = None

    def access_expires_at(self, now: dt.datetime) -> dt.datetime | None:
        return None if self.expires_in is None else now + dt.timedelta(seconds=self.expires_in)

    def refresh_expires_at(self, now: dt.datetime) -> dt.datetime | None:
        seconds = self.refresh_token_expires_in
        return None if seconds is None else now + dt.timedelta(seconds=seconds)


class ShopifyOAuth:
    def __init__(self, app: ShopifyApp, *, session: requests.Session | None = None,
                 timeout: tuple[float, float] = DEFAULT_TIMEOUT,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.app = app
        self.session = session or requests.Session()
        self.timeout = timeout
        self.sleep = sleep

    def exchange_code(self, shop_domain: str, code: str) -> TokenGrant:
        """An offline token for the shop; ``expiring`` asks for one that expires, with a refresh token."""
        return self._token(shop_domain, {"client_id": self.app.api_key,
                                         "client_secret": self.app.api_secret,
                                         "code": code, "expiring": 1})

    def refresh(self, shop_domain: str, refresh_token: str) -> TokenGrant:
        return self._token(shop_domain, {"client_id": self.app.api_key,
                                         "client_secret": self.app.api_secret,
                                         "grant_type": "refresh_token",
                                         "refresh_token": refresh_token})

    def _token(self, shop_domain: str, body: dict[str, Any]) -> TokenGrant:
        http = HttpClient("Shopify", f"https://{shop_domain}", session=self.session,
                          timeout=self.timeout, sleep=self.sleep)
        answer = http.json_of(http.request("POST", TOKEN_PATH, json=body), f"POST {TOKEN_PATH}")
        return parse_grant(answer)


def parse_grant(answer: Any) -> TokenGrant:
    if not isinstance(answer, dict):
        raise ProviderRejected("Shopify answered the token request without a JSON object.")
    token = answer.get("access_token")
    if not isinstance(token, str) or not token.strip() or len(token) > 2048:
        raise ProviderRejected("Shopify answered the token request without an access token.")
    refresh = answer.get("refresh_token")
    scope = answer.get("scope")
    scopes = tuple(s.strip() for s in scope.split(",") if s.strip()) if isinstance(scope, str) else ()
    return TokenGrant(access_token=token.strip(), scopes=scopes,
                      expires_in=_seconds(answer.get("expires_in")),
                      refresh_token=refresh.strip() if isinstance(refresh, str) and refresh.strip() else None,
                      refresh_token_expires_in=_seconds(answer.get("refresh_token_expires_in")))


def _seconds(value: Any) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        return None
    return min(value, 10 * 365 * 86400)


class AccessTokenAuth(AuthBase):
    """Sets the access token on every request from ``source``, so a token refreshed in the
    middle of a long run is used from the next request on."""

    def __init__(self, source: Callable[[], str], header: str = ACCESS_TOKEN_HEADER) -> None:
        self.source = source
        self.header = header

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers[self.header] = self.source()
        return request
