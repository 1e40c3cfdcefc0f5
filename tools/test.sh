#!/usr/bin/env bash
# tools/test.sh — the whole test suite, as CI runs it (.ci/run calls exactly this).
#   1. installs the Debian packages it needs (installer/install-deps.sh),
#   2. builds everything and runs every CTest test (unit, integration against
#      swtpm / libfido2 / tpm2-tools, verifier service, end-to-end),
#   3. builds the unit tests with ASan + UBSan (no recovery) and runs them,
#   4. builds the libFuzzer targets with clang and runs each briefly on its corpus.
# Ends with one line "tests: N passed, N failed" over all stages.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
jobs=${PAW_JOBS:-2}
fuzz_seconds=${PAW_FUZZ_SECONDS:-15}

bash installer/install-deps.sh

# Several build folders compile the same sources with the same flags (the
# release packaging test, for one): let ccache share objects between them.
# ccache rewrites paths relative to the build folder, so the packaging test's
# release build sits at the same depth as build/ to hit the same objects.
export CCACHE_BASEDIR="$root" CCACHE_NOHASHDIR=1
export PAW_INSTALLER_BUILD_DIR="$root/build-release"
stage() { echo "== $* ($(date +%T), ${SECONDS}s so far) =="; }

summary=$(mktemp)
trap 'rm -f "$summary"' EXIT
run_ctest() {  # run_ctest BUILD_DIR [ctest args…]: runs, records "passed failed"
  local dir=$1; shift
  local log; log=$(mktemp)
  set +e
  (cd "$dir" && ctest --output-on-failure -j"$jobs" "$@") 2>&1 | tee "$log"
  local rc=${PIPESTATUS[0]}
  set -e
  local line; line=$(grep -E 'tests passed, [0-9]+ tests? failed out of [0-9]+' "$log" | tail -1 || true)
  local failed total
  failed=$(sed -E 's/.* ([0-9]+) tests? failed out of ([0-9]+).*/\1/' <<<"$line")
  total=$(sed -E 's/.* failed out of ([0-9]+).*/\1/' <<<"$line")
  if [ -z "$line" ]; then failed=1; total=1; fi
  echo "$((total - failed)) $failed" >>"$summary"
  rm -f "$log"
  return "$rc"
}

status=0
stage "build (RelWithDebInfo)"
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPAW_BUILD_TESTS=ON -DPAW_VIRTUAL_FIDO=ON \
  -DPAW_SANITIZE=OFF -DPAW_FUZZ=OFF -DPAW_UNIT_ONLY=OFF >/dev/null
cmake --build build -j"$jobs"
stage "tests"
run_ctest build || status=1

stage "sanitizer build (ASan + UBSan) of the unit tests"
cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DPAW_SANITIZE=ON -DPAW_UNIT_ONLY=ON >/dev/null
cmake --build build-asan -j"$jobs" --target paw_unit_tests
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  run_ctest build-asan -L unit || status=1

stage "fuzz targets (clang, libFuzzer, ${fuzz_seconds}s each)"
CC=clang CXX=clang++ cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPAW_FUZZ=ON \
  -DPAW_FUZZ_SECONDS="$fuzz_seconds" >/dev/null
cmake --build build-fuzz -j"$jobs"
run_ctest build-fuzz -L fuzz || status=1

passed=0; failed=0
while read -r p f; do passed=$((passed + p)); failed=$((failed + f)); done <"$summary"
stage "done"
echo "tests: $passed passed, $failed failed"
exit "$status"
