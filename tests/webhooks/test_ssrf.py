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
