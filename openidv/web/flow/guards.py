"""Request guards of the flow: same-origin POSTs only, JSON-only endpoints, and the limits on
guessing 8-digit codes."""

from __future__ import annotations

from typing import Optional
from urllib.parse import urlsplit

from starlette.requests import Request

from openidv.web.attempts import Counters, WindowLimit, reserve_all


def same_origin(request: Request, public_url: Optional[str]) -> bool:
    """Refuse cross-site POSTs (a page elsewhere submitting into someone's flow)."""
    fetch_site = request.headers.get("sec-fetch-site")
    if fetch_site is not None:
        return fetch_site in ("same-origin", "none")
    origin = request.headers.get("origin")
    if origin is None or origin == "null":
        return origin is None  # non-browser clients send no Origin; sandboxed frames send "null"
    ours = {_origin(str(request.base_url))}
    if public_url:
        ours.add(_origin(public_url))
    return _origin(origin) in ours


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def json_only(request: Request) -> bool:
    # A cross-site HTML form cannot send application/json without a CORS preflight.
    return request.headers.get("content-type", "").split(";")[0].strip().lower() == "application/json"


class CodeGuard:
    """Limits on guessing 8-digit codes, counted before each lookup (so concurrent entries
    cannot all be checked) and given back when the code was right:

    * per client address (IPv4, or the IPv6 /64): a person's own typing mistakes;
    * per code entered: the same code tried over and over from many addresses;
    * globally, across every address and process: what an attacker with many addresses can
      try at all. A guess finds a live code with probability (live codes) / 10^8, so
      GLOBAL_ATTEMPTS per window bounds the chance of any hit; while the global budget is
      spent, code entry answers 429 for everyone (the link in the partner's e-mail or app
      still works).
    """

    ADDRESS_ATTEMPTS = 10
    CODE_ATTEMPTS = 5
    GLOBAL_ATTEMPTS = 300
    WINDOW_SECONDS = 15 * 60

    def __init__(self, counters: Counters) -> None:
        self.per_address = WindowLimit(counters, "code-address", self.ADDRESS_ATTEMPTS, self.WINDOW_SECONDS)
        self.per_code = WindowLimit(counters, "code-value", self.CODE_ATTEMPTS, self.WINDOW_SECONDS)
        self.everyone = WindowLimit(counters, "code-all", self.GLOBAL_ATTEMPTS, self.WINDOW_SECONDS)

    def _limits(self, address: str, code: str) -> list[tuple[WindowLimit, str]]:
        return [(self.per_address, address), (self.per_code, code), (self.everyone, "all")]

    def reserve(self, address: str, code: str) -> bool:
        """Count one attempt at ``code`` from ``address``; False when a limit is reached."""
        return reserve_all(self._limits(address, code)) is None

    def was_right(self, address: str, code: str) -> None:
        """A right code does not count against anyone."""
        for limit, key in self._limits(address, code):
            limit.give_back(key)
