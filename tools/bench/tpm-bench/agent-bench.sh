#!/usr/bin/env bash
# agent-bench.sh — what the agent costs on a workstation, measured against the
# real parts (swtpm, paw-verifier on SQLite, the software FIDO2 key), set up
# as tests/e2e do:
#
#   attest   wall time of one `paw-agent attest` process (challenge, quote,
#            FIDO2 assertion, evidence, verdict) next to one `tpm2_quote`
#            process on the same swtpm (an AK from a context file, the same
#            PCR banks 0-23): medians of BENCH_N runs each, alternating, and
#            the ratio. Also the TLS connections one attest opens to the
#            verifier (strace, when installed): 1 = challenge and evidence
#            share one handshake.
#   daemon   `paw-agent run` driven round after round by SIGUSR1: VmRSS and
#            RssAnon (/proc/PID/status) after round 10 and round BENCH_ROUNDS.
#
#   tools/bench/tpm-bench/agent-bench.sh [attest|daemon|all]     (default all)
# Environment: PAW_BUILD_DIR (default ./build), BENCH_N (30), BENCH_ROUNDS (100),
# BENCH_BASELINE (another paw-agent binary, e.g. built from an older commit:
# measured the same way in the same run, for before/after figures).
# The verifier's state goes to /dev/shm when there is one: the bench measures
# the agent, not a disk.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
export PAW_SOURCE_DIR=${PAW_SOURCE_DIR:-$(cd "$here/../../.." && pwd)}
[ -d /dev/shm ] && [ -w /dev/shm ] && export TMPDIR=${TMPDIR:-/dev/shm}
# shellcheck source=../../../tests/e2e/lib.sh
source "$PAW_SOURCE_DIR/tests/e2e/lib.sh"
what=${1:-all}
N=${BENCH_N:-30}
ROUNDS=${BENCH_ROUNDS:-100}
command -v tpm2_quote >/dev/null || { echo "agent-bench needs tpm2-tools" >&2; exit 1; }

paw_setup
paw_start_swtpm
paw_verifier_init
# No per-device rate limit in the way of many rounds in a few seconds.
paw_verifier_start 0 --rate-per-address 100000 --rate-per-device 100000
paw_demo_policy 600
paw_agent_config 300
paw_enroll agent-bench
agent attest >/dev/null 2>"$WORK/agent.log" || die "the first attest failed: $(cat "$WORK/agent.log")"

now_ns() { date +%s%N; }
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

bench_attest() {
  # An AK for tpm2_quote as tpm2-tools users keep it: a context file (not timed).
  local d=$WORK/tools T="--tcti=$SWTPM_TCTI" i t0 spec
  mkdir -p "$d"
  tpm2_createek "$T" -G rsa -c "$d/ek.ctx" >/dev/null
  tpm2_createak "$T" -C "$d/ek.ctx" -c "$d/ak.ctx" -G ecc -g sha256 -s ecdsa >/dev/null
  tpm2_flushcontext "$T" -t
  spec=sha1:0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23
  spec=$spec+sha256:0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23
  local nonce; nonce=$(openssl rand -hex 32)
  : >"$WORK/attest.ms"; : >"$WORK/quote.ms"; : >"$WORK/baseline.ms"
  for i in $(seq 1 "$N"); do
    t0=$(now_ns)
    agent attest >/dev/null 2>>"$WORK/agent.log" || die "paw-agent attest failed: $(tail -3 "$WORK/agent.log")"
    echo $(( ($(now_ns) - t0) / 1000 )) >>"$WORK/attest.ms"
    if [ -n "${BENCH_BASELINE:-}" ]; then
      t0=$(now_ns)
      "$BENCH_BASELINE" attest --config "$WORK/agent.conf" >/dev/null 2>>"$WORK/agent.log" ||
        die "the baseline paw-agent attest failed: $(tail -3 "$WORK/agent.log")"
      echo $(( ($(now_ns) - t0) / 1000 )) >>"$WORK/baseline.ms"
    fi
    t0=$(now_ns)
    tpm2_quote "$T" -c "$d/ak.ctx" -l "$spec" -q "$nonce" -m "$d/msg" -s "$d/sig" -o "$d/pcrs" -g sha256 \
      >/dev/null || die "tpm2_quote failed"
    echo $(( ($(now_ns) - t0) / 1000 )) >>"$WORK/quote.ms"
    tpm2_flushcontext "$T" -t  # swtpm has no resource manager: drop what tpm2_quote left (not timed)
  done
  local a q
  a=$(median <"$WORK/attest.ms"); q=$(median <"$WORK/quote.ms")
  printf 'agent-bench: %d runs each on %s (median wall time)\n' "$N" "$SWTPM_TCTI"
  awk -v a="$a" -v q="$q" 'BEGIN {
    printf "  paw-agent attest   %8.1f ms\n  tpm2_quote         %8.1f ms\n  ratio attest / tpm2_quote: %.2fx (target <= 1.5x)\n",
      a / 1000, q / 1000, a / q }'
  if [ -n "${BENCH_BASELINE:-}" ]; then
    awk -v b="$(median <"$WORK/baseline.ms")" -v q="$q" 'BEGIN {
      printf "  baseline attest    %8.1f ms   ratio baseline / tpm2_quote: %.2fx\n", b / 1000, b / q }'
  fi
  if command -v strace >/dev/null; then
    strace -f -qq -e trace=connect -o "$WORK/connect.trace" "$PAW_AGENT_BIN" attest --config "$WORK/agent.conf" \
      >/dev/null 2>>"$WORK/agent.log" || die "paw-agent attest under strace failed"
    local conns; conns=$(grep -c "htons($VERIFIER_PORT)" "$WORK/connect.trace" || true)
    printf '  TLS connections to the verifier per attest: %s\n' "$conns"
  fi
}

