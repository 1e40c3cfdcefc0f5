#!/usr/bin/env bash
# lib.sh — shared by the demo and the end-to-end tests: start the real parts
# (swtpm, the software FIDO2 key, paw-verifier, paw-agent, nginx), remember
# every process started, and stop each by its pid when the script exits.
#
#   source "$(dirname "$0")/lib.sh"
#   paw_setup                 # work folder, EXIT trap, binaries from $PAW_BUILD_DIR
#   paw_start_swtpm           # SWTPM_PID, SWTPM_TCTI, SWTPM_CA_DIR
#   paw_verifier_init         # state in $WORK/verifier, admin credential in $WORK/admin.cred
#   paw_verifier_start [PORT] # VERIFIER_PID, VERIFIER_URL, VERIFIER_PORT, VERIFIER_CA
#   paw_demo_policy           # a policy for swtpm (no firmware log) that pins PCR 7
#   paw_agent_config          # $WORK/agent.conf (swtpm, virtual:$WORK/fido.state)
#   pawctl_admin ARGS...      # pawctl with --verifier/--ca-file/--credential-file
#   agent ARGS...             # paw-agent with --config $WORK/agent.conf
#   expect_rc WANT CMD...     # run CMD, fail the script unless it exits WANT
#
# Nothing is left running: paw_cleanup (the EXIT trap) kills every tracked
# pid (TERM, then KILL after 5 s) and removes the work folder.

