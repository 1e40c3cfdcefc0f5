#!/usr/bin/env bash
# install_check_test.sh — cmake/install.cmake's rule that no installed program
# links test support (a target defined under tests/) or another program's
# private headers (a *_internals target) stops the configuration. It configures
# small scratch projects that use the real cmake/install.cmake: one clean (must
# configure), then one with each kind of forbidden link, direct or through a
# library (each must fail with the rule's message).
set -euo pipefail
src=${PAW_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
failures=0
ok() { echo "ok   $*"; }
fail() { echo "FAIL $*"; failures=$((failures + 1)); }

# probe NAME LINK: a project whose installed program "prog" links LINK through
# the library "core" (LINK empty: nothing forbidden). Prints cmake's output.
probe() {
  local dir=$scratch/$1 link=$2
  mkdir -p "$dir/tests/support" "$dir/app"
  echo 'int support(void) { return 1; }' >"$dir/tests/support/support.c"
  echo 'add_library(probe_support STATIC support.c)' >"$dir/tests/support/CMakeLists.txt"
  echo 'int main(void) { return 0; }' >"$dir/app/main.c"
  cat >"$dir/app/CMakeLists.txt" <<'CMAKE'
add_library(core INTERFACE)
add_library(app_internals INTERFACE)
target_link_libraries(app_internals INTERFACE core)
add_executable(prog main.c)
target_link_libraries(prog PRIVATE core)
paw_install_program(prog probe)
CMAKE
  cat >"$dir/CMakeLists.txt" <<CMAKE
cmake_minimum_required(VERSION 3.25)
project(probe C)
include($src/cmake/install.cmake)
add_subdirectory(tests/support)
add_subdirectory(app)
if(NOT "$link" STREQUAL "")
  target_link_libraries(core INTERFACE $link)
endif()
CMAKE
  cmake -S "$dir" -B "$dir/build" 2>&1
}

out=$(probe clean "") && rc=0 || rc=$?
if [ $rc -eq 0 ] && grep -q "none links test support" <<<"$out"; then ok "a program that links neither configures"
else fail "the clean probe did not configure (rc $rc):"; sed 's/^/     /' <<<"$out"; fi

for link in probe_support app_internals; do
  out=$(probe "bad_$link" "$link") && rc=0 || rc=$?
  if [ $rc -ne 0 ] && grep -q "prog is installed but links .*$link" <<<"$out"; then
    ok "an installed program that links $link (through a library) stops the configuration"
  else
    fail "linking $link did not stop the configuration (rc $rc):"; sed 's/^/     /' <<<"$out"
  fi
done
[ "$failures" -eq 0 ] || { echo "$failures check(s) failed"; exit 1; }
