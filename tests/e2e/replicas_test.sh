#!/usr/bin/env bash
# Two verifier replicas behind nginx on one PostgreSQL database: nothing
# acknowledged is lost when a replica dies.
#
# A real PostgreSQL server (tests/support/postgres.sh), `paw-verifier init`
# once against it (signing keys, policies, credentials live in the database;
# the state folder holds only the TLS certificate and key, copied to the second
# replica), two `paw-verifier run` replicas on fixed ports, nginx terminating
# TLS with the same certificate and balancing over an upstream of both. Two
# workstations (swtpm + software FIDO2 key each) enroll and attest through
# nginx in loops (a challenge and its attestation often land on different
# replicas); replica 1 is killed with SIGKILL mid-run, the second workstation
# enrolls while it is down, replica 1 is restarted and serves again. Then:
# every acknowledged enrollment and attestation (counted client-side, exit 0 of
# paw-agent) is in the database's events table, both devices are enrolled and
# healthy, and when both go stale each stale alert fires exactly once although
# both replicas' fleet watchers run every second.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib.sh
source "$here/lib.sh"
# shellcheck source=../support/postgres.sh
source "$PAW_SOURCE_DIR/tests/support/postgres.sh"
command -v nginx >/dev/null || { echo "nginx is not installed (installer/install-deps.sh installs nginx-light)" >&2; exit 1; }
started=$SECONDS

paw_setup
trap 'rc=$?; set +e; for p in "${PAW_PIDS[@]}"; do paw_kill "$p"; done; PAW_PIDS=(); pg_stop; (exit $rc); paw_cleanup' EXIT
pg_start || die "PostgreSQL did not start"
echo "postgresql on 127.0.0.1:$PG_PORT"
paw_start_swtpm

# --- init once; the second replica gets a copy of the TLS files only
"$PAW_VERIFIER_BIN" init --state "$WORK/verifier" --database "$PG_URL" >"$WORK/verifier-init.out" 2>"$WORK/verifier-init.log" ||
  die "paw-verifier init failed: $(cat "$WORK/verifier-init.log")"
(umask 077; sed -n 's/^admin credential: //p' "$WORK/verifier-init.out" >"$WORK/admin.cred")
[ -s "$WORK/admin.cred" ] || die "init printed no admin credential"
[ ! -e "$WORK/verifier/paw.db" ] || die "init with a postgresql:// database still wrote a SQLite file"
mkdir -p "$WORK/verifier-2/tls" && chmod 700 "$WORK/verifier-2" "$WORK/verifier-2/tls"
cp -p "$WORK/verifier/tls/cert.pem" "$WORK/verifier/tls/key.pem" "$WORK/verifier-2/tls/"
VERIFIER_CA=$WORK/verifier/tls/cert.pem

port1=$(paw_free_port)
port2=$(paw_free_port)
while [ "$port2" = "$port1" ]; do port2=$(paw_free_port); done
declare -A RPID
start_replica() {  # start_replica N STATE PORT
  local n=$1 state=$2 port=$3 i
  : >"$WORK/replica$n.out"
  "$PAW_VERIFIER_BIN" run --state "$state" --database "$PG_URL" --listen "127.0.0.1:$port" \
    --ek-ca-dir "$SWTPM_CA_DIR" --rp-id paw.test --monitor-interval 1 \
    --rate-per-address 100000 >"$WORK/replica$n.out" 2>>"$WORK/replica$n.log" &
  RPID[$n]=$!
  paw_track "${RPID[$n]}"
  for i in $(seq 1 200); do
    grep -q '^listening on ' "$WORK/replica$n.out" && return 0
    kill -0 "${RPID[$n]}" 2>/dev/null || die "replica $n exited at start"
    sleep 0.05
  done
  die "replica $n did not start"
}
start_replica 1 "$WORK/verifier" "$port1"
start_replica 2 "$WORK/verifier-2" "$port2"
echo "replicas on :$port1 (pid ${RPID[1]}) and :$port2 (pid ${RPID[2]}), both migrated the same database"

