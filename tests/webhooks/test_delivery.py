"""Posting a webhook: signature, no redirects, timeouts, refused targets."""

from __future__ import annotations

import hashlib
import hmac
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from openidv.webhooks.delivery import RETRY_DELAYS, RETRY_WINDOW_SECONDS, post_webhook, sign


@pytest.fixture()
def server():  # noqa: ANN201
    seen: list[tuple[str, dict, bytes]] = []
    behaviour = {"status": 200, "sleep": 0.0, "location": None}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802
            body = self.rfile.read(int(self.headers["content-length"]))
            seen.append((self.path, dict(self.headers), body))
            time.sleep(behaviour["sleep"])
            self.send_response(behaviour["status"])
            if behaviour["location"]:
                self.send_header("Location", behaviour["location"])
            self.send_header("content-length", "0")
            self.end_headers()

        def log_message(self, *args) -> None:  # noqa: ANN002
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield httpd.server_address[1], seen, behaviour
    httpd.shutdown()


def test_signature_is_hmac_sha256_of_raw_body(server):
    port, seen, _ = server
    result = post_webhook(f"http://127.0.0.1:{port}/hook", b'{"a":1}', b"secret", timeout=5, allow_private=True)
    assert result.ok and result.status_code == 200
    path, headers, body = seen[0]
    assert body == b'{"a":1}'
    assert headers["Idenfy-Signature"] == hmac.new(b"secret", body, hashlib.sha256).hexdigest() == sign(body, b"secret")


def test_timestamped_signature_lets_receivers_refuse_replays(server):
    port, seen, _ = server
    before = int(time.time())
    assert post_webhook(f"http://127.0.0.1:{port}/hook", b'{"a":1}', b"secret", timeout=5, allow_private=True).ok
    _, headers, body = seen[0]
    # The receiver's check, as docs/webhooks.md gives it.
    fields = dict(part.split("=", 1) for part in headers["Openidv-Signature"].split(","))
    expected = hmac.new(b"secret", fields["t"].encode() + b"." + body, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(fields["v1"], expected)
    assert before <= int(fields["t"]) <= time.time()
    # Another time (a replay with a new t) does not verify with the old signature.
    replayed = hmac.new(b"secret", str(int(fields["t"]) + 3600).encode() + b"." + body, hashlib.sha256).hexdigest()
    assert replayed != fields["v1"]


def test_redirects_are_not_followed(server):
    port, seen, behaviour = server
    behaviour.update(status=302, location="http://169.254.169.254/latest/meta-data")
    result = post_webhook(f"http://127.0.0.1:{port}/hook", b"{}", b"s", timeout=5, allow_private=True)
    assert not result.ok and result.status_code == 302 and len(seen) == 1


def test_slow_partner_times_out(server):
    port, _, behaviour = server
    behaviour["sleep"] = 2
    result = post_webhook(f"http://127.0.0.1:{port}/hook", b"{}", b"s", timeout=0.5, allow_private=True)
    assert not result.ok and "Timeout" in result.error and not result.permanent


def test_private_target_is_refused_without_a_request(server):
    port, seen, _ = server
    result = post_webhook(f"http://127.0.0.1:{port}/hook", b"{}", b"s", timeout=5, allow_private=False)
    assert not result.ok and result.permanent and seen == []


def test_retry_schedule_covers_24_hours():
    assert all(b >= a for a, b in zip(RETRY_DELAYS, RETRY_DELAYS[1:]))
    assert sum(RETRY_DELAYS) >= 24 * 3600 and RETRY_WINDOW_SECONDS >= 24 * 3600


def test_a_dns_failure_is_retried_but_a_private_address_is_final():
    import socket

    def resolver_down(host: str, port: int) -> list[str]:
        raise socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution")

    failed = post_webhook("https://partner.example/hook", b"{}", b"k", timeout=1, allow_private=False,
                          resolver=resolver_down)
    assert not failed.ok and not failed.permanent and "cannot resolve" in failed.error
    refused = post_webhook("https://partner.example/hook", b"{}", b"k", timeout=1, allow_private=False,
                           resolver=lambda host, port: ["10.0.0.7"])
    assert not refused.ok and refused.permanent
