#!/usr/bin/env bash
# file_length_test.sh — the house rule "files under ~500 lines, one concept
# each": a source, script, CMake file or document over 500 lines must say why
# within its first 10 lines, in a line containing "Over 500 lines" (e.g.
# "// Over 500 lines: …", "<!-- Over 500 lines: … -->"). Fixtures in tests/data
# are exempt. A control on a scratch file first, so the check is seen to fail.
set -euo pipefail
src=${PAW_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
limit=500

# too_long FILE...: prints each FILE over the limit with no reason at its top.
too_long() {
  local f n
  for f in "$@"; do
    n=$(wc -l <"$f")
    if [ "$n" -gt "$limit" ] && ! head -n 10 "$f" | grep -q "Over $limit lines"; then
      echo "$f ($n lines)"
    fi
  done
}

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
seq 1 $((limit + 1)) | sed 's|^|// line |' >"$scratch/long.cpp"
{ echo "// Over $limit lines: a control"; cat "$scratch/long.cpp"; } >"$scratch/long_with_reason.cpp"
got=$(too_long "$scratch/long.cpp" "$scratch/long_with_reason.cpp")
if [ "$got" != "$scratch/long.cpp ($((limit + 1)) lines)" ]; then
  echo "FAIL control: expected only $scratch/long.cpp reported, got '$got'"; exit 1
fi
echo "ok   control: a long file without a reason is caught, one with a reason is not"

cd "$src"
mapfile -t files < <(find . -path ./tests/data -prune -o -path ./.git -prune -o -path './build*' -prune -o \
  -type f \( -name '*.cpp' -o -name '*.h' -o -name '*.c' -o -name '*.sh' -o -name '*.py' -o -name '*.cmake' \
  -o -name CMakeLists.txt -o -name '*.md' \) -print | sed 's|^\./||' | sort)
[ ${#files[@]} -gt 100 ] || { echo "FAIL found only ${#files[@]} files under $src"; exit 1; }
long=$(too_long "${files[@]}")
if [ -n "$long" ]; then
  echo "FAIL over $limit lines with no reason at the top (split the file, or say why in its first 10 lines):"
  sed 's/^/     /' <<<"$long"
  exit 1
fi
echo "ok   ${#files[@]} files: none over $limit lines without a reason at its top"