PAW_SOURCE_DIR=${PAW_SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
PAW_BUILD_DIR=${PAW_BUILD_DIR:-$PAW_SOURCE_DIR/build}
case $PAW_BUILD_DIR in /*) ;; *) PAW_BUILD_DIR=$PAW_SOURCE_DIR/$PAW_BUILD_DIR ;; esac
PAW_AGENT_BIN=$PAW_BUILD_DIR/agent/paw-agent
PAW_VERIFIER_BIN=$PAW_BUILD_DIR/verifier/paw-verifier
PAWCTL_BIN=$PAW_BUILD_DIR/tools/pawctl/pawctl
# shellcheck source=../support/swtpm.sh
source "$PAW_SOURCE_DIR/tests/support/swtpm.sh"

PAW_PIDS=()
PAW_EXTRA_DIRS=()  # removed by paw_cleanup (e.g. a root-owned folder under /run)
PAW_QUIET=${PAW_QUIET:-0}

say() { printf '%s\n' "$*"; }
step() { printf '\n== %s\n' "$*"; }
ok() { printf '   ok: %s\n' "$*"; }
die() {
  printf 'FAIL: %s\n' "$*" >&2
  paw_dump_logs >&2
  exit 1
}

paw_dump_logs() {
  [ -n "${WORK:-}" ] || return 0
  local f
  for f in "$WORK"/*.log; do
    [ -s "$f" ] || continue
    printf -- '--- last lines of %s\n' "$(basename "$f")"
    tail -n 25 "$f"
  done
}

paw_track() { PAW_PIDS+=("$1"); }

# paw_kill PID: TERM, wait up to 5 s, then KILL; never by name.
paw_kill() {
  local pid=$1 i
  kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null; return 0; }
  kill -TERM "$pid" 2>/dev/null || true
  for i in $(seq 1 50); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null || true
}

paw_cleanup() {
  local rc=$? i
  set +e
  for ((i = ${#PAW_PIDS[@]} - 1; i >= 0; i--)); do paw_kill "${PAW_PIDS[$i]}"; done
  PAW_PIDS=()
  for i in "${PAW_EXTRA_DIRS[@]}"; do rm -rf "$i"; done  # folders a test made outside $WORK
  if [ -n "${WORK:-}" ] && [ -d "$WORK" ] && [ "${PAW_KEEP_WORK:-0}" != 1 ]; then rm -rf "$WORK"; fi
  exit $rc
}

paw_setup() {
  local b
  for b in "$PAW_AGENT_BIN" "$PAW_VERIFIER_BIN" "$PAWCTL_BIN"; do
    [ -x "$b" ] || { echo "missing $b: build first (cmake --build $PAW_BUILD_DIR)" >&2; exit 1; }
  done
  WORK=$(mktemp -d "${TMPDIR:-/tmp}/paw-e2e.XXXXXX")
  chmod 700 "$WORK"
  export WORK
  trap paw_cleanup EXIT
  trap 'exit 130' INT TERM
}

paw_free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

paw_start_swtpm() {
  swtpm_start "$WORK/tpm" || die "swtpm did not start"
  paw_track "$SWTPM_PID"
}

paw_verifier_init() {
  "$PAW_VERIFIER_BIN" init --state "$WORK/verifier" >"$WORK/verifier-init.out" 2>"$WORK/verifier-init.log" ||
    die "paw-verifier init failed"
  (umask 077; sed -n 's/^admin credential: //p' "$WORK/verifier-init.out" >"$WORK/admin.cred")
  [ -s "$WORK/admin.cred" ] || die "paw-verifier init printed no admin credential"
  VERIFIER_CA=$WORK/verifier/tls/cert.pem
}

# paw_verifier_start [PORT] [EXTRA ARGS...]: run the verifier (TLS, SQLite)
# with swtpm's CA as the trusted EK manufacturer; waits for "listening on".
paw_verifier_start() {
  local port=${1:-0}
  shift || true
  : >"$WORK/verifier.out"
  "$PAW_VERIFIER_BIN" run --state "$WORK/verifier" --listen "127.0.0.1:$port" \
    --ek-ca-dir "$SWTPM_CA_DIR" --rp-id paw.test "$@" >"$WORK/verifier.out" 2>>"$WORK/verifier.log" &
  VERIFIER_PID=$!
  paw_track "$VERIFIER_PID"
  local i
  for i in $(seq 1 200); do
    if grep -q '^listening on ' "$WORK/verifier.out"; then break; fi
    kill -0 "$VERIFIER_PID" 2>/dev/null || die "paw-verifier exited at start"
    sleep 0.05
  done
  local url
  url=$(sed -n 's/^listening on //p' "$WORK/verifier.out")
  [ -n "$url" ] || die "paw-verifier did not report its port"
  VERIFIER_PORT=${url##*:}
  VERIFIER_URL=https://localhost:$VERIFIER_PORT
  VERIFIER_CA=$WORK/verifier/tls/cert.pem
  export VERIFIER_URL VERIFIER_PORT VERIFIER_CA
}

paw_verifier_stop() {
  paw_kill "$VERIFIER_PID"
}

pawctl_admin() {
  "$PAWCTL_BIN" "$@" --verifier "$VERIFIER_URL" --ca-file "$VERIFIER_CA" --credential-file "$WORK/admin.cred"
}

# paw_demo_policy [TTL]: (PAW_TOKEN_BINDING=pop for proof-of-possession
# logins; the tests that present the token alone say "bearer", the default here)
# swtpm has no firmware, so no measured-boot log, no Secure
# Boot and (here) no dm-crypt root; this policy leaves those out and keeps
# what swtpm can prove: PCRs 0, 2, 4, 7 (sha256) pinned at the first healthy
# attestation, the FIDO2 key with user presence on every attestation. The
# software key makes its packed attestation certificate at start-up, so no
# root in --fido-ca-dir can vouch for its model: its attestation counts as
# self attestation, which the policy must allow (a real fleet imports the
# roots with `pawctl fido roots import`, docs/fido2.md).
paw_demo_policy() {
  local ttl=${1:-600}
  cat >"$WORK/policy-demo.json" <<JSON
{
  "name": "default",
  "pcrs": {"required": {"sha256": [0, 2, 4, 7]}, "pin_on_enroll": true},
  "secure_boot_required": false,
  "event_log_required": false,
  "host": {"disk_encryption_required": false},
  "fido": {"required": true, "user_presence": true, "allow_self_attestation": true},
  "token_ttl_seconds": $ttl,
  "max_attestation_age_seconds": 3600,
  "login": {"token_binding": "${PAW_TOKEN_BINDING:-bearer}"}
}
JSON
  pawctl_admin policy set default "$WORK/policy-demo.json" >"$WORK/policy-set.out" 2>>"$WORK/pawctl.log" ||
    die "pawctl policy set failed: $(cat "$WORK/pawctl.log")"
}

# paw_agent_config [INTERVAL]: the agent's config file for swtpm and the software key.
paw_agent_config() {
  mkdir -p "$WORK/agent"
  chmod 700 "$WORK/agent"
  cat >"$WORK/agent.conf" <<CONF
# written by tests/e2e/lib.sh
verifier = $VERIFIER_URL
ca-file = $VERIFIER_CA
tcti = $SWTPM_TCTI
fido-device = virtual:$WORK/fido.state
state-dir = $WORK/agent
token-file = $WORK/run/token
interval = ${1:-300}
event-log = none
ima-log = none
CONF
}

agent() {
  "$PAW_AGENT_BIN" "$@" --config "$WORK/agent.conf"
}

# paw_enroll [LABEL]: token from pawctl (for owner $PAW_OWNER when set), then
# paw-agent enroll; sets DEVICE_ID.
paw_enroll() {
  local token
  token=$(pawctl_admin token create --ttl 10m --label "${1:-e2e}" ${PAW_OWNER:+--owner "$PAW_OWNER"} --json |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])') || die "pawctl token create failed"
  agent enroll --token "$token" >"$WORK/enroll.out" 2>>"$WORK/agent.log" ||
    die "paw-agent enroll failed: $(cat "$WORK/enroll.out")"
  DEVICE_ID=$(agent status --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["device_id"])')
  [ -n "$DEVICE_ID" ] || die "no device id after enrollment"
  export DEVICE_ID
}

# json_get FILE KEY: one top-level field of a JSON document.
json_get() {
  python3 -c 'import json,sys; v=json.load(open(sys.argv[1]))[sys.argv[2]]; print(json.dumps(v) if isinstance(v,(list,dict)) else v)' "$1" "$2"
}

# expect_rc WANT CMD...: run CMD (stdout to $WORK/last.out), check its exit code.
expect_rc() {
  local want=$1 rc=0
  shift
  "$@" >"$WORK/last.out" 2>"$WORK/last.err" || rc=$?
  if [ "$rc" != "$want" ]; then
    die "'$*' exited $rc, expected $want; stdout: $(cat "$WORK/last.out"); stderr: $(cat "$WORK/last.err")"
  fi
}

# wait_for SECONDS CMD...: retry CMD every 0.1 s until it succeeds.
wait_for() {
  local secs=$1 i
  shift
  for i in $(seq 1 $((secs * 10))); do
    "$@" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  return 1
}

# curl_authz TOKEN: status code of GET /v1/authz with the token (empty: no header).
curl_authz() {
  local hdr=()
  [ -n "${1:-}" ] && hdr=(-H "Authorization: Bearer $1")
  curl -s -o /dev/null -w '%{http_code}' --cacert "$VERIFIER_CA" "${hdr[@]}" "$VERIFIER_URL/v1/authz"
}
