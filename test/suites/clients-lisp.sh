#!/usr/bin/env bash
# The Common Lisp client (clients/lisp): (asdf:test-system :mcias-client) — offline
# unit tests and the conformance cases against the compiled server (started by
# scripts/conformance-server). Writes "$RESULTS/clients-lisp.count" = "PASSED FAILED".
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
RESULTS="${RESULTS:-$PWD/test-results/suites}"
mkdir -p "$RESULTS"
out="$RESULTS/clients-lisp.count"
rm -f "$out"
sbcl --noinform --non-interactive \
  --eval '(require :asdf)' \
  --eval '(asdf:initialize-source-registry `(:source-registry (:directory ,(truename "clients/lisp/")) :inherit-configuration))' \
  --eval '(asdf:load-system :mcias-client/tests)' \
  --eval '(asdf:test-system :mcias-client)' \
  --eval "(destructuring-bind (p f) (or (symbol-value (find-symbol \"*RESULTS*\" :mcias-client-tests)) '(0 1))
            (with-open-file (s \"$out\" :direction :output :if-exists :supersede) (format s \"~D ~D~%\" p f))
            (format t \"~&clients-lisp: ~D passed, ~D failed~%\" p f)
            (uiop:quit (if (zerop f) 0 1)))"
rc=$?
[ -s "$out" ] || echo "0 1" > "$out"
exit $rc
