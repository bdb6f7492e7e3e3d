#!/usr/bin/env bash
# Forward-auth tests drive a real nginx (auth_request module, in Debian's nginx) and a
# real Caddy (forward_auth) from Debian's packages; curl for the API-client check.
set -euo pipefail
pkgs=""
command -v nginx >/dev/null 2>&1 || pkgs="$pkgs nginx"
command -v caddy >/dev/null 2>&1 || pkgs="$pkgs caddy"
command -v curl >/dev/null 2>&1 || pkgs="$pkgs curl"
if [ -n "$pkgs" ]; then
  apt-get update -qq
  # shellcheck disable=SC2086
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $pkgs >/dev/null
fi
# The packages start system services on :80; the tests use their own loopback ports.
systemctl stop nginx caddy >/dev/null 2>&1 || true