# --- nginx: TLS with the verifier's certificate, upstream of both replicas
ngx=$WORK/nginx
mkdir -p "$ngx/tmp"
front=$(paw_free_port)
user_line=""
[ "$(id -u)" -eq 0 ] && user_line="user root;"
sed -e "s|@PORT1@|$port1|" -e "s|@PORT2@|$port2|" -e "s|@FRONT@|$front|" -e "s|@CERT@|$VERIFIER_CA|" \
  -e "s|@KEY@|$WORK/verifier/tls/key.pem|" -e "s|@PREFIX@|$ngx|g" -e "s|@USER@|$user_line|" \
  "$PAW_SOURCE_DIR/docs/nginx-replicas.conf" >"$ngx/nginx.conf"
nginx -t -p "$ngx" -c "$ngx/nginx.conf" >"$WORK/nginx-t.log" 2>&1 || die "nginx -t: $(cat "$WORK/nginx-t.log")"
nginx -p "$ngx" -c "$ngx/nginx.conf" -g 'daemon off;' 2>>"$WORK/nginx.log" &
paw_track $!
VERIFIER_URL=https://localhost:$front
export VERIFIER_URL VERIFIER_CA
wait_for 10 curl -sf --cacert "$VERIFIER_CA" "$VERIFIER_URL/healthz" || die "nginx did not start"
paw_demo_policy 600

# --- workstation A enrolls through nginx
paw_agent_config 300
paw_enroll ws-a
acked_enroll=1
cp "$WORK/agent.conf" "$WORK/agent-a.conf"
# workstation B: own TPM (same manufacturer CA), own FIDO2 key and state
mkdir -p "$WORK/tpm-b"
cp -a "$WORK/tpm/ca" "$WORK/tpm-b/ca"
swtpm_start "$WORK/tpm-b" || die "second swtpm did not start"
paw_track "$SWTPM_PID"
sed -e "s|^tcti = .*|tcti = $SWTPM_TCTI|" -e "s|fido.state|fido-b.state|" -e "s|/agent$|/agent-b|" \
  -e "s|/run/token|/run/token-b|" "$WORK/agent-a.conf" >"$WORK/agent-b.conf"

# attest_loop NAME CONF: attest until $WORK/stop exists; one line per try in $WORK/acks-NAME
attest_loop() {
  while [ ! -e "$WORK/stop" ]; do
    if "$PAW_AGENT_BIN" attest --config "$2" >/dev/null 2>>"$WORK/agent-$1.log"; then echo ok >>"$WORK/acks-$1"
    else echo fail >>"$WORK/acks-$1"; sleep 0.2; fi
  done
}
attest_loop a "$WORK/agent-a.conf" &
loop_a=$!
sleep 4

echo "kill -9 replica 1 (pid ${RPID[1]})"
kill -KILL "${RPID[1]}"
t_kill=$(date +%s)
# B enrolls while replica 1 is dead (nginx must route around it)
tok=$(pawctl_admin token create --ttl 10m --label ws-b --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])') ||
  die "token create with a replica down failed"
expect_rc 0 "$PAW_AGENT_BIN" enroll --token "$tok" --config "$WORK/agent-b.conf"
acked_enroll=$((acked_enroll + 1))
attest_loop b "$WORK/agent-b.conf" &
loop_b=$!
sleep 2
start_replica 1 "$WORK/verifier" "$port1"
echo "replica 1 restarted (pid ${RPID[1]}) after $(($(date +%s) - t_kill)) s"
lines_before=$(wc -l <"$ngx/access.log")
sleep 5
touch "$WORK/stop"
wait "$loop_a" "$loop_b"

