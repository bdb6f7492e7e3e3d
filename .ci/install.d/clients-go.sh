#!/usr/bin/env bash
# Go client (clients/go): a Go toolchain, staticcheck (pinned), the module's
# dependencies (pinned by clients/go/go.mod + go.sum) downloaded once.
set -euo pipefail
cd "$(dirname "$0")/../.."
export PATH="$HOME/go/bin:$PATH"
if ! command -v go >/dev/null 2>&1; then
  # Debian's Go may be older than go.mod's `go` line: GOTOOLCHAIN=auto fetches that
  # toolchain from the Go module proxy on first use.
  apt-get update -qq
  apt-get install -y -qq golang-go >/dev/null
fi
export GOTOOLCHAIN=auto
STATICCHECK_VERSION=v0.8.2
if ! staticcheck -version 2>/dev/null | grep -q "${STATICCHECK_VERSION#v}"; then
  go install "honnef.co/go/tools/cmd/staticcheck@${STATICCHECK_VERSION}"
fi
(cd clients/go && go mod download && go build ./...)
