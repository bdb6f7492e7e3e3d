#!/usr/bin/env bash
# Python client (clients/python): a venv at clients/python/.venv (git-ignored) with the
# client (editable) and its pinned test tools. Built once here; the suite only uses it.
set -euo pipefail
cd "$(dirname "$0")/../../clients/python"
if ! python3 -c 'import sys, venv, ensurepip; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
  apt-get update -qq
  apt-get install -y -qq python3 python3-venv >/dev/null
fi
python3 -m venv .venv
.venv/bin/pip install -q --disable-pip-version-check \
  'hatchling==1.33.0' 'httpx==0.28.1' 'PyJWT[crypto]==2.15.1' \
  'pytest==9.2.0' 'ruff==0.17.5' 'mypy==2.4.1'
# A real wheel build with the pinned hatchling (proves the packaging); the tests import
# the source tree first (pytest pythonpath = src), so edits need no reinstall.
.venv/bin/pip install -q --disable-pip-version-check --no-build-isolation --no-deps .
