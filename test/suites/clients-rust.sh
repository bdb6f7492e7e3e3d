#!/usr/bin/env bash
# The Rust client (clients/rust): clippy with -D warnings (counted as one test), then
# `cargo test` — unit tests, doctests, the offline secret tests and the conformance
# cases (tests/conformance.rs, against the compiled server via
# scripts/conformance-server). Writes "$RESULTS/clients-rust.count" = "PASSED FAILED".
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
export PATH="$HOME/.cargo/bin:$PATH"
RESULTS="${RESULTS:-$PWD/test-results/suites}"
mkdir -p "$RESULTS"
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
cd clients/rust || exit 1

passed=0 failed=0
if cargo clippy --locked --all-targets -j2 -- -D warnings; then passed=1; else failed=1; fi
cargo test --locked -j2 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}
# Sum libtest's "test result: ok. N passed; M failed; ..." lines (the conformance
# runner prints the same line for its cases).
read -r p f < <(awk '/^test result:/ { for (i = 1; i <= NF; i++) { if ($(i+1) ~ /^passed;/) p += $i; if ($(i+1) ~ /^failed;/) f += $i } } END { print p+0, f+0 }' "$log")
passed=$((passed + p))
failed=$((failed + f))
# A build failure or crash prints no result line: count it as a failure.
if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then failed=$((failed + 1)); fi
echo "$passed $failed" > "$RESULTS/clients-rust.count"
echo "clients-rust: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
