#!/usr/bin/env bash
# Fuzz the partner API from its own OpenAPI schema with schemathesis (10,000+ requests):
# starts an embedded openidv on a free port in a temporary directory, creates a partner,
# runs `st run`, prints the summary. Usage: scripts/fuzz-api.sh [MAX_EXAMPLES_PER_OPERATION]
set -euo pipefail
cd "$(dirname "$0")/.."
examples=${1:-600}
home=$(mktemp -d)
port=$(.venv/bin/python -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')
export OPENIDV_HOME=$home OPENIDV_METRICS_TOKEN=fuzz
creds=$(.venv/bin/openidv partner create fuzz | .venv/bin/python -c 'import json,sys;d=json.load(sys.stdin);print(d["apiKey"]+":"+d["apiSecret"])')
.venv/bin/openidv serve --port "$port" > "$home/server.log" 2>&1 &
server=$!
trap 'kill $server; rm -rf "$home"' EXIT
for _ in $(seq 1 60); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.5; done
.venv/bin/st run "http://127.0.0.1:$port/openapi.json" --auth "$creds" --checks all \
  --exclude-checks ignored_auth,positive_data_acceptance --max-examples "$examples" --no-color
