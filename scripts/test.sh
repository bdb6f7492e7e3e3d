#!/usr/bin/env bash
# The whole test suite: builds bin/mcias (e2e tests run the compiled binary), runs
# `bun test`, and ends with one line "N passed, N failed" read from bun's JUnit report.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
BUN="node_modules/.bin/bun"
[ -x "$BUN" ] || { echo "bun missing: run npm install first" >&2; exit 1; }

"$BUN" run scripts/build.ts >&2 || { echo "0 passed, 1 failed"; exit 1; }
export MCIAS_BIN="$PWD/bin/mcias"

mkdir -p test-results
rm -f test-results/junit.xml
"$BUN" test --reporter=junit --reporter-outfile=test-results/junit.xml "$@"
rc=$?

# shellcheck disable=SC2016  # a Node program in single quotes, not shell
node -e '
  const fs = require("fs");
  let xml = "";
  try { xml = fs.readFileSync("test-results/junit.xml", "utf8"); } catch { console.log("0 passed, 1 failed"); process.exit(1); }
  const root = /<testsuites\b[^>]*>/.exec(xml);
  const attr = (n) => { const m = root && new RegExp(`\\b${n}="(\\d+)"`).exec(root[0]); return m ? Number(m[1]) : 0; };
  const tests = attr("tests"), failures = attr("failures") + attr("errors"), skipped = attr("skipped");
  console.log(`${tests - failures - skipped} passed, ${failures} failed` + (skipped ? `, ${skipped} skipped` : ""));
  process.exit(failures > 0 ? 1 : 0);
'
parsed=$?
if [ $rc -ne 0 ] || [ $parsed -ne 0 ]; then exit 1; fi
exit 0
