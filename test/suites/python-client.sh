#!/usr/bin/env bash
# Python client (clients/python): ruff, mypy --strict, and pytest — which runs every
# conformance case with the sync and the async client against the real compiled server
# ($MCIAS_BIN), plus the client's own tests. Needs the venv from
# .ci/install.d/clients-python.sh. Counts: pytest's passed/failed tests; a lint failure
# counts as one failed test.
set -uo pipefail
cd "$(dirname "$0")/../../clients/python" || exit 1
RESULTS="${RESULTS:-/tmp}"
PY=.venv/bin
if [ ! -x "$PY/pytest" ]; then
  echo "clients/python/.venv missing: run bash .ci/install.d/clients-python.sh"
  echo "0 1" > "$RESULTS/python-client.count"
  exit 1
fi
passed=0
failed=0
if "$PY/ruff" check .; then passed=$((passed + 1)); else failed=$((failed + 1)); fi
if "$PY/mypy" --strict; then passed=$((passed + 1)); else failed=$((failed + 1)); fi
xml=$(mktemp)
PYTHONDONTWRITEBYTECODE=1 "$PY/pytest" -q -p no:cacheprovider --junitxml="$xml"
rc=$?
read -r t f e s < <(python3 - "$xml" <<'PY'
import sys, xml.etree.ElementTree as ET
r = ET.parse(sys.argv[1]).getroot()
s = r if r.tag == "testsuite" else r.find("testsuite")
print(s.get("tests", 0), s.get("failures", 0), s.get("errors", 0), s.get("skipped", 0))
PY
) || { t=0; f=0; e=1; s=0; }
rm -f "$xml"
passed=$((passed + t - f - e - s))
failed=$((failed + f + e))
if [ $rc -ne 0 ] && [ $((f + e)) -eq 0 ]; then failed=$((failed + 1)); fi
echo "$passed $failed" > "$RESULTS/python-client.count"
echo "python-client: $passed passed, $failed failed ($s skipped)"
[ "$failed" -eq 0 ]
