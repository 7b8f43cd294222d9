"""Callback URLs into the operator's own network are refused."""

from __future__ import annotations

import pytest

from openidv.webhooks.ssrf import CallbackRefused, resolve_callback, system_resolver


def stub(mapping: dict[str, list[str]]):  # noqa: ANN201
    def resolver(host: str, port: int) -> list[str]:
        if host not in mapping:
            raise OSError("unknown host")
        return mapping[host]

    return resolver


@pytest.mark.parametrize(
    "address",
    ["127.0.0.1", "127.8.9.10", "10.1.2.3", "172.16.0.1", "172.31.255.255", "192.168.1.1",
     "169.254.169.254", "0.0.0.0", "100.64.0.1", "::1", "fd00::1", "fc12::5", "fe80::1",
     "::ffff:127.0.0.1", "::ffff:10.0.0.1", "224.0.0.1"],
)
def test_private_targets_are_refused(address):
    with pytest.raises(CallbackRefused):
        resolve_callback("https://hooks.example/x", allow_private=False,
                         resolver=stub({"hooks.example": [address]}))


@pytest.mark.parametrize(
    "address",
    ["2002:7f00:1::", "2002:a9fe:a9fe::1", "2002:0a00:0001::",  # 6to4 carrying 127/8, metadata, 10/8
     "64:ff9b::7f00:1", "64:ff9b::a9fe:a9fe", "64:ff9b:1::5db8:d822",  # NAT64 to loopback/metadata; local-use
     "2001:0:7f00:1::",  # Teredo whose server is loopback
     "2001:0:4136:e378:8000:63bf:80ff:fffe",  # Teredo whose client is 127.0.0.1 (obfuscated)
     "::7f00:1", "::a9fe:a9fe",  # deprecated IPv4-compatible forms
     "192.0.0.1", "192.0.0.9", "192.0.0.170", "192.0.2.1", "192.31.196.1", "192.52.193.1", "192.88.99.1",
     "192.175.48.1", "198.18.0.1", "198.51.100.7", "203.0.113.9", "240.0.0.1", "255.255.255.255",
     "100::1", "2001:db8::1", "2001:2::1", "2620:4f:8000::1", "3fff::1", "5f00::1", "fec0::1", "ff02::1"],
)
def test_special_purpose_and_embedded_special_addresses_are_refused(address):
    with pytest.raises(CallbackRefused):
        resolve_callback("https://hooks.example/x", allow_private=False,
                         resolver=stub({"hooks.example": [address]}))


@pytest.mark.parametrize("address", ["93.184.216.34", "2606:4700::1111", "64:ff9b::5db8:d822", "2002:5db8:d822::1"])
def test_public_addresses_and_translations_of_public_ones_are_allowed(address):
    # NAT64 (an IPv6-only network with DNS64) and 6to4 of a public IPv4 address still reach
    # only that public address.
    target = resolve_callback("https://hooks.example/x", allow_private=False,
                              resolver=stub({"hooks.example": [address]}))
    assert target.address == address


def test_a_name_with_one_private_address_among_public_ones_is_refused():
    with pytest.raises(CallbackRefused):
        resolve_callback("https://mixed.example/", allow_private=False,
                         resolver=stub({"mixed.example": ["93.184.216.34", "10.0.0.5"]}))


def test_public_target_is_pinned_to_the_checked_address():
    target = resolve_callback("https://hooks.example:8443/cb?x=1", allow_private=False,
                              resolver=stub({"hooks.example": ["93.184.216.34"]}))
    assert (target.address, target.port, target.host, target.path_and_query) == (
        "93.184.216.34", 8443, "hooks.example", "/cb?x=1")


@pytest.mark.parametrize("url", ["http://2130706433/", "http://0x7f000001/", "http://017700000001/",
                                 "http://127.1/", "http://[::1]/", "http://localhost/"])
def test_odd_spellings_of_loopback_are_refused_by_the_real_resolver(url):
    with pytest.raises(CallbackRefused):
        resolve_callback(url, allow_private=False, resolver=system_resolver)


def test_operator_can_allow_private_targets():
    target = resolve_callback("http://127.0.0.1:9/", allow_private=True)
    assert target.address == "127.0.0.1"


@pytest.mark.parametrize("url", ["ftp://x.example/", "file:///etc/passwd", "http:///nohost"])
def test_non_http_urls_are_refused(url):
    with pytest.raises(CallbackRefused):
        resolve_callback(url, allow_private=True)