# --- what the clients saw as acknowledged vs what the database holds
dev_a=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["device_id"])' "$WORK/agent/enrollment.json")
dev_b=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["device_id"])' "$WORK/agent-b/enrollment.json")
ack_a=$(grep -c '^ok$' "$WORK/acks-a" || true)
ack_b=$(grep -c '^ok$' "$WORK/acks-b" || true)
fail_a=$(grep -c '^fail$' "$WORK/acks-a" || true)
fail_b=$(grep -c '^fail$' "$WORK/acks-b" || true)
echo "acknowledged: A $ack_a attestations ($fail_a refused/failed), B $ack_b ($fail_b), $acked_enroll enrollments"
[ "$ack_a" -ge 3 ] && [ "$ack_b" -ge 2 ] || die "too few acknowledged attestations (A $ack_a, B $ack_b)"
db_count() { pg_psql paw -tA -c "$1"; }
db_a=$(db_count "SELECT count(*) FROM events WHERE type = 'attestation' AND device_id = '$dev_a'")
db_b=$(db_count "SELECT count(*) FROM events WHERE type = 'attestation' AND device_id = '$dev_b'")
db_enroll=$(db_count "SELECT count(*) FROM events WHERE type = 'enrollment'")
echo "in the database: A $db_a attestation events, B $db_b, $db_enroll enrollment events"
[ "$db_a" -ge "$ack_a" ] || die "acknowledged attestations of A lost: $ack_a acknowledged, $db_a recorded"
[ "$db_b" -ge "$ack_b" ] || die "acknowledged attestations of B lost: $ack_b acknowledged, $db_b recorded"
[ "$db_enroll" = "$acked_enroll" ] || die "enrollments: $acked_enroll acknowledged, $db_enroll recorded"
# at most the one in flight at the kill can be recorded but unacknowledged
[ $((db_a + db_b - ack_a - ack_b)) -le 2 ] || die "more recorded than acknowledged + in flight: $db_a+$db_b vs $ack_a+$ack_b"
# nonces: every acknowledged attestation used its nonce, recorded once (the primary key refuses a 2nd use)
used=$(db_count "SELECT count(*) FROM used_nonces WHERE device_id IN ('$dev_a', '$dev_b')")
[ "$used" -ge $((ack_a + ack_b)) ] || die "fewer used nonces ($used) than acknowledged attestations"
pawctl_admin devices list --json >"$WORK/devices.json"
python3 - "$WORK/devices.json" "$dev_a" "$dev_b" <<'PY' || die "device list through nginx: $(cat "$WORK/devices.json")"
import json, sys
d = {x["device_id"]: x for x in json.load(open(sys.argv[1]))["devices"]}
assert set(d) == {sys.argv[2], sys.argv[3]}, d.keys()
for k in (sys.argv[2], sys.argv[3]):
    assert d[k]["status"] == "enrolled" and d[k]["last_verdict"] == "healthy", d[k]
PY
echo "ok: no acknowledged enrollment or attestation lost; both devices enrolled and healthy"
# both replicas served after the restart (nginx log: upstream address per request)
tail -n +"$((lines_before + 1))" "$ngx/access.log" >"$WORK/after-restart.log"
grep -q "127.0.0.1:$port1" "$WORK/after-restart.log" || die "restarted replica 1 served nothing"
grep -q "127.0.0.1:$port2" "$WORK/after-restart.log" || die "replica 2 served nothing after the restart"
echo "ok: both replicas served after the restart"

# --- stale alerts: both watchers run every second, each device goes stale once
sed -e 's/"max_attestation_age_seconds": 3600/"max_attestation_age_seconds": 10/' "$WORK/policy-demo.json" >"$WORK/policy-stale.json"
pawctl_admin policy set default "$WORK/policy-stale.json" >/dev/null 2>>"$WORK/pawctl.log" || die "policy set failed"
stale_both() { [ "$(db_count "SELECT count(DISTINCT device_id) FROM events WHERE type = 'stale'")" = 2 ]; }
wait_for 20 stale_both || die "devices did not go stale"
sleep 2.5
stale=$(db_count "SELECT count(*) FROM events WHERE type = 'stale'")
[ "$stale" = 2 ] || die "stale alerts fired $stale times for 2 devices (double-fire across replicas)"
echo "ok: each stale alert fired once with two fleet watchers"
echo "replicas_test: ok ($((SECONDS - started)) s)"
