#!/usr/bin/env bash
# Install openidv with its test dependencies into .venv and run the whole test suite.
# Extra arguments go to pytest (e.g. scripts/test.sh -k mrz).
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e '.[test]'

# Debian packages the tests use: the OCR-B font for synthetic documents.
if ! fc-list 2>/dev/null | grep -qi 'ocr-b\|ocrb' && [ ! -d /usr/share/fonts/opentype/ocr-b ] && [ ! -d /usr/share/fonts/truetype/ocr-b ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    (apt-get install -y -q fonts-ocr-b >/dev/null 2>&1 || (apt-get update -q >/dev/null && apt-get install -y -q fonts-ocr-b >/dev/null)) \
      || echo "warning: could not install fonts-ocr-b; synthetic-document tests will skip" >&2
  else
    echo "note: fonts-ocr-b is not installed (sudo apt-get install fonts-ocr-b); synthetic-document tests will skip" >&2
  fi
fi

exec .venv/bin/python -m pytest "$@"
