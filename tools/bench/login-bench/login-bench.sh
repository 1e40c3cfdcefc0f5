#!/usr/bin/env bash
# login-bench.sh — how fast is a login? Starts nginx (Debian package) and
# paw-verifier on this machine, enrolls one device (swtpm + the real agent,
# as tests/e2e do), then runs Debian `wrk` against:
#   nginx-static   nginx `return 204` over TLS 1.3 (the yardstick)
#   authz-same     GET /v1/authz, the same result token every request
#   authz-new      GET /v1/authz, a new token every request (pre-signed with
#                  the verifier's key by paw-login-bench-mint)
#   health         GET /v1/devices/ID/health (relying-party credential)
#   auth_request   nginx guarded by docs/nginx-auth-request*.conf as shipped
# and `openssl speed ecdsap256` (verify/s) on the verifier's core. Each figure
# is printed with req/s, p50/p99, non-2xx answers and its ratio to nginx
# static (authz-new also to the ES256 verify rate). Same TLS certificate
# (the verifier's P-256 one) on every server.
#
# Pinning: with 2+ CPUs the servers (verifier, nginx) run on CPU 0 and wrk on
# CPU 1; one at a time, so each figure is one core's worth.
#
#   tools/bench/login-bench/login-bench.sh        # or: cmake --build build --target login-bench
# Environment: PAW_BUILD_DIR (default ./build), BENCH_SECONDS (5), BENCH_ROUNDS
# (3: each figure is the median of this many alternating rounds),
# BENCH_CONNECTIONS (64), BENCH_THREADS (wrk threads, 2), BENCH_TOKENS (70000 a round),
# BENCH_DEVICES (extra devices in the database for a second authz round, 10000;
# 0 = skip), BENCH_VERIFIER_THREADS (--threads, 16), BENCH_UPSTREAM_KEEPALIVE
# (the `keepalive` of nginx's upstream block for the verifier, 64: at least
# the number of logins in flight, or nginx opens a new TLS connection for
# each one over it).
# BENCH_ONLY ("authz-same health": only these targets; the static yardstick
# always runs), BENCH_PERF (a directory: `perf record -g` of the serving
# processes during each target, one perf-NAME.data file each), BENCH_STRACE (a
# directory: `strace -c -f` of them, system calls per target, strace-NAME.txt).
# Also: `pawctl token verify` over the minted tokens (one process, --jwks
# FILE) — a relying party's offline check — in microseconds per token.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
export PAW_SOURCE_DIR=${PAW_SOURCE_DIR:-$(cd "$here/../../.." && pwd)}
# The state (SQLite) on tmpfs when there is one: the bench measures CPU, not a disk.
[ -d /dev/shm ] && [ -w /dev/shm ] && export TMPDIR=${TMPDIR:-/dev/shm}
# shellcheck source=../../../tests/e2e/lib.sh
source "$PAW_SOURCE_DIR/tests/e2e/lib.sh"
# BENCH_VERIFIER: another paw-verifier binary (same database schema) to
# measure instead of this build's, e.g. the one before a change.
[ -z "${BENCH_VERIFIER:-}" ] || PAW_VERIFIER_BIN=$BENCH_VERIFIER
for t in wrk nginx openssl taskset; do
  command -v $t >/dev/null || { echo "login-bench needs $t (apt-get install wrk nginx-light openssl util-linux)" >&2; exit 1; }
done
MINT=$PAW_BUILD_DIR/tools/bench/login-bench/paw-login-bench-mint
[ -x "$MINT" ] || { echo "missing $MINT: build the login-bench target" >&2; exit 1; }
SECS=${BENCH_SECONDS:-5}
ROUNDS=${BENCH_ROUNDS:-3}
CONNS=${BENCH_CONNECTIONS:-64}
WRK_THREADS=${BENCH_THREADS:-2}
NTOKENS=${BENCH_TOKENS:-70000}
NDEVICES=${BENCH_DEVICES:-10000}
VTHREADS=${BENCH_VERIFIER_THREADS:-16}
UPSTREAM_KEEPALIVE=${BENCH_UPSTREAM_KEEPALIVE:-64}
if [ "$(nproc)" -ge 2 ]; then SRV_CPU=0; CLI_CPU=1; else SRV_CPU=0; CLI_CPU=0; fi
# Started in the background with taskset directly (not through a shell
# function), so $! is the server's own pid and lib.sh's cleanup stops it.
cli() { taskset -c "$CLI_CPU" "$@"; }
paw_setup

