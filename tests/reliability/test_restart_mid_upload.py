"""Restarting `openidv serve` in the middle of a /process upload stores no half verification.

A several-MB /process body (a real passport enlarged to 3000x2110, 2 MB, + a real 2.3 MB selfie,
base64) is sent from a raw socket in small paced chunks; once the server has taken in about
half of it, the `openidv serve` process is signalled:

* SIGKILL: the upload dies with the process. After a restart on the same database and files,
  the verification must be exactly as before the upload: token unused, ACTIVE, no image rows,
  no image blobs (files on disk in the embedded mode, rows of `file_blobs` in scale-out),
  no `.tmp` leftovers. Then the same token is used again for the full upload, which must be
  accepted, stored complete (the bytes downloaded through /files equal the bytes sent) and
  reach a final status.
* SIGTERM: a graceful stop lets the upload in flight finish. The client sends the rest of the
  body, gets 200 with `Connection: close`, the process exits by itself, and after the restart
  the verification is stored complete and reaches a final status.

"Half stored" would be any of: the token used with fewer image rows than images sent; an
image row whose blob is missing or shorter than what was sent; a blob or file no row points
to; a verification that never leaves ACTIVE although its token is used. Each is asserted on.
"""

from __future__ import annotations

import base64
import io
import json
import select
import signal
import socket
import subprocess
import time
import uuid
from pathlib import Path

import httpx
import pytest
from PIL import Image
from sqlalchemy import create_engine, text

from tests.conftest import MODES, require_mode
from tests.support.service import (
    Partner,
    Service,
    _spawn,
    _wait_healthy,
    drop_postgres_database,
    start_service,
)

MB = 1024 * 1024
CHUNK = 64 * 1024
FINAL_STATUSES = {"APPROVED", "DENIED", "SUSPECTED", "REVIEWING"}


# ---------------------------------------------------------------------------------------
# A deployment of our own (the test kills its server) in each mode.


@pytest.fixture(params=MODES)
def own_service(request: pytest.FixtureRequest, tmp_path: Path) -> Service:
    mode = request.param
    require_mode(mode)
    # A short lease and sweep: a job lost with a killed process is re-run within seconds.
    fast = {"OPENIDV_JOB_LEASE_SECONDS": "5", "OPENIDV_SWEEP_INTERVAL_SECONDS": "0.5"}
    service = start_service(mode, tmp_path / mode, fast)
    try:
        yield service
    finally:
        service.stop()
        if mode == "scaleout":
            drop_postgres_database(service.env["OPENIDV_DATABASE_URL"])


def restart_server(service: Service) -> None:
    """Start `openidv serve` again on the same port, database, files and key."""
    home = Path(service.env["OPENIDV_HOME"])
    port = service.base_url.rsplit(":", 1)[1]
    args = ["serve", "--port", port] + (["--no-worker"] if service.mode == "scaleout" else [])
    log = home / f"server-restarted-{len(service.logs)}.log"
    server = _spawn(args, service.env, log)
    service.processes[0] = server
    service.logs.append(log)
    _wait_healthy(service.base_url, server, log)


# ---------------------------------------------------------------------------------------
# The upload.


@pytest.fixture(scope="module")
def big_images(test_data_dir: Path) -> dict[str, bytes]:
    """A real passport specimen enlarged five times (2 MB) and a real 2.3 MB selfie."""
    passport = Image.open(test_data_dir / "documents/passporteye/100_pass-cze.jpg").convert("RGB")
    passport = passport.resize((passport.width * 5, passport.height * 5), Image.Resampling.LANCZOS)
    buf = io.BytesIO()
    passport.save(buf, "JPEG", quality=98, subsampling=0)
    images = {"FRONT": buf.getvalue(), "FACE": (test_data_dir / "faces/deepface/img1.jpg").read_bytes()}
    assert sum(len(v) for v in images.values()) > 4 * MB
    return images


def process_body(token: str, images: dict[str, bytes]) -> bytes:
    return json.dumps({
        "authToken": token, "country": "CZ", "documentType": "PASSPORT",
        "images": {step: base64.b64encode(data).decode() for step, data in images.items()},
    }).encode()


def request_head(service: Service, partner: Partner, path: str, length: int) -> bytes:
    host = service.base_url.removeprefix("http://")
    auth = base64.b64encode(f"{partner.api_key}:{partner.api_secret}".encode()).decode()
    return (f"POST {path} HTTP/1.1\r\nHost: {host}\r\nAuthorization: Basic {auth}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {length}\r\n\r\n").encode()


