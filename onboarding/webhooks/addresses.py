"""Where an organization's webhooks may go: public addresses only, unless the settings allow
loopback and private ones (development, tests). Checked when an endpoint is registered and
again before each delivery, on every address its host name resolves to then, so that neither a
URL nor a later DNS answer turns a webhook into a request to the server's own network."""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from onboarding.errors import ValidationError

SCHEMES = ("http", "https")


class RefusedDestination(ValidationError):
    """A webhook URL that is malformed, or that leads to a loopback or private address."""

    def __init__(self, message: str, params: Mapping[str, Any] | None = None) -> None:
        super().__init__(message, "url", params)


def check_destination(url: str, allow_private: bool) -> None:
    """Raise RefusedDestination unless `url` is an http(s) URL whose host resolves only to
    public addresses (any address when `allow_private`)."""
    parts = urlsplit(url)
    if parts.scheme not in SCHEMES or not parts.hostname:
        raise RefusedDestination(
            "A webhook URL starts with https:// (or http://) and names a host."
        )
    if allow_private:
        return
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
        found = socket.getaddrinfo(parts.hostname, port, proto=socket.IPPROTO_TCP)
    except (OSError, ValueError):
        raise RefusedDestination(
            "The host %(host)s cannot be resolved.", {"host": parts.hostname}
        ) from None
    for *_, sockaddr in found:
        if not _public(str(sockaddr[0])):
            raise RefusedDestination(
                "The host %(host)s leads to a loopback or private address; webhooks go to "
                "public addresses only.",
                {"host": parts.hostname},
            )


def _public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast
