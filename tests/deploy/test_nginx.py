"""The shipped nginx configuration (deploy/nginx/openidv.conf), run by Debian's nginx with TLS
in front of a real `openidv serve`: client address, streaming, limits, HTTPS, logs."""

from __future__ import annotations

import base64
import io
import json
import re
import socket
import sqlite3
import ssl
import threading
import time
import uuid
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Iterator

import httpx
import numpy as np
import pytest
from PIL import Image

from tests.support.proxy import (
    SHIPPED_CONFIG,
    Nginx,
    find_or_install_nginx,
    make_self_signed_certificate,
    render_site_config,
)
from tests.support.service import Partner, Service, free_port, start_service

pytestmark = pytest.mark.slow

MB = 1024 * 1024
# The connecting client's address, distinct from nginx's own 127.0.0.1 (all of 127/8 is
# loopback on Linux), so "openidv sees the client" and "openidv sees the proxy" differ.
CLIENT_ADDRESS = "127.0.0.2"
FORGED_ADDRESS = "198.51.100.23"
BODY_DEADLINE_SECONDS = 4


@dataclass
class Deployment:
    service: Service
    nginx: Nginx
    http_port: int
    https_port: int
    tls: ssl.SSLContext

    @property
    def public_url(self) -> str:
        return f"https://127.0.0.1:{self.https_port}"

    def client(self, partner: Partner | None = None, **kw) -> httpx.Client:
        transport = httpx.HTTPTransport(verify=self.tls, local_address=CLIENT_ADDRESS)
        return httpx.Client(base_url=self.public_url, transport=transport, timeout=60,
                            auth=partner.auth if partner else None, **kw)

    def tls_socket(self, receive_buffer: int | None = None) -> ssl.SSLSocket:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if receive_buffer:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, receive_buffer)
        sock.bind((CLIENT_ADDRESS, 0))
        sock.settimeout(30)
        sock.connect(("127.0.0.1", self.https_port))
        return self.tls.wrap_socket(sock, server_hostname="127.0.0.1")


@pytest.fixture(scope="module")
def deployment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    binary, why = find_or_install_nginx()
    if binary is None:
        pytest.skip(why)
    root = tmp_path_factory.mktemp("nginx")
    cert, key = make_self_signed_certificate(root)
    http_port, https_port = free_port(), free_port()
    service = start_service("embedded", tmp_path_factory.mktemp("behind-nginx"), {
        "OPENIDV_PUBLIC_URL": f"https://127.0.0.1:{https_port}",
        "OPENIDV_BODY_TIMEOUT_SECONDS": str(BODY_DEADLINE_SECONDS),
        "OPENIDV_MAX_IMAGE_BYTES": str(15 * MB),
        "OPENIDV_TRUSTED_PROXIES": "127.0.0.1",  # as deploy/openidv.env.example sets it
    }, worker=False)
    nginx = Nginx(binary, root)
    try:
        upstream_port = int(service.base_url.rsplit(":", 1)[1])
        site = render_site_config(SHIPPED_CONFIG.read_text(), http_port=http_port, https_port=https_port,
                                  upstream_port=upstream_port, cert=cert, key=key, log_dir=root / "logs")
        nginx.start(site, https_port)
        tls = ssl.create_default_context(cafile=str(cert))
        yield Deployment(service, nginx, http_port, https_port, tls)
    finally:
        nginx.stop()
        service.stop()


@pytest.fixture()
def partner(deployment: Deployment) -> Partner:
    return deployment.service.create_partner(f"p-{uuid.uuid4().hex[:8]}")


def noise_jpeg(width: int, height: int) -> bytes:
    """A JPEG that does not compress: a few MB of image for streaming checks."""
    pixels = np.random.default_rng(7).integers(0, 256, (height, width, 3), dtype=np.uint8)
    buf = io.BytesIO()
    Image.fromarray(pixels).save(buf, "JPEG", quality=95)
    return buf.getvalue()


def submit(deployment: Deployment, partner: Partner, images: dict[str, bytes]) -> tuple[str, str]:
    """A token and its images through the proxy; (authToken, scanRef)."""
    with deployment.client(partner) as c:
        token = c.post("/api/v2/token", json={"clientId": "client-1"}).json()
        body = {"authToken": token["authToken"], "country": "CZ", "documentType": "PASSPORT",
                "skipAnalysis": True, "images": {k: base64.b64encode(v).decode() for k, v in images.items()}}
        r = c.post("/api/v2/process", json=body)
        assert r.status_code == 200 and not r.content, r.text
    return token["authToken"], token["scanRef"]


def console_login(deployment: Deployment, headers: dict[str, str]) -> httpx.Response:
    email = f"ops-{uuid.uuid4().hex[:6]}@example.com"
    password = json.loads(deployment.service.cli("reviewer", "create", email).stdout)["password"]
    with deployment.client(follow_redirects=False) as c:
        page = c.get("/console/login", headers=headers)
        csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
        answer = c.post("/console/login", data={"email": email, "password": password, "csrf": csrf},
                        headers=headers)
    assert answer.status_code == 303, answer.text
    return answer


