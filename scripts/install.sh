#!/usr/bin/env bash
# Install openidv into .venv (scripts/install.sh), or with its test extras (--test).
#
# dlib (face detection and embedding) is built from source here, about 8 minutes once (pip
# keeps the built wheel in its cache). Built against OpenBLAS, its face embedding takes
# ~13 ms instead of ~80 ms with the prebuilt dlib-bin wheel (docs/benchmarks.md), so
# Debian's libopenblas-dev is installed first when we run as root; otherwise this says
# which command to run, and installs anyway (dlib then builds without BLAS: correct, slower).
set -euo pipefail
cd "$(dirname "$0")/.."

extras=""
if [ "${1:-}" = "--test" ]; then
  extras="[test]"
fi

debian_packages="libopenblas-dev"
# Synthetic test documents: OCR-B for the MRZ; DejaVu, Amiri (Arabic) and WenQuanYi Micro
# Hei (CJK) for printed names in the MRZ stress set (benchmarks/mrzstress).
[ -n "$extras" ] && debian_packages="$debian_packages fonts-ocr-b fonts-dejavu-core fonts-hosny-amiri fonts-wqy-microhei"
missing=""
for pkg in $debian_packages; do
  dpkg -s "$pkg" >/dev/null 2>&1 || missing="$missing $pkg"
done
if [ -n "$missing" ] && command -v apt-get >/dev/null; then
  if [ "$(id -u)" = 0 ]; then
    apt-get install -y -q $missing >/dev/null 2>&1 \
      || (apt-get update -q >/dev/null && apt-get install -y -q $missing >/dev/null) \
      || echo "warning: could not install Debian packages:$missing" >&2
  else
    echo "note: Debian packages missing:$missing (sudo apt-get install$missing)" >&2
  fi
fi

PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --upgrade pip
# CMAKE_TOOLCHAIN_FILE carries dlib's build options (see the file for why).
export CMAKE_TOOLCHAIN_FILE="$PWD/scripts/dlib-build.cmake"

# Prints dlib's requirement from pyproject.toml; exit status 0 when .venv already satisfies it.
dlib_requirement() {
  .venv/bin/python - <<'PY'
import sys, tomllib
from importlib import metadata
from pip._vendor.packaging.requirements import Requirement

dependencies = tomllib.load(open("pyproject.toml", "rb"))["project"]["dependencies"]
requirement = next(r for r in map(Requirement, dependencies) if r.name == "dlib")
print(requirement)
try:
    sys.exit(0 if requirement.specifier.contains(metadata.version("dlib"), prereleases=True) else 1)
except metadata.PackageNotFoundError:
    sys.exit(1)
PY
}

# Earlier versions installed the prebuilt dlib-bin, which puts its files where dlib's go:
# with both installed, one overwrites the other and removing either breaks both. dlib-bin
# goes, and dlib is installed again over the files it shared.
reinstall_dlib=""
if .venv/bin/python -m pip show dlib-bin >/dev/null 2>&1; then
  echo "Removing dlib-bin (earlier versions' prebuilt dlib; replaced by dlib built here)"
  .venv/bin/python -m pip uninstall --quiet -y dlib-bin
  reinstall_dlib="--force-reinstall --no-deps"
fi

if dlib=$(dlib_requirement) && [ -z "$reinstall_dlib" ]; then
  : # already there
else
  echo "Installing $dlib: pip builds it from source the first time, about 8 minutes on 2" \
       "cores (pip keeps the wheel for later installs). pip's own lines show it is still busy."
  # shellcheck disable=SC2086  # reinstall_dlib is empty or two options
  .venv/bin/python -m pip install $reinstall_dlib "$dlib"
fi
.venv/bin/python -m pip install --quiet -e ".$extras"

# MediaPipe's face-landmark model (hosted flow's "move closer" check), out of its wheel
# into .venv/share/openidv/ (kept out of the repository; openidv never downloads it).
.venv/bin/python scripts/fetch_face_landmark_model.py

if ! .venv/bin/python -c 'import dlib, sys; sys.exit(0 if dlib.DLIB_USE_BLAS else 1)'; then
  echo "warning: dlib was built without BLAS (face embedding ~6x slower). Install" \
       "libopenblas-dev, then: .venv/bin/pip install --no-cache-dir --force-reinstall --no-deps dlib" >&2
fi