# --- verifier, enrolled device, a healthy token, a relying-party credential
paw_start_swtpm
paw_verifier_init
paw_verifier_start 0  # only to enroll (unpinned, default limits); restarted pinned below
paw_demo_policy 3600
paw_agent_config 300
paw_enroll login-bench
expect_rc 0 agent attest
cp "$WORK/run/token" "$WORK/token"
token=$(cat "$WORK/token")
pawctl_admin rp-credential create --label bench --json >"$WORK/rp.json"
rp=$(json_get "$WORK/rp.json" credential)
paw_verifier_stop
"$MINT" tokens --database "sqlite:$WORK/verifier/paw.db" --token "$WORK/token" --count "$((NTOKENS * ROUNDS))" --ttl 3600 \
  >"$WORK/tokens.txt"
# Lifted limits: wrk is one client address doing the work of thousands.
vstart() {
  : >"$WORK/verifier.out"
  taskset -c "$SRV_CPU" "$PAW_VERIFIER_BIN" run --state "$WORK/verifier" --listen 127.0.0.1:0 --ek-ca-dir "$SWTPM_CA_DIR" \
    --rp-id paw.test --threads "$VTHREADS" --rate-per-address 1000000 --max-connections-per-address 4096 \
    --trusted-proxy 127.0.0.1 >"$WORK/verifier.out" 2>>"$WORK/verifier.log" &
  VERIFIER_PID=$!
  paw_track "$VERIFIER_PID"
  local i
  for i in $(seq 1 200); do grep -q '^listening on ' "$WORK/verifier.out" && break; sleep 0.05; done
  VERIFIER_PORT=$(sed -n 's/^listening on .*://p' "$WORK/verifier.out")
  [ -n "$VERIFIER_PORT" ] || die "paw-verifier did not start"
  VERIFIER_URL=https://localhost:$VERIFIER_PORT
}
vstart

# --- nginx: static 204, the auth_request front, all TLS 1.3 with the verifier's certificate
ngx=$WORK/nginx
mkdir -p "$ngx/paw" "$ngx/tmp"
cp "$VERIFIER_CA" "$ngx/paw/verifier-ca.pem"
static=$(paw_free_port)
front=$(paw_free_port)
while [ "$front" = "$static" ]; do front=$(paw_free_port); done
write_nginx_conf() {
  cat >"$ngx/nginx.conf" <<CONF
worker_processes 1;
pid $ngx/nginx.pid;
error_log $ngx/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $ngx/tmp/body;
  proxy_temp_path $ngx/tmp/proxy;
  fastcgi_temp_path $ngx/tmp/fastcgi;
  uwsgi_temp_path $ngx/tmp/uwsgi;
  scgi_temp_path $ngx/tmp/scgi;
  ssl_certificate $WORK/verifier/tls/cert.pem;
  ssl_certificate_key $WORK/verifier/tls/key.pem;
  ssl_protocols TLSv1.3;
  keepalive_requests 1000000;
  upstream paw_verifier { server 127.0.0.1:$VERIFIER_PORT; keepalive $UPSTREAM_KEEPALIVE; }
  map "" \$paw_verifier_name { default localhost; }
  server {
    listen 127.0.0.1:$static ssl;
    location / { return 204; }
  }
  server {
    listen 127.0.0.1:$front ssl;
    include $PAW_SOURCE_DIR/docs/nginx-auth-request.conf;
    location / {
      include $PAW_SOURCE_DIR/docs/nginx-auth-request-location.conf;
      # A content handler with no file and no upstream (a 200 of ~100 bytes):
      # what is measured is the auth_request round trip, not an application.
      stub_status;
    }
  }
}
CONF
}
write_nginx_conf
nginx -t -p "$ngx" -c "$ngx/nginx.conf" >"$WORK/nginx-t.log" 2>&1 || die "nginx -t: $(cat "$WORK/nginx-t.log")"
taskset -c "$SRV_CPU" nginx -p "$ngx" -c "$ngx/nginx.conf" -g 'daemon off;' 2>>"$WORK/nginx.log" &
NGINX_PID=$!
paw_track "$NGINX_PID"
wait_for 10 curl -sk -o /dev/null "https://127.0.0.1:$static/" || die "nginx did not start"

