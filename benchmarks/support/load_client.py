"""Shared pieces of the HTTP benchmarks: the keep-alive load loop, percentiles, the machine
line, waiting for a freshly started server to go quiet, and the bare Starlette yardstick."""

from __future__ import annotations

import asyncio
import os
import platform
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any, Callable, Optional

import httpx
import numpy as np

REPO = Path(__file__).resolve().parent.parent.parent


PAUSE_MARGIN = 2.0  # seconds after a pause in which a failed connection is blamed on it


class PauseDetector(threading.Thread):
    """Notices when this process was not running at all for a while (SIGSTOP, a suspended
    VM): a thread ticking every 10 ms records every gap over `threshold` seconds, so samples
    taken across such a gap can be dropped instead of being reported as server latency."""

    _instance: Optional["PauseDetector"] = None

    def __init__(self, threshold: float = 1.0) -> None:
        super().__init__(name="pause-detector", daemon=True)
        self.threshold = threshold
        self.gaps: list[tuple[float, float]] = []

    @classmethod
    def get(cls) -> "PauseDetector":
        if cls._instance is None:
            cls._instance = cls()
            cls._instance.start()
        return cls._instance

    def run(self) -> None:
        last = time.perf_counter()
        while True:
            time.sleep(0.01)
            now = time.perf_counter()
            if now - last > self.threshold:
                self.gaps.append((last, now))
            last = now

    def overlaps(self, t0: float, t1: float) -> bool:
        return any(a < t1 and b > t0 for a, b in list(self.gaps))

    def paused(self, t0: float, t1: float) -> float:
        return sum(max(0.0, min(b, t1) - max(a, t0)) for a, b in list(self.gaps))


async def rps(base_url: str, path: str, auth, body: dict | Callable[[], dict], seconds: float,  # noqa: ANN001
              concurrency: int) -> tuple[float, list[float], int]:
    """`concurrency` keep-alive connections posting `body` (or `body()`, one per request) for
    `seconds`: (requests per second, latencies in seconds, non-200 answers). Requests that
    straddle a pause of this process (see PauseDetector) are left out, and so is the pause."""
    pauses = PauseDetector.get()
    samples: list[tuple[float, float, int]] = []
    failures: list[tuple[float, float, str]] = []
    errors = 0
    make_body = body if callable(body) else (lambda: body)
    stop_at = time.perf_counter() + seconds
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=base_url, auth=auth, limits=limits, timeout=30) as client:

        async def loop() -> None:
            while time.perf_counter() < stop_at:
                payload = make_body()
                t0 = time.perf_counter()
                try:
                    r = await client.post(path, json=payload)
                except httpx.TransportError as exc:  # counted and said, but not fatal
                    failures.append((t0, time.perf_counter(), f"{type(exc).__name__}: {exc}"))
                    continue
                samples.append((t0, time.perf_counter(), r.status_code))

        started = time.perf_counter()
        await asyncio.gather(*(loop() for _ in range(concurrency)))
        ended = time.perf_counter()
    for t0, t1, failure in failures:
        # Right after a pause of this process a connection can fail for reasons of the pause
        # (the server gave up on it meanwhile): not the server's failure, left out.
        paused = pauses.overlaps(t0 - PAUSE_MARGIN, t1)
        errors += not paused
        print(f"({failure} on {base_url}{path}{', across a pause: left out' if paused else ''})",
              file=sys.stderr)
    # Across a pause a request can also fail on the server's side (408: the body did not
    # arrive in time); such requests are neither timed nor counted as errors.
    clean = [(t0, t1, code) for t0, t1, code in samples if not pauses.overlaps(t0, t1)]
    errors += sum(code != 200 for _, _, code in clean)
    kept = [t1 - t0 for t0, t1, _ in clean]
    if len(kept) < len(samples):
        print(f"(left out {len(samples) - len(kept)} requests taken across a pause of this process)",
              file=sys.stderr)
    return len(kept) / (ended - started - pauses.paused(started, ended)), kept, errors


def timed(action: Callable[[Any], Any], prepare: Callable[[], Any] = lambda: None) -> float:
    """Seconds `action(prepare())` took, `prepare` untimed; both repeated if this process was
    paused during the action."""
    pauses = PauseDetector.get()
    while True:
        arg = prepare()
        t0 = time.perf_counter()
        try:
            action(arg)
        except httpx.TransportError:
            time.sleep(0.03)
            if not pauses.overlaps(t0 - PAUSE_MARGIN, time.perf_counter()):
                raise
            print("(a request that failed right after a pause of this process was repeated)", file=sys.stderr)
            continue
        t1 = time.perf_counter()
        time.sleep(0.03)  # lets the detector's thread record a pause that just ended
        if not pauses.overlaps(t0, t1):
            return t1 - t0
        print("(a sample taken across a pause of this process was repeated)", file=sys.stderr)


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(values, q)) if values else float("nan")


def ms(values: list[float], q: float) -> str:
    return f"{percentile(values, q) * 1000:.1f}"


def machine_line() -> str:
    cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")),
               "?")
    load = os.getloadavg()
    return (f"machine: {os.cpu_count()} cores, {cpu}; Python {platform.python_version()}; "
            f"load average before the run {load[0]:.2f} / {load[1]:.2f} / {load[2]:.2f}")


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def wait_until_quiet(pid: int, *, below: float = 0.05, timeout: float = 90.0) -> None:
    """Wait until process `pid` uses under `below` of a core over one second (a freshly
    started server may still be importing or loading models in the background)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        before = _cpu_seconds(pid)
        time.sleep(1.0)
        if _cpu_seconds(pid) - before < below:
            return


class BareStarlette:
    """benchmarks/support/bare_starlette.py served by uvicorn the way `openidv serve` is."""

    def __init__(self) -> None:
        from tests.support.service import free_port

        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.proc: Optional[subprocess.Popen] = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "benchmarks.support.bare_starlette:app", "--port", str(self.port),
             "--log-level", "warning", "--timeout-keep-alive", "65"], cwd=REPO)
        for _ in range(200):
            try:
                httpx.post(f"{self.base_url}/hello", json={}, timeout=1)
                return
            except httpx.HTTPError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError("bare Starlette server did not start")

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait()
            self.proc = None

    def __enter__(self) -> "BareStarlette":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop()
