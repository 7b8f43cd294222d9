"""Browser security headers of the web pages, one mechanism for the flow and the console:
a strict Content-Security-Policy, no Referer (tokens are in flow URLs), no sniffing, no
caching of pages with personal data."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Optional

from starlette.responses import Response

# A partner's allowed embedding origins: plain source expressions only (a `;` or a quote
# could otherwise inject directives).
CSP_SOURCE_RE = re.compile(r"^(?:'self'|'none'|https?://(?:\*\.)?[A-Za-z0-9.-]+(?::\d{1,5})?)$")


@dataclass(frozen=True)
class PagePolicy:
    """The security headers one kind of page gets."""

    frame_ancestors: str = "'none'"
    media: bool = False  # the flow's camera: blob: and mediastream: media
    cache_control: Optional[str] = "no-store, private"  # None: cacheable (static assets)

    def headers(self) -> dict[str, str]:
        csp = [
            "default-src 'none'",
            "script-src 'self'",
            "style-src 'self'",
            "img-src 'self' data: blob:" if self.media else "img-src 'self' data:",
        ]
        if self.media:
            csp += ["media-src 'self' blob: mediastream:", "connect-src 'self'"]
        csp += ["form-action 'self'", "base-uri 'none'", f"frame-ancestors {self.frame_ancestors}"]
        headers = {
            "Content-Security-Policy": "; ".join(csp),
            "Referrer-Policy": "no-referrer",
            "X-Content-Type-Options": "nosniff",
        }
        if self.frame_ancestors == "'none'":
            headers["X-Frame-Options"] = "DENY"
        if self.cache_control:
            headers["Cache-Control"] = self.cache_control
        return headers


def frame_ancestors(partner_setting: Optional[str]) -> str:
    """The CSP frame-ancestors sources allowed for a partner; 'self' when unset or invalid."""
    sources = [s for s in (partner_setting or "").split() if CSP_SOURCE_RE.match(s)]
    return " ".join(sources) if sources else "'self'"


def secure(response: Response, policy: PagePolicy) -> Response:
    response.headers.update(policy.headers())
    return response