# Sanity: each target answers 2xx once before it is measured.
code() { curl -sk -o /dev/null -w '%{http_code}' "$@"; }
[ "$(code -H "Authorization: Bearer $token" "$VERIFIER_URL/v1/authz")" = 204 ] || die "authz refused the token"
[ "$(code -H "Authorization: Bearer $(sed -n 7p "$WORK/tokens.txt")" "$VERIFIER_URL/v1/authz")" = 204 ] ||
  die "authz refused a minted token"
c=$(code -H "Authorization: Bearer $token" "https://127.0.0.1:$front/")
[ "$c" = 200 ] || die "auth_request answered $c: $(tail -5 "$ngx/error.log")"

# --- wrk scripts: fixed headers; a new token every request; a summary line
cat >"$WORK/report.lua" <<'LUA'
threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args) bad = 0 end
function response(status, headers, body) if status < 200 or status > 299 then bad = bad + 1 end end
function done(summary, latency, requests)
  local b = 0
  for _, t in ipairs(threads) do b = b + (t:get("bad") or 0) end
  io.write(string.format("RESULT %.1f %.3f %.3f %d %d %d\n", summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, b, summary.errors.connect +
    summary.errors.read + summary.errors.write + summary.errors.timeout, summary.requests))
end
LUA
cat >"$WORK/fixed.lua" <<LUA
dofile("$WORK/report.lua")
local auth = os.getenv("BENCH_AUTH")
if auth and auth ~= "" then wrk.headers["Authorization"] = auth end
LUA
cat >"$WORK/newtoken.lua" <<LUA
dofile("$WORK/report.lua")
local n = 0
local id = 0
local tokens = {}
for line in io.lines("$WORK/tokens.txt") do tokens[#tokens + 1] = line end
-- Each round walks its own BENCH_TOKENS of the list: no token of an earlier
-- round (still in the verifier's cache) comes again.
local offset = tonumber(os.getenv("BENCH_TOKEN_OFFSET") or "0")
local counter = 0
function setup(thread)
  counter = counter + 1
  thread:set("id", counter)
  table.insert(threads, thread)
end
function init(args) bad = 0; n = (id or 0) end
function request()
  -- Each wrk thread walks its own stride of the list, so no token repeats
  -- within a run of fewer than BENCH_TOKENS requests.
  n = n + 1
  local t = tokens[offset + ((n * $WRK_THREADS + (id or 0)) % $NTOKENS) + 1]
  return wrk.format("GET", nil, {["Authorization"] = "Bearer " .. t})
end
LUA

# Server CPU per request (utime + stime of the serving processes from
# /proc, over the run): unlike req/s it does not move when other processes
# share the core, so its ratios are the ones to compare between runs.
NGINX_WORKER=$(cat "/proc/$NGINX_PID/task/$NGINX_PID/children")
TCK=$(getconf CLK_TCK)
ticks() {
  local t=0 p f
  for p in "$@"; do
    read -r -a f <"/proc/$p/stat"
    t=$((t + f[13] + f[14]))
  done
  echo "$t"
}
declare -A RPS P50 P99 BAD CPU TOTAL
# Each figure is the median over BENCH_ROUNDS alternating rounds (the values
# of every round are kept in the *_ALL arrays); non-2xx answers are summed.
declare -A RPS_ALL P50_ALL P99_ALL CPU_ALL
median() { tr ' ' '\n' <<<"$1" | sed '/^$/d' | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2) }'; }
run() {  # run NAME URL LUA [AUTH]
  local name=$1 url=$2 lua=$3 out pids t0 t1
  case $name in
    static) pids=($NGINX_WORKER) ;;
    auth_request) pids=($NGINX_WORKER "$VERIFIER_PID") ;;
    *) pids=("$VERIFIER_PID") ;;
  esac
  local perf_pid=
  if [ -n "${BENCH_PERF:-}" ]; then
    mkdir -p "$BENCH_PERF"
    perf record -q -g -o "$BENCH_PERF/perf-$name.data" -p "$(IFS=,; echo "${pids[*]}")" -- sleep "$SECS" \
      >/dev/null 2>&1 &
    perf_pid=$!
  fi
  local strace_pid=
  if [ -n "${BENCH_STRACE:-}" ]; then
    mkdir -p "$BENCH_STRACE"
    timeout -s INT "$SECS" strace -c -f -o "$BENCH_STRACE/strace-$name.txt" $(printf -- '-p %s ' "${pids[@]}") \
      >/dev/null 2>&1 &
    strace_pid=$!
  fi
  t0=$(ticks "${pids[@]}")
  out=$(BENCH_AUTH=${4:-} BENCH_TOKEN_OFFSET=$(((ROUND - 1) * NTOKENS)) cli wrk -t"$WRK_THREADS" -c"$CONNS" -d"${SECS}s" --latency -s "$lua" "$url" 2>&1) ||
    die "wrk $name failed: $out"
  t1=$(ticks "${pids[@]}")
  [ -z "$perf_pid" ] || wait "$perf_pid" || true
  [ -z "$strace_pid" ] || wait "$strace_pid" || true
  local line cpu
  line=$(grep '^RESULT ' <<<"$out") || die "wrk $name printed no result: $out"
  read -r _ rps p50 p99 bad errs total <<<"$line"
  cpu=$(awk -v d=$((t1 - t0)) -v k="$TCK" -v n="$total" 'BEGIN { printf "%.1f", (n > 0 ? d / k * 1e6 / n : 0) }')
  RPS_ALL[$name]+=" $rps"; P50_ALL[$name]+=" $p50"; P99_ALL[$name]+=" $p99"; CPU_ALL[$name]+=" $cpu"
  BAD[$name]=$(( ${BAD[$name]:-0} + bad + errs ))
  [ "$total" -le "${TOTAL[$name]:-0}" ] || TOTAL[$name]=$total  # the most requests of one round
  RPS[$name]=$(median "${RPS_ALL[$name]}"); P50[$name]=$(median "${P50_ALL[$name]}")
  P99[$name]=$(median "${P99_ALL[$name]}"); CPU[$name]=$(median "${CPU_ALL[$name]}")
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'; }

