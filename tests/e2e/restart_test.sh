#!/usr/bin/env bash
# A verifier restart keeps every device: two workstations (two swtpms, two
# software FIDO2 keys) enroll and attest; the verifier is stopped and started
# again on the same port and state; both devices are still there with their
# status and verdict, a token issued before the restart still passes
# /v1/authz, and both attest healthy again (FIDO2 counters and pinned PCRs
# survived).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib.sh
source "$here/lib.sh"
paw_setup
paw_start_swtpm
paw_verifier_init
paw_verifier_start 0
paw_demo_policy 600

# workstation A
paw_agent_config 300
paw_enroll ws-a
dev_a=$DEVICE_ID
cp "$WORK/agent.conf" "$WORK/agent-a.conf"
expect_rc 0 "$PAW_AGENT_BIN" attest --config "$WORK/agent-a.conf"
token_a=$(cat "$WORK/run/token")

# workstation B: its own TPM, key, state and token file
tcti_a=$SWTPM_TCTI
# same manufacturer: B's EK certificate is issued by A's local CA (trusted by the verifier)
mkdir -p "$WORK/tpm-b"
cp -a "$WORK/tpm/ca" "$WORK/tpm-b/ca"
swtpm_start "$WORK/tpm-b" || die "second swtpm did not start"
paw_track "$SWTPM_PID"
sed -e "s|^tcti = .*|tcti = $SWTPM_TCTI|" -e "s|fido.state|fido-b.state|" -e "s|/agent$|/agent-b|" \
  -e "s|/run/token|/run/token-b|" "$WORK/agent-a.conf" >"$WORK/agent-b.conf"
grep -q "$tcti_a" "$WORK/agent-b.conf" && die "agent B would use A's TPM"
tok=$(pawctl_admin token create --label ws-b --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
expect_rc 0 "$PAW_AGENT_BIN" enroll --token "$tok" --config "$WORK/agent-b.conf"
expect_rc 0 "$PAW_AGENT_BIN" attest --config "$WORK/agent-b.conf"
dev_b=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["device_id"])' "$WORK/agent-b/enrollment.json")
[ "$dev_a" != "$dev_b" ] || die "both workstations got one device id"

snapshot() {
  pawctl_admin devices list --json | python3 -c '
import json, sys
d = json.load(sys.stdin)["devices"]
for x in sorted(d, key=lambda x: x["device_id"]):
    print(x["device_id"], x["status"], x["last_verdict"], x["last_attested_at"], x["label"], x["policy"])'
}
snapshot >"$WORK/before.txt"
[ "$(wc -l <"$WORK/before.txt")" = 2 ] || die "expected 2 devices: $(cat "$WORK/before.txt")"
grep -q "$dev_a enrolled healthy" "$WORK/before.txt" || die "A not healthy before: $(cat "$WORK/before.txt")"
grep -q "$dev_b enrolled healthy" "$WORK/before.txt" || die "B not healthy before"
events_before=$(pawctl_admin events --limit 1000 --json | wc -l)

paw_verifier_stop
paw_verifier_start "$VERIFIER_PORT"
echo "verifier restarted on port $VERIFIER_PORT"

snapshot >"$WORK/after.txt"
diff "$WORK/before.txt" "$WORK/after.txt" || die "devices changed across the restart"
echo "ok: both devices kept with status, verdict, time, label, policy"
events_after=$(pawctl_admin events --limit 1000 --json | wc -l)
[ "$events_after" -ge "$events_before" ] || die "events lost: $events_before → $events_after"
echo "ok: events kept ($events_before before, $events_after after)"
code=$(curl_authz "$token_a")
[ "$code" = 204 ] || die "token issued before the restart: authz $code, expected 204"
echo "ok: token from before the restart still passes /v1/authz (signing key kept)"
expect_rc 0 "$PAW_AGENT_BIN" attest --config "$WORK/agent-a.conf"
expect_rc 0 "$PAW_AGENT_BIN" attest --config "$WORK/agent-b.conf"
echo "ok: both attest healthy after the restart (FIDO2 counters, pinned PCRs kept)"
echo "restart_test: ok"
