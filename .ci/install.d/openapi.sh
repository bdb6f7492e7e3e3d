#!/usr/bin/env bash
# The OpenAPI checkers the API-document test runs against the compiled binary:
# openapi-spec-validator (is /docs/json a valid OpenAPI 3 document?) and schemathesis
# (property-based requests over every operation: no 5xx, every response conforms).
# Pinned, in their own venv so the system Python stays untouched.
set -euo pipefail
V="$HOME/.venvs/openapi"
if [ ! -x "$V/bin/python" ]; then
  if ! python3 -m venv "$V" 2>/dev/null; then
    # Debian ships venv support separately.
    rm -rf "$V"
    apt-get update -qq && apt-get install -y -qq python3-venv >/dev/null
    python3 -m venv "$V"
  fi
fi
"$V/bin/pip" install -q --disable-pip-version-check openapi-spec-validator==0.9.0 schemathesis==4.32.5