ossl=$(taskset -c "$SRV_CPU" openssl speed -seconds 3 ecdsap256 2>/dev/null | awk '/256 bits ecdsa \(nistp256\)/ { print $NF }')
[ -n "$ossl" ] || die "openssl speed printed no ecdsap256 verify rate"

hq="/v1/devices/$DEVICE_ID/health"
wanted() { [ -z "${BENCH_ONLY:-}" ] || [[ " $BENCH_ONLY " == *" $1 "* ]]; }
rounds() {  # rounds LABEL: every figure BENCH_ROUNDS times, alternating
  local ROUND
  RPS=(); P50=(); P99=(); BAD=(); CPU=(); TOTAL=(); RPS_ALL=(); P50_ALL=(); P99_ALL=(); CPU_ALL=()
  for ROUND in $(seq 1 "$ROUNDS"); do
    run static "https://127.0.0.1:$static/" "$WORK/fixed.lua"
    ! wanted authz-same || run authz-same "$VERIFIER_URL/v1/authz" "$WORK/fixed.lua" "Bearer $token"
    ! wanted authz-new || run authz-new "$VERIFIER_URL/v1/authz" "$WORK/newtoken.lua"
    ! wanted health || run health "$VERIFIER_URL$hq" "$WORK/fixed.lua" "Bearer $rp"
    ! wanted auth_request || run auth_request "https://127.0.0.1:$front/" "$WORK/fixed.lua" "Bearer $token"
  done
  printf '\n%s (medians of %s alternating rounds; wrk -t%s -c%s -d%ss, servers on CPU %s, wrk on CPU %s, verifier --threads %s, upstream keepalive %s)\n' \
    "$1" "$ROUNDS" "$WRK_THREADS" "$CONNS" "$SECS" "$SRV_CPU" "$CLI_CPU" "$VTHREADS" "$UPSTREAM_KEEPALIVE"
  printf '%-14s %10s %9s %9s %8s %9s %11s %9s\n' target req/s p50-ms p99-ms non-2xx vs-static cpu-us/req cpu-ratio
  local n
  for n in static authz-same authz-new health auth_request; do
    [ -n "${RPS[$n]:-}" ] || continue
    printf '%-14s %10.0f %9.2f %9.2f %8d %9s %11s %9s' "$n" "${RPS[$n]}" "${P50[$n]}" "${P99[$n]}" "${BAD[$n]}" \
      "$(ratio "${RPS[$n]}" "${RPS[static]}")" "${CPU[$n]}" "$(ratio "${CPU[static]}" "${CPU[$n]}")"
    if [ "$n" = authz-new ]; then
      printf '   req/s %s x ES256 verify/s, by CPU %s (openssl speed: %.0f/s)' "$(ratio "${RPS[$n]}" "$ossl")" \
        "$(awk -v c="${CPU[$n]}" -v o="$ossl" 'BEGIN { printf "%.2f", (c > 0 ? 1e6 / c / o : 0) }')" "$ossl"
      # More requests than tokens: tokens came again and hit the cache.
      [ "${TOTAL[$n]}" -le "$NTOKENS" ] ||
        printf '   NOTE: %s requests over %s tokens - repeats were cached; raise BENCH_TOKENS' "${TOTAL[$n]}" "$NTOKENS"
    fi
    printf '\n'
  done
}
rounds "1 device"

