#!/usr/bin/env bash
# The whole test suite: builds bin/mcias (e2e tests run the compiled binary), runs
# `bun test`, then the other languages' suites (test/suites/*.sh, in parallel), and
# ends with one line "N passed, N failed" counting every language's results.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
BUN="node_modules/.bin/bun"
[ -x "$BUN" ] || { echo "bun missing: run npm install first" >&2; exit 1; }
export PATH="$HOME/go/bin:$HOME/.cargo/bin:$PATH"

"$BUN" run scripts/build.ts >&2 || { echo "0 passed, 1 failed"; exit 1; }
export MCIAS_BIN="$PWD/bin/mcias"

mkdir -p test-results
export RESULTS="$PWD/test-results/suites"
rm -rf "$RESULTS" test-results/junit.xml
mkdir -p "$RESULTS"

# `npm test -- <files>` runs only those bun test files (no other-language suites).
only_bun=0
[ $# -gt 0 ] && only_bun=1

"$BUN" test --reporter=junit --reporter-outfile=test-results/junit.xml "$@"
rc=$?

if [ $only_bun = 0 ] && [ "${MCIAS_SKIP_SUITES:-}" != 1 ]; then
  pids=()
  names=()
  for s in test/suites/*.sh; do
    [ -e "$s" ] || continue
    n=$(basename "$s" .sh)
    bash "$s" > "test-results/$n.log" 2>&1 &
    pids+=($!)
    names+=("$n")
  done
  for i in "${!pids[@]}"; do
    n=${names[$i]}
    if ! wait "${pids[$i]}" || [ ! -s "$RESULTS/$n.count" ]; then
      echo "== suite $n failed; its log:" >&2
      tail -n 80 "test-results/$n.log" >&2
      [ -s "$RESULTS/$n.count" ] || echo "0 1" > "$RESULTS/$n.count"
    else
      echo "== suite $n: $(cat "$RESULTS/$n.count") (passed failed)" >&2
    fi
  done
fi

# shellcheck disable=SC2016  # a Node program in single quotes, not shell
node -e '
  const fs = require("fs"), path = require("path");
  let xml = "";
  try { xml = fs.readFileSync("test-results/junit.xml", "utf8"); } catch { console.log("0 passed, 1 failed"); process.exit(1); }
  const root = /<testsuites\b[^>]*>/.exec(xml);
  const attr = (n) => { const m = root && new RegExp(`\\b${n}="(\\d+)"`).exec(root[0]); return m ? Number(m[1]) : 0; };
  const tests = attr("tests"), skipped = attr("skipped");
  let failures = attr("failures") + attr("errors");
  let passed = tests - failures - skipped;
  const dir = process.env.RESULTS;
  for (const f of fs.existsSync(dir) ? fs.readdirSync(dir) : []) {
    const [p, q] = fs.readFileSync(path.join(dir, f), "utf8").trim().split(/\s+/).map(Number);
    passed += p || 0; failures += Number.isFinite(q) ? q : 1;
  }
  console.log(`${passed} passed, ${failures} failed` + (skipped ? `, ${skipped} skipped` : ""));
  process.exit(failures > 0 ? 1 : 0);
'
parsed=$?
if [ $rc -ne 0 ] || [ $parsed -ne 0 ]; then exit 1; fi
exit 0
