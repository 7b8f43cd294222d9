#!/usr/bin/env bash
# Install openidv with its test dependencies into .venv (scripts/install.sh --test) and run
# the whole test suite.
# Extra arguments go to pytest (e.g. scripts/test.sh -k mrz).
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install.sh --test

exec .venv/bin/python -m pytest "$@"
