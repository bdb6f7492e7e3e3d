#!/usr/bin/env bash
# oauth2-proxy, the off-the-shelf OIDC relying party the OIDC suite puts in front of a
# tiny upstream (test/e2e/oidc-oauth2-proxy.test.ts). Pinned; skipped when that exact
# version is already installed.
set -euo pipefail
want="v7.15.6"
bin="$(command -v oauth2-proxy || true)"
if [ -z "$bin" ] || ! go version -m "$bin" 2>/dev/null | grep -q "mod[[:space:]]github.com/oauth2-proxy/oauth2-proxy/v7[[:space:]]$want"; then
  go install "github.com/oauth2-proxy/oauth2-proxy/v7@$want"
fi
