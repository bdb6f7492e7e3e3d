#!/usr/bin/env bash
# The OpenAPI checkers the API-document test runs against the compiled binary:
# openapi-spec-validator (is /docs/json a valid OpenAPI 3 document?) and schemathesis
# (property-based requests over every operation: no 5xx, every response conforms).
# Pinned, in their own venv so the system Python stays untouched.
set -euo pipefail
V="$HOME/.venvs/openapi"
[ -x "$V/bin/python" ] || python3 -m venv "$V"
"$V/bin/pip" install -q --disable-pip-version-check openapi-spec-validator==0.9.0 schemathesis==4.32.5