def last_login_client(service: Service) -> str:
    with sqlite3.connect(Path(service.env["OPENIDV_HOME"]) / "openidv.db") as db:
        (detail,) = db.execute("SELECT detail FROM audit_log WHERE action = 'login' ORDER BY id DESC LIMIT 1").fetchone()
    return json.loads(detail)["client"]


def test_openidv_sees_the_connecting_client_not_a_client_sent_forwarded_header(deployment):
    console_login(deployment, {"X-Forwarded-For": FORGED_ADDRESS, "X-Real-IP": FORGED_ADDRESS})
    # The console's login audit entry records the client address openidv saw.
    assert last_login_client(deployment.service) == CLIENT_ADDRESS
    assert deployment.nginx.access_log.read_text().splitlines()[-1].startswith(CLIENT_ADDRESS + " ")


class HeaderRecorder(ThreadingHTTPServer):
    """An upstream that answers 204 and keeps the headers of every request it got."""

    def __init__(self) -> None:
        self.seen: list[dict[str, str]] = []
        recorder = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:  # noqa: N802
                recorder.seen.append({k.lower(): v for k, v in self.headers.items()})
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        super().__init__(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.serve_forever, daemon=True).start()


def test_upstream_gets_exactly_the_connecting_address(deployment, tmp_path):
    """Whatever X-Forwarded-For a client sends, the upstream gets only the address nginx saw
    (an appended list would leave the choice to the application server's parsing)."""
    upstream = HeaderRecorder()
    nginx = Nginx(deployment.nginx.binary, tmp_path)
    https_port = free_port()
    try:
        cert = deployment.nginx.root / "cert.pem"
        nginx.start(render_site_config(SHIPPED_CONFIG.read_text(), http_port=free_port(), https_port=https_port,
                                       upstream_port=upstream.server_address[1], cert=cert,
                                       key=deployment.nginx.root / "key.pem", log_dir=tmp_path / "logs"),
                    https_port)
        transport = httpx.HTTPTransport(verify=deployment.tls, local_address=CLIENT_ADDRESS)
        with httpx.Client(transport=transport) as c:
            c.get(f"https://127.0.0.1:{https_port}/healthz",
                  headers={"X-Forwarded-For": FORGED_ADDRESS, "X-Forwarded-Proto": "http"})
    finally:
        nginx.stop()
        upstream.shutdown()
    (headers,) = upstream.seen
    assert headers["x-forwarded-for"] == CLIENT_ADDRESS
    assert headers["x-forwarded-proto"] == "https"


def test_console_cookies_are_secure_behind_tls(deployment):
    answer = console_login(deployment, {})
    cookies = answer.headers.get_list("set-cookie")
    session = [c for c in cookies if c.startswith("openidv_console=")]
    assert session and all("secure" in c.lower().split("; ") for c in session), cookies


def read_answer(sock: ssl.SSLSocket, until: float) -> bytes:
    answer = b""
    sock.settimeout(0.2)
    while time.monotonic() < until:
        try:
            chunk = sock.recv(65536)
        except (socket.timeout, ssl.SSLWantReadError):
            if answer:
                break
            continue
        except OSError:
            break
        if not chunk:
            break
        answer += chunk
    return answer


def test_upload_is_streamed_to_openidv_not_written_to_disk(deployment, partner):
    """A multi-MB /process body goes to openidv as it arrives: nginx holds no temp file for it
    (they hold ID photos, unencrypted) and openidv's whole-body deadline applies."""
    auth = base64.b64encode(f"{partner.api_key}:{partner.api_secret}".encode()).decode()
    declared = 8 * MB
    head = (f"POST /api/v2/process HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Basic {auth}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {declared}\r\n\r\n").encode()
    started = time.monotonic()
    with deployment.tls_socket() as sock:
        sock.sendall(head + b'{"authToken":"x","images":{"FRONT":"' + b"A" * (3 * MB))
        time.sleep(0.5)
        assert deployment.nginx.open_files_under(deployment.nginx.body_temp) == []
        # Then a trickle: openidv's deadline (not nginx) must end it, while the client is
        # still sending, so openidv has been receiving the body all along.
        answer = b""
        sock.settimeout(0.2)
        while time.monotonic() - started < BODY_DEADLINE_SECONDS + 8 and not answer:
            try:
                sock.sendall(b"A" * 1024)
            except OSError:
                pass
            answer = read_answer(sock, time.monotonic() + 0.2)
            assert deployment.nginx.open_files_under(deployment.nginx.body_temp) == []
    assert answer.startswith(b"HTTP/1.1 408"), answer[:300]
    assert b'"REQUEST_TIMEOUT"' in answer
    assert time.monotonic() - started < BODY_DEADLINE_SECONDS + 5


