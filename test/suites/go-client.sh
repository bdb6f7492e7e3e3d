#!/usr/bin/env bash
# Go client (clients/go): go vet, staticcheck, and `go test -race` — which runs every
# conformance case against the real compiled server ($MCIAS_BIN) plus the client's own
# tests. Counts: each passed/failed Go test and subtest; a lint failure counts as one
# failed test.
set -uo pipefail
cd "$(dirname "$0")/../../clients/go" || exit 1
export PATH="$HOME/go/bin:$PATH" GOTOOLCHAIN="${GOTOOLCHAIN:-auto}"
RESULTS="${RESULTS:-/tmp}"
failed=0
passed=0
if go vet ./...; then passed=$((passed + 1)); else failed=$((failed + 1)); fi
if staticcheck ./...; then passed=$((passed + 1)); else failed=$((failed + 1)); fi
if [ -n "$(gofmt -l .)" ]; then echo "gofmt: $(gofmt -l .)"; failed=$((failed + 1)); else passed=$((passed + 1)); fi
json=$(mktemp)
go test -race -count=1 -json ./... > "$json"
rc=$?
# Human-readable output for the log.
grep -o '"Output":"[^"]*"' "$json" | sed 's/^"Output":"//; s/"$//; s/\\n$//; s/\\t/\t/g' | grep -E -- '--- (PASS|FAIL|SKIP)|^(ok|FAIL|panic)|_test.go:' || true
p=$(grep -c '"Action":"pass","Package":"[^"]*","Test"' "$json")
f=$(grep -c '"Action":"fail","Package":"[^"]*","Test"' "$json")
rm -f "$json"
passed=$((passed + p))
failed=$((failed + f))
if [ $rc -ne 0 ] && [ "$f" -eq 0 ]; then failed=$((failed + 1)); fi
echo "$passed $failed" > "$RESULTS/go-client.count"
echo "go-client: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
