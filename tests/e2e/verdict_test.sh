#!/usr/bin/env bash
# verdict_test.sh — the decision around the checks, with swtpm, the real
# agent, the software FIDO2 key, the real verifier and pawctl (issue 15):
#  1. a cloned FIDO2 key (its state from before the last attestation) makes
#     evidence the device's own TPM signed fail: verdict `rejected`, the
#     earlier result token gets 403 at /v1/authz at once, the answer names
#     the reason only; the next healthy attestation clears it;
#  2. junk evidence sent with a real challenge for the device leaves it
#     alone: no alert, no verdict change, only a counter;
#  3. the same TPM cannot enroll again under another id without an admin's
#     `pawctl token create --replace`, which revokes the old device (audited).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib.sh
source "$here/lib.sh"
paw_setup
paw_start_swtpm
paw_verifier_init
paw_verifier_start 0
paw_demo_policy 600
paw_agent_config 300
paw_enroll e2e-verdict
FIRST_ID=$DEVICE_ID
expect_rc 0 agent attest
token1=$(cat "$WORK/run/token")
[ "$(curl_authz "$token1")" = 204 ] || die "authz refused a healthy token"

verdict_of() {
  pawctl_admin devices show "$1" --json >"$WORK/show.json" 2>>"$WORK/pawctl.log" || die "pawctl devices show $1"
  json_get "$WORK/show.json" last_verdict
}
events_json() {
  pawctl_admin events --limit 1000 --json >"$WORK/events.json" 2>>"$WORK/pawctl.log" || die "pawctl events"
}
count_events() {  # count_events TYPE DEVICE
  python3 - "$WORK/events.json" "$1" "$2" <<'PY'
import json, sys
ev = [json.loads(line) for line in open(sys.argv[1]) if line.strip()]  # one JSON line per event
print(sum(1 for e in ev if e["type"] == sys.argv[2] and (sys.argv[3] == "" or e["device_id"] == sys.argv[3])))
PY
}

# --- 1. a cloned FIDO2 key: evidence the TPM signed that does not hold up
cp "$WORK/fido.state" "$WORK/fido.clone"
expect_rc 0 agent attest
token2=$(cat "$WORK/run/token")
[ "$(curl_authz "$token2")" = 204 ] || die "authz refused the second healthy token"
cp "$WORK/fido.clone" "$WORK/fido.state"   # the clone's counter is behind the verifier's
rc=0
agent attest >"$WORK/last.out" 2>"$WORK/last.err" || rc=$?
[ "$rc" != 0 ] || die "the cloned key's attestation succeeded"
grep -qE "fido_counter_(frozen|rollback)" "$WORK/last.err" "$WORK/last.out" ||
  die "agent output lacks the counter reason: $(cat "$WORK/last.err")"
if grep -qE '[0-9a-f]{40,}|offset' "$WORK/last.err"; then die "the refusal tells internal values: $(cat "$WORK/last.err")"; fi
[ "$(verdict_of "$FIRST_ID")" = rejected ] || die "verdict after the clone: $(cat "$WORK/show.json")"
[ "$(curl_authz "$token2")" = 403 ] || die "a token issued before the rejection still passes /v1/authz"
events_json
[ "$(count_events attestation_failed "$FIRST_ID")" = 1 ] || die "no attestation_failed alert for the rejection"
echo "ok: cloned FIDO2 key → rejected, earlier token 403"
expect_rc 0 agent attest   # the key's counter moves past the verifier's again
[ "$(verdict_of "$FIRST_ID")" = healthy ] || die "a healthy attestation did not clear the rejection"
[ "$(curl_authz "$(cat "$WORK/run/token")")" = 204 ] || die "authz refused the token after the rejection cleared"
echo "ok: the next healthy attestation clears it"

# --- 2. junk evidence with a real challenge: nothing about the device changes
events_json
before_failed=$(count_events attestation_failed "$FIRST_ID")
for i in 1 2 3 4 5; do
  nonce=$(curl -s --cacert "$VERIFIER_CA" -H 'Content-Type: application/json' \
    -d "{\"device_id\":\"$FIRST_ID\"}" "$VERIFIER_URL/v1/challenges" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["nonce"])')
  python3 - "$FIRST_ID" "$nonce" >"$WORK/junk.json" <<'PY'