# Offline: one pawctl process checks every minted token against the JWKS.
curl -sk "$VERIFIER_URL/.well-known/jwks.json" >"$WORK/jwks.json"
# CPU time (user + sys) as well as wall time: on a shared machine the wall
# time also counts other processes on the core.
TIMEFORMAT='%R %U %S'
{ time taskset -c "$SRV_CPU" "$PAWCTL_BIN" token verify "$WORK/tokens.txt" --jwks "$WORK/jwks.json" >/dev/null 2>&1 ||
    die "pawctl token verify refused a minted token"; } 2>"$WORK/offline.time"
read -r wall usr sys <"$WORK/offline.time"
awk -v w="$wall" -v c="$(awk -v u="$usr" -v s="$sys" 'BEGIN { print u + s }')" -v n="$(wc -l <"$WORK/tokens.txt")" -v o="$ossl" 'BEGIN {
  printf "offline        pawctl token verify: %d tokens, %.1f us CPU/token (%.0f/s: %.2f x ES256 verify), %.1f us wall/token\n",
    n, c * 1e6 / n, n / c, (n / c) / o, w * 1e6 / n }'

if [ "$NDEVICES" -gt 0 ]; then
  "$MINT" devices --database "sqlite:$WORK/verifier/paw.db" --like "$DEVICE_ID" --count "$NDEVICES" ||
    die "could not add $NDEVICES devices"
  rounds "$((NDEVICES + 1)) devices"
fi
