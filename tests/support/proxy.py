"""Running Debian's nginx with the shipped deploy/nginx/openidv.conf in front of a test server."""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

REPO_ROOT = Path(__file__).resolve().parents[2]
SHIPPED_CONFIG = REPO_ROOT / "deploy" / "nginx" / "openidv.conf"


def find_or_install_nginx() -> tuple[Optional[str], str]:
    """The nginx binary, installing Debian's nginx-light (then nginx) when running as root.
    Returns (path, "") or (None, why it is missing)."""
    found = shutil.which("nginx") or ("/usr/sbin/nginx" if os.path.exists("/usr/sbin/nginx") else None)
    if found:
        return found, ""
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        return None, "nginx is not installed and this test is not root (apt-get install nginx-light)"
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for package in ("nginx-light", "nginx"):
        done = subprocess.run(["apt-get", "install", "-y", "-q", package], env=env,
                              capture_output=True, text=True, timeout=600)
        if done.returncode == 0 and os.path.exists("/usr/sbin/nginx"):
            return "/usr/sbin/nginx", ""
    return None, f"could not install nginx: {done.stderr.strip()[-300:]}"


def make_self_signed_certificate(directory: Path, ip: str = "127.0.0.1") -> tuple[Path, Path]:
    """A self-signed certificate for `ip` (it is its own CA); paths of the PEM cert and key."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "openidv test")])
    now = dt.datetime.now(dt.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5)).not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(ip))]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    key_path.chmod(0o600)
    return cert_path, key_path


def _replace(text: str, old: str, new: str) -> str:
    # Every templated piece must be in the shipped file: a reshaped file fails here, loudly.
    assert old in text, f"{old!r} not found in {SHIPPED_CONFIG}"
    return text.replace(old, new)


def render_site_config(text: str, *, http_port: int, https_port: int, upstream_port: int,
                       cert: Path, key: Path, log_dir: Path) -> str:
    """The shipped site file with only machine-specific parts changed: ports, certificate,
    log directory, host name. Everything else (headers, buffering, limits, logs) is as shipped."""
    text = _replace(text, "    listen [::]:80;\n", "")
    text = _replace(text, "    listen [::]:443 ssl;\n", "")
    text = _replace(text, "listen 80;", f"listen 127.0.0.1:{http_port};")
    text = _replace(text, "listen 443 ssl;", f"listen 127.0.0.1:{https_port} ssl;")
    text = _replace(text, "https://$server_name$request_uri", f"https://$server_name:{https_port}$request_uri")
    text = _replace(text, "server 127.0.0.1:8000;", f"server 127.0.0.1:{upstream_port};")
    text = _replace(text, "/etc/letsencrypt/live/idv.example.com/fullchain.pem", str(cert))
    text = _replace(text, "/etc/letsencrypt/live/idv.example.com/privkey.pem", str(key))
    text = _replace(text, "/var/log/nginx/", f"{log_dir}/")
    return _replace(text, "idv.example.com", "127.0.0.1")


@dataclass
class Nginx:
    """An nginx master process running a test configuration (stopped with stop())."""

    binary: str
    root: Path
    process: Optional[subprocess.Popen] = None

    @property
    def body_temp(self) -> Path:
        return self.root / "client_body_temp"

    @property
    def proxy_temp(self) -> Path:
        return self.root / "proxy_temp"

    @property
    def access_log(self) -> Path:
        return self.root / "logs" / "openidv.access.log"

    @property
    def error_log(self) -> Path:
        return self.root / "logs" / "error.log"

    def start(self, site_config: str, wait_port: int) -> None:
        (self.root / "logs").mkdir(parents=True, exist_ok=True)
        (self.root / "openidv.conf").write_text(site_config)
        # Running as root, the workers would become "nobody", which cannot enter pytest's
        # private temp directories; they keep root's identity in the test instead.
        user = "user root;\n" if os.geteuid() == 0 else ""
        temp_paths = "".join(f"    {kind}_temp_path {self.root / (kind + '_temp')};\n"
                             for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
        (self.root / "nginx.conf").write_text(
            f"{user}daemon off;\nworker_processes 1;\npid {self.root / 'nginx.pid'};\n"
            f"error_log {self.error_log} info;\nevents {{ worker_connections 256; }}\n"
            f"http {{\n    include /etc/nginx/mime.types;\n{temp_paths}"
            f"    include {self.root / 'openidv.conf'};\n}}\n"
        )
        args = [self.binary, "-p", str(self.root), "-e", str(self.error_log), "-c", str(self.root / "nginx.conf")]
        check = subprocess.run([*args, "-t"], capture_output=True, text=True, timeout=30)
        assert check.returncode == 0, check.stderr
        self.process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            assert self.process.poll() is None, self.process.stderr.read().decode()
            try:
                socket.create_connection(("127.0.0.1", wait_port), timeout=1).close()
                return
            except OSError:
                time.sleep(0.1)
        raise AssertionError(f"nginx did not listen on {wait_port}: {self.error_log.read_text()[-2000:]}")

    def worker_pids(self) -> list[int]:
        assert self.process is not None
        pids = []
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
                except (OSError, IndexError, ValueError):
                    continue
                if ppid == self.process.pid:
                    pids.append(int(entry.name))
        return pids

    def open_files_under(self, directory: Path) -> list[str]:
        """Files nginx's workers hold open under `directory`. nginx unlinks its temp files as
        soon as it creates them, so the directory listing stays empty while a body is being
        written: the open descriptors are what show it (as "…/0000000001 (deleted)")."""
        found = []
        for pid in self.worker_pids():
            for fd in Path(f"/proc/{pid}/fd").iterdir():
                try:
                    target = os.readlink(fd)
                except OSError:
                    continue
                if target.startswith(str(directory)):
                    found.append(target)
        return found

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGQUIT)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
