"""Slow-drip request bodies are cut off at the body deadline on every route, before and
without authentication: the answer comes and the connection closes; nothing waits for the
rest of a body that never ends."""

from __future__ import annotations

import concurrent.futures
import socket
import time

import pytest

from tests.support.service import start_service

BODY_TIMEOUT = 2.0
DRIP_SECONDS = 15.0


@pytest.fixture(scope="module")
def slow_service(tmp_path_factory):  # noqa: ANN201
    service = start_service("embedded", tmp_path_factory.mktemp("slow-bodies"), {
        "OPENIDV_BODY_TIMEOUT_SECONDS": str(BODY_TIMEOUT)}, worker=False)
    yield service
    service.stop()


def drip(base_url: str, path: str, content_type: str, extra_headers: str = "") -> tuple[float, bytes]:
    """Send the headers of a 1000-byte body, then one byte every 0.5 s; the seconds until the
    server closed the connection, and what it answered."""
    host, port = base_url.removeprefix("http://").split(":")
    head = (f"POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\nContent-Type: {content_type}\r\n"
            f"Content-Length: 1000\r\n{extra_headers}\r\n").encode()
    started = time.monotonic()
    answer = b""
    with socket.create_connection((host, int(port)), timeout=DRIP_SECONDS + 10) as s:
        s.sendall(head)
        s.setblocking(False)
        while time.monotonic() - started < DRIP_SECONDS:
            try:
                chunk = s.recv(65536)
                if not chunk:
                    return time.monotonic() - started, answer  # closed by the server
                answer += chunk
            except BlockingIOError:
                pass
            except OSError:
                return time.monotonic() - started, answer
            try:
                s.sendall(b"a")
            except (BlockingIOError, OSError):
                pass
            time.sleep(0.5)
    return time.monotonic() - started, answer


ROUTES = {
    "token without credentials": ("/api/v2/token", "application/json", ""),
    "token with wrong credentials": ("/api/v2/token", "application/json", "Authorization: Basic eDp5\r\n"),
    "console login": ("/console/login", "application/x-www-form-urlencoded", ""),
    "console logout without session": ("/console/logout", "application/x-www-form-urlencoded", ""),
    "flow code entry": ("/flow", "application/x-www-form-urlencoded", ""),
    "flow submit from another site": ("/flow/abcdefghijklmnop/submit", "application/json",
                                      "Origin: https://evil.example\r\n"),
}


@pytest.mark.slow
def test_slow_bodies_are_cut_off_at_the_deadline_on_every_route(slow_service):
    with concurrent.futures.ThreadPoolExecutor(len(ROUTES)) as pool:
        futures = {name: pool.submit(drip, slow_service.base_url, *route) for name, route in ROUTES.items()}
        results = {name: f.result() for name, f in futures.items()}
    late = {name: (round(seconds, 1), answer[:60]) for name, (seconds, answer) in results.items()
            if seconds > BODY_TIMEOUT + 4 or not answer.startswith(b"HTTP/1.1 ")}
    assert late == {}, late
