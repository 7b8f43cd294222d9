"""Refusing callback targets inside the operator's network (SSRF protection).

The host is resolved once, every address is checked, and the request is then sent to the
checked address itself, so a DNS answer that changes between check and use (rebinding)
cannot redirect it.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from typing import Callable
from urllib.parse import urlsplit

IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], list[str]]


class CallbackRefused(Exception):
    """The callback URL is not allowed (not http(s), or resolves to a non-public address)."""


class CallbackUnresolved(Exception):
    """The callback host did not resolve now; retrying later may succeed."""


@dataclass(frozen=True)
class CallbackTarget:
    scheme: str
    host: str  # as written in the URL (for Host header and TLS name)
    port: int
    address: str  # the checked IP address to connect to
    path_and_query: str


def system_resolver(host: str, port: int) -> list[str]:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [info[4][0] for info in infos]


def is_public(address: IpAddress) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    return not (
        address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
        or (isinstance(address, ipaddress.IPv4Address) and address in _SHARED_ADDRESS_SPACE)
    )


_SHARED_ADDRESS_SPACE = ipaddress.ip_network("100.64.0.0/10")  # carrier-grade NAT


def resolve_callback(url: str, *, allow_private: bool, resolver: Resolver = system_resolver) -> CallbackTarget:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise CallbackRefused("callback URL must be http(s) with a host")
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        addresses = resolver(parts.hostname, port)
    except (OSError, UnicodeError) as exc:
        # DNS can fail for a while (a resolver outage): not a verdict on the address.
        raise CallbackUnresolved(f"cannot resolve {parts.hostname}: {exc}") from exc
    if not addresses:
        raise CallbackUnresolved(f"{parts.hostname} has no address")
    parsed = [ipaddress.ip_address(a.split("%")[0]) for a in addresses]
    if not allow_private:
        for address in parsed:
            if not is_public(address):
                raise CallbackRefused(
                    f"{parts.hostname} resolves to {address}, a private/loopback/link-local "
                    "address (set OPENIDV_ALLOW_PRIVATE_CALLBACKS=1 to allow)"
                )
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    return CallbackTarget(parts.scheme, parts.hostname, port, str(parsed[0]), path)