import base64, json, os, sys
body = json.dumps({"version": 1, "device_id": sys.argv[1], "nonce": sys.argv[2], "pcrs": {},
                   "host": {"os_release": "x", "kernel": "x", "disk_encrypted": True, "secure_boot": True},
                   "agent_version": "0.1.0"}).encode()
b64 = lambda b: base64.b64encode(b).decode()
# TPMT_SIGNATURE: ECDSA (0x0018), SHA-256 (0x000b), r and s of 32 random bytes.
sig = bytes.fromhex("0018000b0020") + os.urandom(32) + bytes.fromhex("0020") + os.urandom(32)
print(json.dumps({"body": b64(body), "quote": {"attest": b64(os.urandom(80)), "signature": b64(sig)}}))
PY
  code=$(curl -s -o "$WORK/junk.out" -w '%{http_code}' --cacert "$VERIFIER_CA" -H 'Content-Type: application/json' \
    --data-binary "@$WORK/junk.json" "$VERIFIER_URL/v1/attestations")
  case $code in 4??) ;; *) die "junk evidence answered $code: $(cat "$WORK/junk.out")" ;; esac
  if grep -qE '[0-9a-f]{40,}|offset' "$WORK/junk.out"; then die "junk answer tells internal values: $(cat "$WORK/junk.out")"; fi
done
[ "$(verdict_of "$FIRST_ID")" = healthy ] || die "junk evidence changed the verdict"
events_json
[ "$(count_events attestation_failed "$FIRST_ID")" = "$before_failed" ] || die "junk evidence raised alerts"
[ "$(count_events unauthenticated_evidence "")" -le 1 ] || die "more than one aggregated event for one burst"
curl -s --cacert "$VERIFIER_CA" "$VERIFIER_URL/metrics" >"$WORK/metrics.txt"
grep -q '^paw_attestation_unauthenticated_total{error="bad_signature"} 5$' "$WORK/metrics.txt" ||
  die "no unauthenticated counter in /metrics: $(grep unauthenticated "$WORK/metrics.txt")"
echo "ok: junk evidence with a real challenge: device unchanged, no alert, counted"

# --- 3. one enrolled id per TPM
token=$(pawctl_admin token create --ttl 10m --label again --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
rc=0
agent enroll --token "$token" >"$WORK/last.out" 2>"$WORK/last.err" || rc=$?
[ "$rc" != 0 ] || die "the same TPM enrolled a second time without --replace"
grep -q "conflict" "$WORK/last.err" && grep -q -- "--replace" "$WORK/last.err" || die "second enrollment: $(cat "$WORK/last.err")"
events_json
[ "$(count_events enrollment_refused "$FIRST_ID")" -ge 1 ] || die "no enrollment_refused event"
echo "ok: a second id for an enrolled TPM is refused"
expect_rc 0 pawctl_admin devices revoke "$FIRST_ID" --yes
rc=0
agent enroll --token "$token" >"$WORK/last.out" 2>"$WORK/last.err" || rc=$?
[ "$rc" != 0 ] || die "a revoked device's TPM enrolled again with a fresh token"
echo "ok: a revoked device's TPM cannot come back with a fresh token"
expect_rc 0 pawctl_admin token create --ttl 10m --label reinstall --replace --json
replace_token=$(json_get "$WORK/last.out" token)
[ "$(json_get "$WORK/last.out" replace)" = True ] || die "token create --replace: $(cat "$WORK/last.out")"
expect_rc 0 agent enroll --token "$replace_token"
SECOND_ID=$(json_get "$WORK/agent/enrollment.json" device_id)
[ "$SECOND_ID" != "$FIRST_ID" ] || die "the replacement kept the old id"
pawctl_admin devices show "$FIRST_ID" --json >"$WORK/show.json"
[ "$(json_get "$WORK/show.json" status)" = revoked ] || die "the replaced device is not revoked"
events_json
[ "$(count_events device_replaced "$FIRST_ID")" = 1 ] || die "no device_replaced event"
expect_rc 0 agent attest
echo "ok: token create --replace takes the TPM over; the old device stays revoked (audited)"
echo "verdict_test: ok"