def test_decrypted_image_download_is_not_written_to_disk(deployment, partner):
    """A slow reader of /files/… (a decrypted ID photo) makes nginx wait; it never spills the
    answer into its proxy temp directory."""
    big = noise_jpeg(3000, 2200)
    assert len(big) > 6 * MB
    _, scan_ref = submit(deployment, partner, {"FRONT": big, "FACE": noise_jpeg(64, 64)})
    with deployment.client(partner) as c:
        url = c.post("/api/v2/files", json={"scanRef": scan_ref}).json()["FRONT"]
    path = url.removeprefix(deployment.public_url)
    with deployment.tls_socket(receive_buffer=16 * 1024) as sock:
        sock.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".encode())
        first = sock.recv(16 * 1024)
        assert first.startswith(b"HTTP/1.1 200"), first[:300]
        time.sleep(2)  # nginx has read what openidv sent by now, and must keep it in memory
        held = deployment.nginx.open_files_under(deployment.nginx.proxy_temp)
        received = first
        sock.settimeout(30)
        while chunk := sock.recv(65536):
            received += chunk
    assert held == []
    assert received.split(b"\r\n\r\n", 1)[1] == big


def assert_openidv_error_shape(response: httpx.Response, reference: dict) -> None:
    assert response.status_code == 413, response.text[:300]
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"message", "identifier", "documentation", "severity"}
    assert body["identifier"] == "REQUEST_TOO_LARGE"
    assert (body["documentation"], body["severity"]) == (reference["documentation"], reference["severity"])


def test_body_over_the_proxy_limit_gets_openidvs_json_413(deployment, partner):
    # openidv's own answer to a body over its 20 MiB cap, straight to it: the reference shape.
    over_openidv = b'{"images":{"FRONT":"' + b"A" * (20 * MB + 100) + b'"}}'
    with deployment.service.client(partner) as direct:
        reference = direct.post("/api/v2/process", content=over_openidv,
                                headers={"content-type": "application/json"}).json()
    over_nginx = b'{"images":{"FRONT":"' + b"A" * (22 * MB) + b'"}}'

    def chunks() -> Iterator[bytes]:
        for start in range(0, len(over_nginx), MB):
            yield over_nginx[start:start + MB]

    with deployment.client(partner) as c:
        declared = c.post("/api/v2/process", content=over_nginx, headers={"content-type": "application/json"})
        chunked = c.post("/api/v2/process", content=chunks(), headers={"content-type": "application/json"})
    assert_openidv_error_shape(declared, reference)
    assert "max-age=" in declared.headers["strict-transport-security"]
    assert_openidv_error_shape(chunked, reference)


def test_plain_http_redirects_to_https_and_https_answers_carry_hsts(deployment):
    plain = httpx.get(f"http://127.0.0.1:{deployment.http_port}/api/v2/redirect?authToken=abc&lang=de",
                      follow_redirects=False)
    assert plain.status_code == 301
    assert plain.headers["location"] == f"{deployment.public_url}/api/v2/redirect?authToken=abc&lang=de"
    with deployment.client() as c:
        for path in ("/healthz", "/console/login", "/no-such-page"):
            hsts = c.get(path).headers.get("strict-transport-security", "")
            seconds = int(re.search(r"max-age=(\d+)", hsts).group(1))
            assert seconds >= 365 * 24 * 3600, (path, hsts)


def test_file_urls_use_the_public_https_url_and_work_through_the_proxy(deployment, partner):
    front, face = noise_jpeg(400, 300), noise_jpeg(200, 200)
    _, scan_ref = submit(deployment, partner, {"FRONT": front, "FACE": face})
    with deployment.client(partner) as c:
        urls = c.post("/api/v2/files", json={"scanRef": scan_ref}).json()
        assert set(urls) == {"FRONT", "FACE"}
        for step, original in (("FRONT", front), ("FACE", face)):
            assert urls[step].startswith(f"{deployment.public_url}/files/"), urls[step]
            got = c.get(urls[step])
            assert got.status_code == 200 and got.content == original


def test_access_log_holds_no_tokens_or_signed_file_urls(deployment, partner):
    auth_token, scan_ref = submit(deployment, partner, {"FRONT": noise_jpeg(300, 200), "FACE": noise_jpeg(64, 64)})
    with deployment.client(partner) as c:
        file_url = c.post("/api/v2/files", json={"scanRef": scan_ref}).json()["FRONT"]
        c.get(file_url)
        c.get(f"/api/v2/redirect?authToken={auth_token}", headers={"Referer": f"https://shop.example/?t={auth_token}"})
        c.get(f"/flow/{auth_token}/capture?document=PASSPORT")
    signed = file_url.rsplit("/files/", 1)[1]
    log = deployment.nginx.access_log.read_text()
    assert auth_token not in log and signed not in log
    assert partner.api_key not in log  # the Basic auth user name ($remote_user in "combined")
    assert "authToken" not in log and "?" not in log
    assert '"GET /files/- HTTP/1.1" 200' in log
    assert '"GET /flow/-/capture HTTP/1.1"' in log
    assert '"GET /api/v2/redirect HTTP/1.1" 303' in log
