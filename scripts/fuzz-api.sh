#!/usr/bin/env bash
# Fuzz the partner API from its own OpenAPI schema with schemathesis (10,000+ requests):
# starts an embedded openidv on a free port in a temporary directory, creates a partner,
# runs `st run`, prints the summary.
# Usage: scripts/fuzz-api.sh [MAX_EXAMPLES_PER_OPERATION] [more `st run` options, e.g. --report ndjson]
# (600 examples per operation made 9,794 and 10,533 requests in two runs; 1,000 made 15,405.)
set -euo pipefail
cd "$(dirname "$0")/.."
examples=${1:-1000}
home=$(mktemp -d)
port=$(.venv/bin/python -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')
export OPENIDV_HOME=$home OPENIDV_METRICS_TOKEN=fuzz
creds=$(.venv/bin/openidv partner create fuzz | .venv/bin/python -c 'import json,sys;d=json.load(sys.stdin);print(d["apiKey"]+":"+d["apiSecret"])')
# More than the default 10,000 requests per hour are sent: lift the partner's rate limit so
# the run exercises the endpoints instead of answering 429 after the first 10,000.
.venv/bin/openidv partner policy "${creds%%:*}" --rate-limit 10000000 > /dev/null
.venv/bin/openidv serve --port "$port" > "$home/server.log" 2>&1 &
server=$!
trap 'kill $server; rm -rf "$home"' EXIT
for _ in $(seq 1 60); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.5; done
status=0
.venv/bin/st run "http://127.0.0.1:$port/openapi.json" --auth "$creds" --checks all \
  --exclude-checks ignored_auth,positive_data_acceptance --max-examples "$examples" --no-color "${@:2}" \
  || status=$?
# What the server itself saw: every request, also any the client gave up waiting for.
curl -sf -H "Authorization: Bearer fuzz" "http://127.0.0.1:$port/metrics" -o "$home/metrics.txt" || true
[ -s "$home/metrics.txt" ] && .venv/bin/python - "$home/metrics.txt" <<'PY' || echo "server: metrics not available"
import collections, sys
from prometheus_client.parser import text_string_to_metric_families

by_status, over_10s = collections.Counter(), 0
for family in text_string_to_metric_families(open(sys.argv[1]).read()):
    for s in family.samples:
        if s.name == "openidv_http_requests_total":
            by_status[s.labels["status"]] += int(s.value)
        elif s.name == "openidv_http_request_duration_seconds_bucket" and s.labels["le"] in ("10.0", "+Inf"):
            over_10s += int(s.value) * (1 if s.labels["le"] == "+Inf" else -1)
server_errors = sum(n for code, n in by_status.items() if code.startswith("5"))
print(f"server: {sum(by_status.values())} HTTP requests, by status {dict(sorted(by_status.items()))}; "
      f"5xx: {server_errors}; slower than 10 s: {over_10s}")
PY
exit $status
