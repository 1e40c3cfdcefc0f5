#!/usr/bin/env bash
# The README's demo as a test: tests/e2e/demo.sh against $PAW_BUILD_DIR must
# exit 0 (it checks every step itself) and end with its success line.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=$(mktemp)
trap 'rm -f "$out"' EXIT
rc=0
bash "$here/demo.sh" "${PAW_BUILD_DIR:-build}" >"$out" 2>&1 || rc=$?
cat "$out"
[ "$rc" = 0 ] || { echo "demo exited $rc" >&2; exit 1; }
grep -q '^demo: ok' "$out" || { echo "demo did not report success" >&2; exit 1; }
for want in 'verdict: healthy' 'BEGIN TSS2 PRIVATE KEY' 'email:alice@example.test' 'Key ID: "paw:device:' 'reason: fido_missing' 'reason: pcr_mismatch' 'stolen token refused: dpop_missing' 'nothing left running'; do
  grep -q "$want" "$out" || { echo "demo output lacks '$want'" >&2; exit 1; }
done
echo "demo_test: ok"
