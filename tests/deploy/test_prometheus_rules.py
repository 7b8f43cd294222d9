"""deploy/prometheus/openidv-rules.yml: alerts only on series openidv exports, valid for
Prometheus, and firing (or not) on the situations they are written for (promtool unit tests)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

RULES = Path(__file__).resolve().parents[2] / "deploy" / "prometheus" / "openidv-rules.yml"
HISTOGRAM_SUFFIXES = ("_bucket", "_sum", "_count")


def rule_expressions() -> dict[str, str]:
    groups = yaml.safe_load(RULES.read_text())["groups"]
    return {rule["alert"]: rule["expr"] for group in groups for rule in group["rules"]}


def exported_metric_names() -> set[str]:
    """The metric families of a real /metrics answer (in-process, on a migrated database)."""
    from openidv.metrics import render_metrics
    from openidv.store.db import migrate

    migrate()
    text = render_metrics()[0].decode()
    return set(re.findall(r"^# TYPE (\S+) ", text, flags=re.M))


def test_rules_use_only_series_openidv_exports():
    exported = exported_metric_names()
    exported |= {name + "_total" for name in exported}  # counters' samples carry _total
    for alert, expr in rule_expressions().items():
        for name in set(re.findall(r"\bopenidv_[a-z_]+", expr)):
            family = next((name[: -len(s)] for s in HISTOGRAM_SUFFIXES if name.endswith(s)), name)
            assert name in exported or family in exported, f"{alert} uses {name}, which openidv does not export"


@pytest.fixture(scope="module")
def promtool() -> str:
    found = shutil.which("promtool")
    if found is None and os.geteuid() == 0 and shutil.which("apt-get"):
        subprocess.run(["apt-get", "install", "-y", "-q", "--no-install-recommends", "prometheus"],
                       capture_output=True, timeout=900, env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"})
        found = shutil.which("promtool")
    if found is None:
        pytest.skip("promtool is missing and could not be installed (Debian package prometheus; needs root)")
    return found


def test_promtool_accepts_the_rules(promtool):
    done = subprocess.run([promtool, "check", "rules", str(RULES)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr


def firing(alert: str, at: str, labels: dict | None = None) -> dict:
    return {"eval_time": at, "alertname": alert,
            "exp_alerts": [{"exp_labels": {"severity": labels.pop("severity"), **labels}}] if labels else []}


# (what happens, input series, [expected alert states])
SCENARIOS = [
    ("workers stopped: the oldest job ages", [
        {"series": 'openidv_queue_oldest_job_age_seconds{instance="api1"}', "values": "0+60x30"},
        {"series": 'openidv_queue_oldest_job_age_seconds{instance="api2"}', "values": "0+60x30"},
    ], [
        firing("OpenidvQueueFallingBehind", "5m"),
        firing("OpenidvQueueFallingBehind", "14m", {"severity": "warning"}),
        firing("OpenidvQueueStalled", "12m"),
        firing("OpenidvQueueStalled", "17m", {"severity": "critical"}),
    ]),
    ("a busy but healthy queue", [
        {"series": 'openidv_queue_oldest_job_age_seconds{instance="api1"}', "values": "20 40 5 30 50 10x30"},
    ], [firing("OpenidvQueueFallingBehind", "30m"), firing("OpenidvQueueStalled", "30m")]),
    ("a webhook given up", [
        {"series": 'openidv_webhook_deliveries_total{instance="w1",outcome="given_up"}', "values": "0 0 0 1 1 1 1 1"},
    ], [firing("OpenidvWebhookGivenUp", "5m", {"severity": "critical"})]),
    ("half of the webhook attempts fail", [
        {"series": 'openidv_webhook_deliveries_total{instance="w1",outcome="delivered"}', "values": "0+10x60"},
        {"series": 'openidv_webhook_deliveries_total{instance="w1",outcome="failed_attempt"}', "values": "0+10x60"},
    ], [firing("OpenidvWebhooksFailing", "10m"), firing("OpenidvWebhooksFailing", "40m", {"severity": "warning"})]),
    ("webhooks mostly delivered", [
        {"series": 'openidv_webhook_deliveries_total{instance="w1",outcome="delivered"}', "values": "0+100x60"},
        {"series": 'openidv_webhook_deliveries_total{instance="w1",outcome="failed_attempt"}', "values": "0+1x60"},
    ], [firing("OpenidvWebhooksFailing", "40m")]),
    ("5 % of requests end in 500", [
        {"series": 'openidv_http_requests_total{instance="api1",method="POST",route="/api/v2/process",status="200"}',
         "values": "0+95x40"},
        {"series": 'openidv_http_requests_total{instance="api1",method="POST",route="/api/v2/process",status="500"}',
         "values": "0+5x40"},
    ], [firing("OpenidvErrorRate", "8m"), firing("OpenidvErrorRate", "25m", {"severity": "critical"})]),
    ("one error in a quiet hour", [
        {"series": 'openidv_http_requests_total{instance="api1",method="GET",route="/healthz",status="200"}',
         "values": "0+1x40"},
        {"series": 'openidv_http_requests_total{instance="api1",method="POST",route="/api/v2/status",status="500"}',
         "values": "0 0 0 0 0 1x35"},
    ], [firing("OpenidvErrorRate", "25m")]),
    ("an API process is down", [
        {"series": 'up{job="openidv",instance="api1"}', "values": "1 1 0x20"},
    ], [firing("OpenidvDown", "10m", {"severity": "critical", "job": "openidv", "instance": "api1"})]),
    ("PostgreSQL stopped under an API process", [
        {"series": 'openidv_database_up{instance="api1"}', "values": "1 1 0x10"},
        {"series": 'openidv_database_up{instance="api2"}', "values": "1x12"},
    ], [firing("OpenidvDatabaseDown", "3m"),
        firing("OpenidvDatabaseDown", "6m", {"severity": "critical", "instance": "api1"})]),
    ("document stages of 8 s", [
        {"series": f'openidv_pipeline_stage_seconds_bucket{{stage="document",le="{le}"}}', "values": values}
        for le, values in (("1", "0x40"), ("5", "0x40"), ("10", "0+10x40"), ("+Inf", "0+10x40"))
    ], [firing("OpenidvSlowVerifications", "30m", {"severity": "warning"})]),
]


def test_alerts_fire_when_they_should_and_only_then(promtool, tmp_path):
    # promtool compares annotations too; their templates are checked above, so the copy
    # under test leaves them out and the scenarios state labels only.
    rules = yaml.safe_load(RULES.read_text())
    for group in rules["groups"]:
        for rule in group["rules"]:
            rule.pop("annotations", None)
    (tmp_path / "rules.yml").write_text(yaml.safe_dump(rules))
    tests = [{"name": name, "interval": "1m", "input_series": series, "alert_rule_test": expected}
             for name, series, expected in SCENARIOS]
    spec = tmp_path / "openidv-rules.test.yml"
    spec.write_text(yaml.safe_dump({"rule_files": ["rules.yml"], "evaluation_interval": "1m", "tests": tests}))
    done = subprocess.run([promtool, "test", "rules", str(spec)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