rss_of() { awk -v k="$2:" '$1 == k {print $2}' "/proc/$1/status"; }

# daemon_rss BINARY LABEL: BENCH_ROUNDS rounds of BINARY run, driven by SIGUSR1.
daemon_rss() {
  local bin=$1 label=$2 log=$WORK/daemon-$2.log pid round=0 r10="" a10="" done_rounds
  "$bin" run --config "$WORK/agent.conf" 2>"$log" &
  pid=$!
  paw_track "$pid"
  while [ "$round" -lt "$ROUNDS" ]; do
    # wait for the round to be logged, then ask for the next one
    wait_for 30 bash -c '[ "$(grep -c "^paw-agent: attest" "$1")" -ge "$2" ]' _ "$log" $((round + 1)) ||
      die "round $((round + 1)) did not finish: $(tail -3 "$log")"
    round=$((round + 1))
    if [ "$round" = 10 ]; then r10=$(rss_of "$pid" VmRSS); a10=$(rss_of "$pid" RssAnon); fi
    [ "$round" -lt "$ROUNDS" ] && kill -USR1 "$pid"
  done
  done_rounds=$(grep -c '^paw-agent: attest: healthy' "$log" || true)
  [ "$done_rounds" = "$ROUNDS" ] || die "only $done_rounds of $ROUNDS rounds were healthy: $(grep 'attest' "$log" | tail -3)"
  printf 'agent-bench: %s run, %d rounds (SIGUSR1), all healthy\n' "$label" "$ROUNDS"
  printf '  after round 10:  VmRSS %6s kB  RssAnon %6s kB\n' "$r10" "$a10"
  local r100 a100
  r100=$(rss_of "$pid" VmRSS); a100=$(rss_of "$pid" RssAnon)
  printf '  after round %-3d: VmRSS %6s kB  RssAnon %6s kB\n' "$ROUNDS" "$r100" "$a100"
  printf '  growth from round 10: VmRSS %+d kB, RssAnon %+d kB (target: VmRSS <= 10240 kB, no growth)\n' \
    $((r100 - r10)) $((a100 - a10))
  paw_kill "$pid"
}

bench_daemon() {
  sed -i 's/^interval = .*/interval = 3600/' "$WORK/agent.conf"
  daemon_rss "$PAW_AGENT_BIN" paw-agent
  if [ -n "${BENCH_BASELINE:-}" ]; then daemon_rss "$BENCH_BASELINE" baseline; fi
}

case $what in
  attest) bench_attest ;;
  daemon) bench_daemon ;;
  all) bench_attest; bench_daemon ;;
  *) echo "usage: agent-bench.sh [attest|daemon|all]" >&2; exit 64 ;;
esac
