"""Refusing callback targets inside the operator's network (SSRF protection).

The host is resolved once, every address is checked, and the request is then sent to the
checked address itself, so a DNS answer that changes between check and use (rebinding)
cannot redirect it.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from typing import Callable, Optional
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
    """True only for an address that is globally reachable and in no special-purpose range.

    Addresses that carry an IPv4 address inside an IPv6 one (IPv4-mapped, NAT64, 6to4,
    Teredo) are judged by every IPv4 address they carry: a relay or translator would
    otherwise deliver to loopback or to the cloud metadata service.
    """
    if isinstance(address, ipaddress.IPv6Address):
        embedded = embedded_ipv4(address)
        if embedded is not None:
            return all(is_public(inner) for inner in embedded)
    if any(address in network for network in _SPECIAL_PURPOSE):
        return False
    return address.is_global and not (address.is_multicast or address.is_reserved)


def embedded_ipv4(address: ipaddress.IPv6Address) -> Optional[tuple[ipaddress.IPv4Address, ...]]:
    """The IPv4 addresses an IPv6 translation form carries; None when it is not one."""
    if address.ipv4_mapped is not None:
        return (address.ipv4_mapped,)
    if address in _NAT64:
        return (ipaddress.IPv4Address(int(address) & 0xFFFFFFFF),)
    if address.sixtofour is not None:
        return (address.sixtofour,)
    if address.teredo is not None:
        return address.teredo  # (server, client)
    return None


# Translation prefix RFC 6052: the last 32 bits are the IPv4 destination.
_NAT64 = ipaddress.ip_network("64:ff9b::/96")

# The IANA IPv4 and IPv6 Special-Purpose Address Registries (RFC 6890 and its updates), plus
# multicast and the deprecated site-local and IPv4-compatible forms. Refused even where the
# registry says "globally reachable" (anycast relays, AS112, AMT): no webhook receiver lives
# there. Python's is_global misses several of these (6to4, 192.0.0.9, 3fff::/20, 5f00::/16
# on 3.11), hence the explicit table.
_SPECIAL_PURPOSE = tuple(ipaddress.ip_network(n) for n in (
    "0.0.0.0/8",            # "this network"
    "10.0.0.0/8",           # private
    "100.64.0.0/10",        # shared address space (carrier-grade NAT)
    "127.0.0.0/8",          # loopback
    "169.254.0.0/16",       # link-local (cloud metadata at 169.254.169.254)
    "172.16.0.0/12",        # private
    "192.0.0.0/24",         # IETF protocol assignments (incl. PCP/TURN anycast .9/.10)
    "192.0.2.0/24",         # documentation TEST-NET-1
    "192.31.196.0/24",      # AS112-v4
    "192.52.193.0/24",      # AMT
    "192.88.99.0/24",       # deprecated 6to4 relay anycast
    "192.168.0.0/16",       # private
    "192.175.48.0/24",      # AS112 direct delegation
    "198.18.0.0/15",        # benchmarking
    "198.51.100.0/24",      # documentation TEST-NET-2
    "203.0.113.0/24",       # documentation TEST-NET-3
    "224.0.0.0/4",          # multicast
    "240.0.0.0/4",          # reserved, and 255.255.255.255 broadcast
    "::/128", "::1/128",    # unspecified, loopback
    "::/96",                # deprecated IPv4-compatible addresses
    "64:ff9b:1::/48",       # local-use IPv4/IPv6 translation
    "100::/64",             # discard-only
    "100:0:0:1::/64",       # dummy prefix
    "2001::/23",            # IETF protocol assignments (Teredo's 2001::/32 is judged above)
    "2001:db8::/32",        # documentation
    "2620:4f:8000::/48",    # AS112 direct delegation
    "3fff::/20",            # documentation
    "5f00::/16",            # segment routing (SRv6) SIDs
    "fc00::/7",             # unique local
    "fe80::/10",            # link-local
    "fec0::/10",            # deprecated site-local
    "ff00::/8",             # multicast
))


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
                    f"{parts.hostname} resolves to {address}, a private, loopback, link-local or "
                    "other special-purpose address (set OPENIDV_ALLOW_PRIVATE_CALLBACKS=1 to allow)"
                )
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    return CallbackTarget(parts.scheme, parts.hostname, port, str(parsed[0]), path)
