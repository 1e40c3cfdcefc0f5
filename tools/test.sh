#!/usr/bin/env bash
# tools/test.sh — the whole test suite, as CI runs it (.ci/run calls exactly this).
#   1. installs the Debian packages it needs (installer/install-deps.sh; the
#      tests' half while the build compiles),
#   2. checks that nothing in the repository reads test data from outside it,
#   3. builds everything and runs every CTest test (unit, integration against
#      swtpm / libfido2 / tpm2-tools, verifier service, end-to-end),
#   4. builds with clang, ASan + UBSan (no recovery) the unit tests, the
#      libFuzzer targets and the shipped programs (another compiler's
#      warnings), then runs the unit tests and each fuzz target briefly on its
#      corpus - all at nice 19, while step 3's tests run.
# Prints a timing line after every stage and ends with one line
# "tests: N passed, N failed" over all stages.
# Environment: PAW_JOBS (default 2), PAW_FUZZ_SECONDS (default 4: a smoke test of each corpus; run a target longer by hand),
# PAW_WERROR=ON|OFF (warnings as errors; ON when CI=true, OFF otherwise).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
jobs=${PAW_JOBS:-2}
fuzz_seconds=${PAW_FUZZ_SECONDS:-4}
if [ "${CI:-}" = true ]; then werror=${PAW_WERROR:-ON}; else werror=${PAW_WERROR:-OFF}; fi

stage_name=""; stage_start=$SECONDS
stage() {  # stage NAME: closes the previous stage with its duration, opens the next
  if [ -n "$stage_name" ]; then echo "== took $((SECONDS - stage_start))s: $stage_name (${SECONDS}s so far) =="; fi
  stage_name="$*"; stage_start=$SECONDS
  [ "$stage_name" = done ] || echo "== $stage_name ($(date +%T), ${SECONDS}s so far) =="
}

stage "install dependencies (apt): the build's"
bash installer/install-deps.sh build
# The tests' packages (Chromium, PostgreSQL, nginx, swtpm…: most of a fresh
# machine's download) install while the build compiles; ctest waits for them.
deps_log=$(mktemp)
bash installer/install-deps.sh tests >"$deps_log" 2>&1 &
deps_pid=$!

# Several build folders compile the same sources with the same flags (the
# release packaging test, for one): let ccache share objects between them.
# ccache rewrites paths relative to the build folder, so the packaging test's
# release build sits at the same depth as build/ to hit the same objects.
export CCACHE_BASEDIR="$root" CCACHE_NOHASHDIR=1
export PAW_INSTALLER_BUILD_DIR="$root/build-release"
# … and with the same compiler flags (release_flags below, PAW_WERROR), which
# ccache needs to reuse an object.

summary=$(mktemp)
clang_pid=""
trap 'rm -f "$summary"; if [ -n "$clang_pid" ]; then kill "$clang_pid" 2>/dev/null || true; fi' EXIT
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
stage "self-contained: no reference to data outside the repository"
# Tests read fixtures from tests/data only; a path to a folder beside the clone
# would pass on the project's machines and fail on a user's.
outside='[.][.]/s[h]ared|/s[h]ared/data'
if [ -d .git ] && git grep -n -E "$outside" -- . ; then
  echo "self-contained: the lines above refer to data outside the repository"
  echo "0 1" >>"$summary"; status=1
else
  echo "1 0" >>"$summary"
fi

