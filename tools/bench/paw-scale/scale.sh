#!/usr/bin/env bash
# scale.sh — the figures of docs/scale-out.md on this machine:
# a private PostgreSQL (fsync on), paw-verifier replicas behind nginx
# (docs/nginx-replicas.conf), paw-bench for attestations, paw-scale for
# health queries and for seeding 100,000 devices through the Store API.
#
#   PAW_BUILD_DIR=build bash tools/bench/paw-scale/scale.sh [SECONDS] [THREADS]
#   (PAW_MONITOR_INTERVAL=S sets the replicas' --monitor-interval, default 30)
set -euo pipefail
SECS=${1:-10}
THREADS=${2:-8}
PAW_SOURCE_DIR=${PAW_SOURCE_DIR:-$(cd "$(dirname "$0")/../../.." && pwd)}
B=${PAW_BUILD_DIR:-$PAW_SOURCE_DIR/build}
case $B in /*) ;; *) B=$PAW_SOURCE_DIR/$B ;; esac
source "$PAW_SOURCE_DIR/tests/support/postgres.sh"
W=$(mktemp -d /tmp/paw-scale.XXXXXX)
PIDS=()
cleanup() { local rc=$?; set +e; for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done; pg_stop; rm -rf "$W"; exit $rc; }
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }

PG_FSYNC=on PG_SHARED_BUFFERS=1GB pg_start
"$B/tools/bench/paw-bench/paw-bench" ca --dir "$W/ek" >/dev/null
"$B/verifier/paw-verifier" init --state "$W/state" --database "$PG_URL" >"$W/init.out" 2>/dev/null
sed -n 's/^admin credential: //p' "$W/init.out" >"$W/admin.cred"
CA=$W/state/tls/cert.pem
p1=$(free_port); p2=$(free_port); front=$(free_port)
declare -A RP
replica() {  # replica N PORT
  : >"$W/r$1.out"
  "$B/verifier/paw-verifier" run --state "$W/state" --database "$PG_URL" --listen "127.0.0.1:$2" \
    --ek-ca-dir "$W/ek" --threads 16 --monitor-interval "${PAW_MONITOR_INTERVAL:-30}" --rate-per-address 1000000 --rate-per-device 1000000 >"$W/r$1.out" 2>"$W/r$1.log" &
  RP[$1]=$!
  PIDS+=("${RP[$1]}")
  for _ in $(seq 1 100); do grep -q '^listening' "$W/r$1.out" && return 0; sleep 0.05; done
  echo "replica $1 did not start" >&2; return 1
}
mkdir -p "$W/nginx/tmp"
sed -e "s|@PORT1@|$p1|" -e "s|@PORT2@|$p2|" -e "s|@FRONT@|$front|" -e "s|@CERT@|$CA|" \
  -e "s|@KEY@|$W/state/tls/key.pem|" -e "s|@PREFIX@|$W/nginx|g" -e "s|@USER@|$([ "$(id -u)" = 0 ] && echo 'user root;')|" \
  -e "s|worker_processes 1;|worker_processes 2;|" "$PAW_SOURCE_DIR/docs/nginx-replicas.conf" >"$W/nginx/nginx.conf"
nginx -p "$W/nginx" -c "$W/nginx/nginx.conf" -g 'daemon off;' 2>"$W/nginx.log" &
PIDS+=($!)
URL=https://localhost:$front
bench() { "$B/tools/bench/paw-bench/paw-bench" run --verifier "$URL" --ca-file "$CA" --credential-file "$W/admin.cred" \
  --ek-ca-dir "$W/ek" --devices 100 --threads "$THREADS" --seconds "$SECS" --crypto-seconds 1 | grep -Ei 'attestations/s|attestation|p50|FAILED' | head -4; }
health() { "$B/tools/bench/paw-scale/paw-scale" health --verifier "$URL" --ca-file "$CA" --credential "$RPC" --database "$PG_URL" \
  --threads "$THREADS" --seconds "$SECS"; }
ndev() { pg_psql paw -tA -c "SELECT count(*) FROM devices"; }

replica 1 "$p1"
sleep 0.5
RPC=$(curl -s --cacert "$CA" -H "Authorization: Bearer $(cat "$W/admin.cred")" -d '{"label":"bench"}' "$URL/v1/admin/rp-credentials" |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["credential"])')
echo "### 1 replica, $(ndev) devices before enrolling 100"
bench
echo "### 1 replica, $(ndev) devices"; health
first=$(pg_psql paw -tA -c "SELECT id FROM devices WHERE status = 'enrolled' LIMIT 1")
"$B/tools/bench/paw-scale/paw-scale" seed --database "$PG_URL" --from "$first" --devices 100000 --threads 8
pg_psql paw -c "VACUUM ANALYZE" >/dev/null
echo "### 1 replica, $(ndev) devices"; health
echo "### 1 replica, $(ndev) devices before enrolling 100"; bench
replica 2 "$p2"
sleep 3   # nginx's fail_timeout for the port that refused while replica 2 was down
echo "### 2 replicas, $(ndev) devices"; health
echo "### 2 replicas, $(ndev) devices before enrolling 100"; bench
