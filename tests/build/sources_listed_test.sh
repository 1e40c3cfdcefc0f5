#!/usr/bin/env bash
# sources_listed_test.sh — every C++ source and every e2e script in the tree is
# named in a CMakeLists.txt. The build lists its sources instead of globbing
# them (a glob makes the file system, not the build files, say what is built),
# so a file added without its list entry would silently not be compiled or run:
# this test names it, and the CMakeLists.txt to add it to.
#
# A file F counts as listed when a CMakeLists.txt in F's folder or any folder
# above it names F by its path relative to that folder, as a whole word outside
# a comment (e.g. verifier/CMakeLists.txt: "src/edge/server.cpp").
# First a control on a scratch tree, so the check is seen to catch a miss.
set -euo pipefail
src=${PAW_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}

# unlisted ROOT FILE...: prints each FILE (relative to ROOT) no CMakeLists.txt names.
unlisted() {
  local root=$1; shift
  local f d rel re found nearest
  local -A text=()  # folder -> its CMakeLists.txt without comments, one line
  for f in "$@"; do
    if [[ $f == */* ]]; then d=${f%/*}; else d=.; fi
    found=""; nearest=""
    while :; do
      if [ -z "${text[$d]+set}" ]; then
        text[$d]=""
        if [ -f "$root/$d/CMakeLists.txt" ]; then text[$d]=" $(sed 's/#.*//' "$root/$d/CMakeLists.txt" | tr '\n' ' ') "; fi
      fi
      if [ -n "${text[$d]}" ]; then
        [ -n "$nearest" ] || nearest=$d
        if [ "$d" = . ]; then rel=$f; else rel=${f#"$d"/}; fi
        re="[[:space:](]${rel//./[.]}[[:space:])]"
        if [[ ${text[$d]} =~ $re ]]; then found=1; break; fi
      fi
      [ "$d" = . ] && break
      if [[ $d == */* ]]; then d=${d%/*}; else d=.; fi
    done
    [ -n "$found" ] || echo "$f (add it to $nearest/CMakeLists.txt)"
  done
}

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
mkdir -p "$scratch/lib/src/sub"
printf 'add_subdirectory(lib)\n' >"$scratch/CMakeLists.txt"
printf 'set(S\n  src/a.cpp\n  src/sub/b.cpp)  # src/c.cpp only in a comment\n' >"$scratch/lib/CMakeLists.txt"
got=$(unlisted "$scratch" lib/src/a.cpp lib/src/sub/b.cpp lib/src/c.cpp lib/src/sub/a.cpp | cut -d' ' -f1 | tr '\n' ' ')
if [ "$got" != "lib/src/c.cpp lib/src/sub/a.cpp " ]; then
  echo "FAIL control: expected 'lib/src/c.cpp lib/src/sub/a.cpp' unlisted, the check found '$got'"
  exit 1
fi
echo "ok   control: an unlisted file and one named only in a comment are caught"

cd "$src"
mapfile -t files < <(find agent attest platform verifier tools tests -path tests/data -prune -o \
  -type f \( -name '*.cpp' -o -name '*.cc' -o -name '*.c' -o -path 'tests/e2e/*_test.sh' -o -path 'tests/build/*_test.sh' \) -print | sort)
[ ${#files[@]} -gt 100 ] || { echo "FAIL found only ${#files[@]} sources under $src"; exit 1; }
missing=$(unlisted . "${files[@]}")
if [ -n "$missing" ]; then
  echo "FAIL sources no CMakeLists.txt names (they would not be built or run):"
  sed 's/^/     /' <<<"$missing"
  exit 1
fi
echo "ok   all ${#files[@]} sources and test scripts are named in a CMakeLists.txt"
