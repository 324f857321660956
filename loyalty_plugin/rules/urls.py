"""Which webhook URLs and addresses the service may call: public HTTPS only.

A shop owner chooses the URL, so without these checks the service could be made
to post into its own network or to a cloud metadata endpoint (server-side
request forgery). Loopback is allowed only where the operator says so (local
development and tests). The URL is checked when it is saved; every address a
name resolves to is checked again when a delivery connects.
"""
from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# Names that lead to instance metadata on the common clouds, whatever they resolve to.
METADATA_NAMES = frozenset({"metadata", "metadata.google.internal", "metadata.goog",
                            "instance-data", "instance-data.ec2.internal"})
LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain"})


def address_refusal(address: IPAddress, *, allow_loopback: bool) -> str | None:
    """Why the service must not connect to ``address``; None when it may."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if address.is_loopback:
        return None if allow_loopback else "loopback addresses are not allowed"
    if address.is_link_local:
        return "link-local addresses (cloud metadata) are not allowed"
    if address.is_private:
        return "private network addresses are not allowed"
    if address.is_multicast or not address.is_global:
        return "only public addresses are allowed"
    return None


def url_refusal(url: str, *, allow_loopback: bool) -> str | None:
    """Why ``url`` cannot be a webhook endpoint; None when it can."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises on a malformed port
    except ValueError:
        return "is not a valid URL"
    if parts.scheme not in ("https", "http"):
        return "must be an https:// URL"
    host = (parts.hostname or "").rstrip(".")
    if not host:
        return "has no host"
    if parts.username is not None or parts.password is not None:
        return "must not carry a user name or password"
    if parts.fragment:
        return "must not have a #fragment"
    try:
        address: IPAddress | None = ipaddress.ip_address(host)
    except ValueError:
        address = None
    if address is not None:
        refusal = address_refusal(address, allow_loopback=allow_loopback)
        loopback = refusal is None and address_refusal(address, allow_loopback=False) is not None
    else:
        if host in METADATA_NAMES or host.endswith(".internal"):
            return "points at a cloud metadata or internal host"
        loopback = host in LOOPBACK_NAMES or host.endswith(".localhost")
        refusal = "loopback hosts are not allowed" if loopback and not allow_loopback else None
    if refusal is not None:
        return refusal
    if parts.scheme == "http" and not loopback:
        return "must use https:// (plain http is only allowed to loopback)"
    return None
