"""A requests session that only ever connects to addresses the URL rules allow.

The check runs when the socket is opened, on the very address it connects to,
so a name that resolved to a public address when the endpoint was saved cannot
later lead into the private network (DNS rebinding). Redirects are not followed
and proxy settings from the environment are ignored, for the same reason.
"""
from __future__ import annotations

import ipaddress
import socket
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import ConnectTimeoutError, NameResolutionError, NewConnectionError
from urllib3.util.connection import create_connection

from ..rules.urls import address_refusal


class RefusedAddress(Exception):
    """The host resolves to an address the service must not call.

    Deliberately not an OSError: urllib3 and requests would wrap it as a retryable
    connection failure and lose the reason.
    """


def vetted_address(host: str, port: int, *, allow_loopback: bool) -> str:
    """The address to connect to; every address ``host`` resolves to must be allowed."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    addresses = [info[4][0] for info in infos]
    for address in addresses:
        refusal = address_refusal(ipaddress.ip_address(address.split("%")[0]),
                                  allow_loopback=allow_loopback)
        if refusal is not None:
            raise RefusedAddress(f"{host} resolves to a refused address: {refusal}")
    return addresses[0]


class _VettedConnectionMixin:
    allow_loopback = False

    def _new_conn(self) -> socket.socket:
        conn: Any = self
        try:
            address = vetted_address(conn.host, conn.port, allow_loopback=self.allow_loopback)
        except socket.gaierror as exc:
            raise NameResolutionError(conn.host, conn, exc) from exc
        try:
            return create_connection((address, conn.port), conn.timeout,
                                     source_address=conn.source_address,
                                     socket_options=conn.socket_options)
        except TimeoutError as exc:
            raise ConnectTimeoutError(conn, f"Connection to {conn.host} timed out.") from exc
        except OSError as exc:
            raise NewConnectionError(conn, f"Failed to establish a new connection: {exc}") from exc


def _pool_classes(allow_loopback: bool) -> dict[str, type]:
    attrs = {"allow_loopback": allow_loopback}
    http = type("VettedHTTPConnection", (_VettedConnectionMixin, HTTPConnection), attrs)
    https = type("VettedHTTPSConnection", (_VettedConnectionMixin, HTTPSConnection), attrs)
    return {"http": type("VettedHTTPPool", (HTTPConnectionPool,), {"ConnectionCls": http}),
            "https": type("VettedHTTPSPool", (HTTPSConnectionPool,), {"ConnectionCls": https})}


_POOLS = {flag: _pool_classes(flag) for flag in (False, True)}


class VettedAdapter(HTTPAdapter):
    def __init__(self, *, allow_loopback: bool = False, **kwargs: Any) -> None:
        self._pool_classes = _POOLS[allow_loopback]
        super().__init__(**kwargs)

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = self._pool_classes


def vetted_session(*, allow_loopback: bool = False) -> requests.Session:
    session = requests.Session()
    session.trust_env = False  # no proxy from the environment: it would connect for us
    adapter = VettedAdapter(allow_loopback=allow_loopback)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session
