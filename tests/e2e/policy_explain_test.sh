#!/usr/bin/env bash
# policy_explain_test.sh — `pawctl policy explain DEVICE` with swtpm, the real
# agent, the software FIDO2 key and the real verifier: before any attestation
# it says there is nothing to explain; after one it prints each rule of the
# demo policy (the required PCRs against the quote, the owner's key) with the
# evidence that decided it; --json is the verifier's answer; an unknown device
# and a bad id fail with their own exit codes. `pawctl policy diff` against the
# reference captured from the same boot names no event, text and --json: the
# TPM is extended (tools/dev/paw-extend-log) with a real firmware log (COS 85 on
# GCE, tests/data/go-tpm-tools) that the agent sends.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib.sh
source "$here/lib.sh"
EXTEND_BIN=$PAW_BUILD_DIR/tools/dev/paw-extend-log/paw-extend-log
[ -x "$EXTEND_BIN" ] || { echo "missing $EXTEND_BIN: build paw-extend-log" >&2; exit 1; }
BOOT_LOG=$PAW_TEST_DATA_DIR/go-tpm-tools/internal/test/eventlogs/cos-85-amd-sev.bin
paw_setup
paw_start_swtpm
"$EXTEND_BIN" --tcti "$SWTPM_TCTI" "$BOOT_LOG" >"$WORK/extend.out" || die "paw-extend-log failed"
paw_verifier_init
paw_verifier_start 0
paw_demo_policy 600
paw_agent_config 300
paw_enroll e2e-explain
sed -i "s|^event-log = .*|event-log = $BOOT_LOG|" "$WORK/agent.conf"
P=$PAWCTL_BIN
C=(--verifier "$VERIFIER_URL" --ca-file "$VERIFIER_CA" --credential-file "$WORK/admin.cred")

step "before the first attestation"
expect_rc 1 "$P" policy explain "$DEVICE_ID" "${C[@]}"
grep -q "no verified attestation yet" "$WORK/last.err" || die "explain said: $(cat "$WORK/last.err")"
ok "nothing to explain: exit 1, says why"

step "after two attestations (the first pins the PCRs, the second is compared with the pins)"
expect_rc 0 agent attest
expect_rc 0 agent attest
expect_rc 0 "$P" policy explain "$DEVICE_ID" "${C[@]}"
sed 's/^/   | /' "$WORK/last.out"
grep -qE "^device $DEVICE_ID, policy default@[0-9]+, attested .*: healthy" "$WORK/last.out" ||
  die "explain header: $(cat "$WORK/last.out")"
for pcr in 0 2 4 7; do
  grep -qE "^pcrs.required +PCR $pcr \(sha256\) +quote vs the pinned value +[0-9a-f]{24}\.\.\. +pass +-" "$WORK/last.out" ||
    die "PCR $pcr row: $(cat "$WORK/last.out")"
done
grep -qE "^fido.required +owner's FIDO2 key +FIDO2 assertion \(verified\) +present +pass" "$WORK/last.out" ||
  die "fido row: $(cat "$WORK/last.out")"
ok "each rule with the evidence that decided it"

expect_rc 0 "$P" policy explain "$DEVICE_ID" --json "${C[@]}"
python3 - "$WORK/last.out" "$DEVICE_ID" <<'PY' || die "explain --json: $(cat "$WORK/last.out")"
import json, sys
e = json.load(open(sys.argv[1]))
assert e["device_id"] == sys.argv[2] and e["verdict"] == "healthy" and e["assigned_policy"] == "default", e
rules = {(r["rule"], r["subject"]): r for r in e["rules"]}
assert rules[("pcrs.required", "PCR 7 (sha256)")]["result"] == "pass", rules
assert all(r["grace_until"] == 0 and r["reason"] == "" for r in e["rules"]), e["rules"]
assert e["reasons"] == [] and e["other_reasons"] == [], e
PY
ok "--json: the verifier's answer"

step "policy diff against a reference captured from this boot"
expect_rc 1 "$P" policy diff "$DEVICE_ID" "${C[@]}"
grep -q "captured with its events" "$WORK/last.err" || die "diff before capture: $(cat "$WORK/last.err")"
expect_rc 0 "$P" policy capture "$DEVICE_ID" "${C[@]}"
expect_rc 0 agent attest
expect_rc 0 "$P" policy diff "$DEVICE_ID" "${C[@]}"
sed 's/^/   | /' "$WORK/last.out"
grep -qE "^device $DEVICE_ID \(policy default@[0-9]+, attested .*\) against the policy's reference \(captured from $DEVICE_ID" "$WORK/last.out" ||
  die "diff header: $(cat "$WORK/last.out")"
grep -q "^every PCR value of the set matches the device's last quote" "$WORK/last.out" || die "diff pcrs: $(cat "$WORK/last.out")"
grep -q "^0 event(s) differ" "$WORK/last.out" || die "diff events: $(cat "$WORK/last.out")"
expect_rc 0 "$P" policy diff "$DEVICE_ID" --against reference --json "${C[@]}"
python3 - "$WORK/last.out" <<'PY' || die "diff --json: $(cat "$WORK/last.out")"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["against"] == "reference" and d["changes"] == [] and d["pcrs"] == [], d
PY
expect_rc 1 "$P" policy diff "$DEVICE_ID" --against bios-9 "${C[@]}"
grep -q "404" "$WORK/last.err" || die "diff unknown set: $(cat "$WORK/last.err")"
expect_rc 2 "$P" policy diff "$DEVICE_ID" --against "../x" "${C[@]}"
ok "no event differs from the reference captured from the same boot; unknown set exit 1, bad name exit 2"

step "errors"
expect_rc 1 "$P" policy explain 0123456789abcdef0123456789abcdef "${C[@]}"
grep -q "404 not_found: unknown device" "$WORK/last.err" || die "unknown device: $(cat "$WORK/last.err")"
expect_rc 2 "$P" policy explain "../x" "${C[@]}"
expect_rc 2 "$P" policy explain "${C[@]}"
ok "unknown device exit 1, bad id and missing id exit 2"