def send_slowly(sock: socket.socket, data: bytes, pause: float = 0.005) -> None:
    for start in range(0, len(data), CHUNK):
        sock.sendall(data[start:start + CHUNK])
        time.sleep(pause)


def port_of(service: Service) -> int:
    return int(service.base_url.rsplit(":", 1)[1])


def send_half_and_wait(service: Service, partner: Partner, sock: socket.socket, body: bytes) -> int:
    """Send the request head and half the body, wait until the server has read all of it,
    and check it has not answered yet. Returns where the second half starts."""
    sock.sendall(request_head(service, partner, "/api/v2/process", len(body)))
    half = len(body) // 2
    send_slowly(sock, body[:half])
    wait_until_server_has_read_everything(sock, port_of(service))
    assert nothing_received(sock), "the server answered before the body was complete"
    return half


def unread_bytes(server_port: int, client_port: int) -> int | None:
    """Bytes of our connection waiting in the server's kernel receive queue (not yet read by
    the server process), from /proc/net/tcp; None when the connection is not listed."""
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        local_port = int(fields[1].split(":")[1], 16)
        remote_port = int(fields[2].split(":")[1], 16)
        if (local_port, remote_port) == (server_port, client_port):
            return int(fields[4].split(":")[1], 16)
    return None


def wait_until_server_has_read_everything(sock: socket.socket, server_port: int) -> None:
    client_port = sock.getsockname()[1]
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if unread_bytes(server_port, client_port) == 0:
            return
        time.sleep(0.05)
    raise AssertionError(f"the server did not read the upload: {unread_bytes(server_port, client_port)} bytes unread")


def nothing_received(sock: socket.socket) -> bool:
    """True while the server has neither answered nor closed the connection."""
    readable, _, _ = select.select([sock], [], [], 0)  # an answer or an EOF would be readable
    return not readable


def read_answer(sock: socket.socket) -> bytes:
    answer = b""
    try:
        while chunk := sock.recv(65536):
            answer += chunk
    except OSError:
        pass
    return answer


# ---------------------------------------------------------------------------------------
# What is stored, looked at directly in the database and the file store.


def stored(service: Service, scan_ref: str) -> dict:
    if service.mode == "scaleout":
        url = "postgresql+psycopg://" + service.env["OPENIDV_DATABASE_URL"].split("://", 1)[1]
    else:
        url = f"sqlite:///{Path(service.env['OPENIDV_HOME']) / 'openidv.db'}"
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            v = conn.execute(text(
                "SELECT id, status, token_used, start_time, country, document_type, platform "
                "FROM verifications WHERE scan_ref = :s"), {"s": scan_ref}).mappings().one()
            rows = [dict(r) for r in conn.execute(text(
                "SELECT step, size, storage_key, deleted_at FROM files WHERE verification_id = :v "
                "ORDER BY step"), {"v": v["id"]}).mappings()]
            all_keys = set(conn.execute(text("SELECT storage_key FROM files")).scalars())
            if service.mode == "scaleout":
                blobs = {k: n for k, n in conn.execute(
                    text("SELECT storage_key, length(data) FROM file_blobs"))}
            else:
                blobs = None
    finally:
        engine.dispose()
    if blobs is None:  # embedded: encrypted files under $OPENIDV_HOME/files/<2 chars>/<key>
        root = Path(service.env["OPENIDV_HOME"]) / "files"
        blobs = {p.name: p.stat().st_size for p in root.glob("*/*")} if root.exists() else {}
    return {"verification": dict(v), "rows": rows, "all_row_keys": all_keys, "blobs": blobs}


def assert_nothing_stored(service: Service, scan_ref: str) -> None:
    s = stored(service, scan_ref)
    v = s["verification"]
    assert (v["status"], bool(v["token_used"])) == ("ACTIVE", False), v
    assert (v["start_time"], v["country"], v["document_type"], v["platform"]) == (None,) * 4, v
    assert s["rows"] == [], s["rows"]
    assert s["all_row_keys"] == set()
    # Nothing was stored in this deployment: no blob, no file, no temporary file anywhere.
    assert s["blobs"] == {}, f"orphaned image blobs/files: {sorted(s['blobs'])}"


