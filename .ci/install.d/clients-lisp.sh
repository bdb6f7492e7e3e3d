#!/usr/bin/env bash
# The Common Lisp client (clients/lisp): SBCL and the Lisp libraries from Debian's
# packages (Quicklisp is not used). Tested with Debian 12: sbcl 2:2.2.9-1, cl-drakma
# 2.0.8-1, cl-plus-ssl 20220328.git8b91648-4, cl-yason 0.7.6-1.1, cl-ironclad 0.57-3,
# cl-fiveam 1.4.2-1. Then compiles the system and its dependencies once (the fasl
# cache in ~/.cache/common-lisp), so the suite starts fast.
set -euo pipefail
cd "$(dirname "$0")/../.."
pkgs="sbcl cl-drakma cl-plus-ssl cl-yason cl-ironclad cl-fiveam cl-base64 cl-babel cl-bordeaux-threads libssl3"
missing=""
for p in $pkgs; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
  apt-get update -qq
  # shellcheck disable=SC2086
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >/dev/null
fi
# shellcheck disable=SC2086
dpkg-query -W $pkgs >&2
start=$(date +%s)
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
# The compiler's notes are many; show them only when the build fails.
if ! sbcl --noinform --non-interactive \
  --eval '(require :asdf)' \
  --eval '(asdf:initialize-source-registry `(:source-registry (:directory ,(truename "clients/lisp/")) :inherit-configuration))' \
  --eval '(asdf:load-system :mcias-client/tests)' >"$log" 2>&1; then
  tail -n 60 "$log" >&2
  exit 1
fi
echo "clients-lisp: compiled in $(( $(date +%s) - start )) s" >&2
