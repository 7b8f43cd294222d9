"""The metrics openidv records, and /metrics rendering (Prometheus text format).

Import only after openidv.observability.configure_metrics_dir in server and worker processes.
"""

from __future__ import annotations

import os
import threading
from typing import Iterable

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily

HTTP_REQUESTS = Counter("openidv_http_requests_total", "HTTP requests", ["method", "route", "status"])
HTTP_LATENCY = Histogram(
    "openidv_http_request_duration_seconds", "HTTP request latency", ["route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
VERIFICATIONS = Counter("openidv_verifications_total", "Automatic and manual decisions", ["status", "by"])
STAGE_SECONDS = Histogram(
    "openidv_pipeline_stage_seconds", "Time per pipeline stage", ["stage"],
    buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60),
)
WEBHOOKS = Counter("openidv_webhook_deliveries_total", "Webhook delivery attempts by outcome", ["outcome"])


class QueueCollector:
    """Queue depth and job age, read from the database at scrape time (the database, not the
    queue, knows which jobs are unfinished, whichever queue backend runs them)."""

    def collect(self) -> Iterable[GaugeMetricFamily]:
        from sqlalchemy import func, select

        from openidv.core.vocab import Status
        from openidv.store.db import session_scope
        from openidv.store.models import Verification, WebhookDelivery, utcnow

        try:
            with session_scope() as session:
                depth, oldest = session.execute(
                    select(func.count(), func.min(Verification.start_time)).where(
                        Verification.status == Status.ACTIVE, Verification.token_used.is_(True),
                        Verification.finish_time.is_(None))
                ).one()
                pending_hooks = session.scalar(
                    select(func.count()).select_from(WebhookDelivery).where(WebhookDelivery.state == "pending"))
        except Exception:  # noqa: BLE001 - the process's own metrics are still served
            yield GaugeMetricFamily("openidv_database_up", "1 when the database answered this scrape", value=0)
            return
        yield GaugeMetricFamily("openidv_database_up", "1 when the database answered this scrape", value=1)
        yield GaugeMetricFamily("openidv_queue_depth", "Verifications waiting for or in processing", value=depth)
        age = (utcnow() - oldest).total_seconds() if oldest else 0.0
        yield GaugeMetricFamily("openidv_queue_oldest_job_age_seconds", "Age of the oldest unfinished job", value=age)
        yield GaugeMetricFamily("openidv_webhooks_pending", "Webhooks not yet delivered", value=pending_hooks)


_queue_collector_registered = False


def render_metrics() -> tuple[bytes, str]:
    global _queue_collector_registered
    from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest

    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        registry.register(QueueCollector())
    else:
        registry = REGISTRY
        if not _queue_collector_registered:
            REGISTRY.register(QueueCollector())
            _queue_collector_registered = True
    return generate_latest(registry), CONTENT_TYPE_LATEST


def serve_metrics(host: str, port: int, token: str) -> threading.Thread:
    """Serve /metrics (Bearer ``token``) from a process without the API, e.g. a worker on a
    machine of its own, in a daemon thread. Returns the thread."""
    import hmac
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's naming
            scheme, _, given = (self.headers.get("Authorization") or "").partition(" ")
            if self.path.split("?")[0] != "/metrics":
                self._answer(404, b"not found\n", "text/plain")
            elif scheme.lower() != "bearer" or not hmac.compare_digest(given.encode(), token.encode()):
                self._answer(401, b"unauthorized\n", "text/plain", {"WWW-Authenticate": 'Bearer realm="metrics"'})
            else:
                body, content_type = render_metrics()
                self._answer(200, body, content_type)

        def _answer(self, status: int, body: bytes, content_type: str, headers: dict | None = None) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args) -> None:  # noqa: ANN002 - scrapes are not logged
            pass

    server = ThreadingHTTPServer((host, port), Handler)
    thread = threading.Thread(target=server.serve_forever, name="openidv-metrics", daemon=True)
    thread.start()
    return thread