# Release at -O2 (Debian's level, the packages' flags) and no debug info:
# line tables alone (-g1) made each compile ~25 % slower for nothing a test
# run reads (a failure names its file and line without them). The sanitizer
# build below keeps -g1 for its reports.
release_flags="-O2 -DNDEBUG"
rel_c="-DCMAKE_C_FLAGS_RELEASE=$release_flags"
rel_cxx="-DCMAKE_CXX_FLAGS_RELEASE=$release_flags"
# Unity builds (CMake compiles each batch of eight sources as one): every
# source includes ~150 000 lines of headers (Poco, the standard library), and
# parsing them and emitting their inline code was most of a cold build's
# time; a batch does it once. Sources whose file-local names clash with a
# neighbour's compile alone (paw_compile_alone in the CMakeLists). A user's
# or developer's build is not a unity build unless asked.
unity=-DCMAKE_UNITY_BUILD=ON
export PAW_RELEASE_FLAGS="$release_flags" PAW_WERROR="$werror" PAW_UNITY_BUILD=ON
stage "build (Release at -O2, gcc, unity)"
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release "$rel_c" "$rel_cxx" -DPAW_BUILD_TESTS=ON -DPAW_VIRTUAL_FIDO=ON \
  -DPAW_SANITIZE=OFF -DPAW_FUZZ=OFF -DPAW_UNIT_ONLY=OFF -DPAW_WERROR="$werror" "$unity" >/dev/null
cmake --build build -j"$jobs"
# One clang build does three jobs that were three builds (the cold CI run
# spent 1 300 s compiling): the unit tests under ASan + UBSan, the libFuzzer
# targets (the same sanitizers, no recovery) and the shipped programs with
# another compiler. Debug (-O0): half the compile time of -O1 with the
# sanitizers (the fuzzers only smoke-test their corpus here), and a build type
# other than the main build's.
# It compiles at nice 19 while ctest runs: the end-to-end tests spend most of
# their time waiting on processes, sockets and timers, and the compiler takes
# only the CPU they leave (nice 19 weighs 1/68 of a test's share).
CC=clang CXX=clang++ cmake -S . -B build-clang -G Ninja -DCMAKE_BUILD_TYPE=Debug \
  "-DCMAKE_C_FLAGS_DEBUG=-g1" "-DCMAKE_CXX_FLAGS_DEBUG=-g1" \
  -DPAW_FUZZ=ON -DPAW_BUILD_TESTS=ON -DPAW_VIRTUAL_FIDO=OFF -DPAW_SANITIZE=OFF -DPAW_UNIT_ONLY=OFF \
  -DPAW_FUZZ_SECONDS="$fuzz_seconds" -DPAW_WERROR="$werror" "$unity" >/dev/null
# The sanitizer lane: build, then the unit tests under ASan + UBSan and each
# fuzz target on its corpus for a fixed time, all at nice 19 beside the main
# tests (a fuzz target runs for its seconds however much CPU it gets: fewer
# runs, the same wall time). Its output goes to a log, shown after ctest.
clang_log=$(mktemp)
clang_lane() {
  local t0=$SECONDS
  renice -n 19 -p "$BASHPID" >/dev/null  # this subshell and all it starts
  if ! cmake --build build-clang -j"$jobs" --target paw_unit_tests paw_fuzzers paw-agent paw-verifier pawctl; then
    echo "clang build: FAILED (above); its unit tests and fuzz targets did not run"
    echo "0 1" >>"$summary"; return 1
  fi
  echo "== clang build took $((SECONDS - t0))s; unit tests under ASan + UBSan, fuzz targets (${fuzz_seconds}s each) =="
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    run_ctest build-clang -L 'unit|fuzz'
}
clang_lane >"$clang_log" 2>&1 &
clang_pid=$!

if ! wait "$deps_pid"; then
  cat "$deps_log"; echo "install-deps tests: FAILED (above)"; exit 1
fi
cat "$deps_log"; rm -f "$deps_log"

stage "tests (unit, integration, verifier, e2e; beside them at nice 19: the clang build, then its ASan + UBSan unit tests and fuzz targets)"
run_ctest build || status=1

stage "clang build (Debug, ASan + UBSan) and its unit tests and fuzz targets (${fuzz_seconds}s each): the rest of them"
wait "$clang_pid" || status=1
clang_pid=""
cat "$clang_log"; rm -f "$clang_log"

passed=0; failed=0
while read -r p f; do passed=$((passed + p)); failed=$((failed + f)); done <"$summary"
stage "done"
echo "total: ${SECONDS}s"
echo "tests: $passed passed, $failed failed"
exit "$status"