def assert_stored_complete(service: Service, partner: Partner, scan_ref: str, images: dict[str, bytes]) -> None:
    s = stored(service, scan_ref)
    assert bool(s["verification"]["token_used"]), s["verification"]
    assert [(r["step"], r["size"], r["deleted_at"]) for r in s["rows"]] == sorted(
        (step, len(data), None) for step, data in images.items())
    keys = {r["storage_key"] for r in s["rows"]}
    # Every row has its blob (an encrypted blob is longer than the image it holds), and
    # there is no blob or file besides them, temporary files included.
    assert set(s["blobs"]) == keys, f"blobs {sorted(s['blobs'])} != rows {sorted(keys)}"
    sizes = {r["storage_key"]: r["size"] for r in s["rows"]}
    assert all(s["blobs"][k] > sizes[k] for k in keys), (s["blobs"], sizes)
    # And the images read back are byte for byte the ones sent.
    with service.client(partner) as c:
        urls = c.post("/api/v2/files", json={"scanRef": scan_ref}).json()
        assert set(urls) == set(images)
        for step, url in urls.items():
            r = httpx.get(url, timeout=30)
            assert r.status_code == 200 and r.content == images[step], step


def new_token(service: Service, partner: Partner) -> dict:
    with service.client(partner) as c:
        r = c.post("/api/v2/token", json={"clientId": f"restart-{uuid.uuid4().hex[:8]}"})
        assert r.status_code == 201, r.text
        return r.json()


def wait_final(service: Service, partner: Partner, scan_ref: str) -> dict:
    status = service.wait_for_status(partner, scan_ref, timeout=300)
    assert status["status"] in FINAL_STATUSES, status
    return status


# ---------------------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_sigkill_mid_upload_stores_nothing_and_the_token_works_again(own_service, big_images):
    service = own_service
    partner = service.create_partner("restart-kill")
    token = new_token(service, partner)
    body = process_body(token["authToken"], big_images)
    assert len(body) > 5 * MB, len(body)
    server = service.processes[0]

    with socket.create_connection(("127.0.0.1", port_of(service)), timeout=30) as sock:
        half = send_half_and_wait(service, partner, sock, body)
        server.send_signal(signal.SIGKILL)
        server.wait(timeout=30)
        # The rest of the body goes nowhere and no answer ever comes.
        try:
            send_slowly(sock, body[half:], pause=0)
        except OSError:
            pass
        assert read_answer(sock) == b""

    restart_server(service)
    assert_nothing_stored(service, token["scanRef"])
    with service.client(partner) as c:
        status = c.post("/api/v2/status", json={"scanRef": token["scanRef"]}).json()
        assert (status["status"], status["autoDocument"], status["autoFace"]) == ("ACTIVE", None, None)
        assert c.post("/api/v2/files", json={"scanRef": token["scanRef"]}).json() == {}

        # The token is still good: the full upload is accepted now.
        r = c.post("/api/v2/process", content=body, headers={"content-type": "application/json"},
                   timeout=120)
        assert (r.status_code, r.content) == (200, b""), r.text
    assert_stored_complete(service, partner, token["scanRef"], big_images)
    wait_final(service, partner, token["scanRef"])
    assert_stored_complete(service, partner, token["scanRef"], big_images)


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_sigterm_mid_upload_finishes_the_upload_then_stops(own_service, big_images):
    service = own_service
    partner = service.create_partner("restart-term")
    token = new_token(service, partner)
    body = process_body(token["authToken"], big_images)
    server = service.processes[0]

    with socket.create_connection(("127.0.0.1", port_of(service)), timeout=120) as sock:
        half = send_half_and_wait(service, partner, sock, body)
        server.send_signal(signal.SIGTERM)
        time.sleep(0.5)
        assert server.poll() is None, "the server stopped without finishing the upload in flight"
        send_slowly(sock, body[half:])
        answer = read_answer(sock)
    head = answer.split(b"\r\n\r\n", 1)[0].lower()
    assert head.startswith(b"http/1.1 200"), answer[:300]
    assert b"connection: close" in head, head
    try:
        server.wait(timeout=120)
    except subprocess.TimeoutExpired:
        raise AssertionError("openidv serve did not stop after SIGTERM") from None
    # uvicorn shuts down cleanly, then raises the signal it caught again (exit status -15).
    assert server.returncode in (0, -signal.SIGTERM), server.returncode

    restart_server(service)
    assert_stored_complete(service, partner, token["scanRef"], big_images)
    wait_final(service, partner, token["scanRef"])
    assert_stored_complete(service, partner, token["scanRef"], big_images)
