#!/usr/bin/env bash
# The Prometheus text parser the metrics test checks the exposition with, and
# Litestream for the standby/failover drill (pinned).
set -euo pipefail
[ -x "$HOME/.venvs/prom/bin/python" ] || python3 -m venv "$HOME/.venvs/prom"
"$HOME/.venvs/prom/bin/pip" install -q prometheus-client==0.26.0
command -v litestream >/dev/null 2>&1 || go install github.com/benbjohnson/litestream/cmd/litestream@v0.5.18
