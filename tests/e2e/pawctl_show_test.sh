#!/usr/bin/env bash
# pawctl_show_test.sh — `pawctl devices show ID` is a page for people, against
# the real verifier with a device enrolled from swtpm and the software FIDO2
# key: before its first attestation, healthy, and inside a grace (warning:
# "login allowed until … because pcr_mismatch …", the reason with its fix);
# every time RFC 3339 UTC; a label with a terminal escape printed without it;
# --json is the verifier's answer byte for byte. Then the conventions that
# need a verifier: global options before the command give the same answer as
# after it, and destructive commands without --yes change nothing (no
# terminal: exit 2; on a terminal answering "n": exit 1; "y": done).
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
P=$PAWCTL_BIN
C=(--verifier "$VERIFIER_URL" --ca-file "$VERIFIER_CA" --credential-file "$WORK/admin.cred")
RFC3339='20[0-9]{2}-[01][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-5][0-9]Z'

# A label with an escape sequence (labels are free text the admin typed, or
# a script copied from somewhere): the page must not pass ESC to the terminal.
token=$("$P" token create --ttl 10m --label "$(printf 'lab\033[31mred')" --owner alice@example --json "${C[@]}" |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
expect_rc 0 agent enroll --token "$token"
DEVICE_ID=$(json_get "$WORK/agent/enrollment.json" device_id)

# page FILE: the page must carry no control character but newline, no JSON, no "null".
check_page() {
  if LC_ALL=C grep -q $'[\x01-\x09\x0b-\x1f\x7f]' "$1"; then die "control characters on the page: $(cat -v "$1")"; fi
  if grep -qE '[{}]|null' "$1"; then die "JSON on the page: $(cat "$1")"; fi
  for s in State Reasons "Last attestation" "FIDO2 key" TPM Policy; do
    grep -q "^$s\$" "$1" || die "no section $s: $(cat "$1")"
  done
}
# field FILE LABEL: the value of the first "  label   value" line (two spaces at least after the label).
field() { sed -n "s/^  $2   *//p" "$1" | head -1; }
# expect_field FILE LABEL ERE: that value matches.
expect_field() {
  local v
  v=$(field "$1" "$2")
  [[ $v =~ $3 ]] || die "$2: '$v' does not match /$3/"
}

step "before the first attestation"
expect_rc 0 "$P" devices show "$DEVICE_ID" "${C[@]}"
sed 's/^/   | /' "$WORK/last.out"
check_page "$WORK/last.out"
grep -q "^Device $DEVICE_ID\$" "$WORK/last.out" || die "no device line"
[ "$(field "$WORK/last.out" label)" = "lab?[31mred" ] || die "label: $(field "$WORK/last.out" label)"
[ "$(field "$WORK/last.out" owner)" = alice@example ] || die "owner"
[ "$(field "$WORK/last.out" "last attested")" = "—" ] || die "last attested before any attestation"
expect_field "$WORK/last.out" login "has not attested yet"
grep -q "none yet (paw-agent attest" "$WORK/last.out" || die "no 'none yet' attestation"
expect_field "$WORK/last.out" enrolled "^$RFC3339 \([0-9]+ s ago\)$"
ok "a device that never attested: dashes and what to do, not a crash; the label's escape shown as ?"

step "healthy"
expect_rc 0 agent attest
expect_rc 0 agent attest
expect_rc 0 "$P" devices show "$DEVICE_ID" "${C[@]}"
sed 's/^/   | /' "$WORK/last.out"
check_page "$WORK/last.out"
[ "$(field "$WORK/last.out" status)" = enrolled ] || die "status"
[ "$(field "$WORK/last.out" verdict | head -1)" = "healthy at the last attestation" ] || die "verdict"
expect_field "$WORK/last.out" "last attested" "^$RFC3339 \([0-9]+ s ago\)$"
expect_field "$WORK/last.out" "judged by policy" "^default@[0-9]+$"
grep -A1 "^Reasons" "$WORK/last.out" | grep -q "^  none$" || die "reasons of a healthy device"
# The FIDO2 key: the software authenticator's AAGUID, self attestation (no root vouches for it).
aaguid=$(python3 -c 'import json,sys; r=json.load(sys.stdin)["record"]["fido"]; print(r["aaguid"])' \
  < <("$P" devices show "$DEVICE_ID" --json "${C[@]}"))
want_aaguid=$(echo "$aaguid" | sed -E 's/^(.{8})(.{4})(.{4})(.{4})(.{12})$/\1-\2-\3-\4-\5/')
expect_field "$WORK/last.out" "model (AAGUID)" "^$want_aaguid"
expect_field "$WORK/last.out" "credential id" "^[0-9a-f]{16}… \([0-9]+ bytes\)$"
[ -n "$(field "$WORK/last.out" attestation)" ] || die "attestation type"
[ "$(field "$WORK/last.out" algorithm)" = ES256 ] || die "algorithm"
expect_field "$WORK/last.out" "signature count" "^[1-9][0-9]*$"
# swtpm's EK is RSA 2048 with a certificate from swtpm's local CA.
expect_field "$WORK/last.out" EK "^(RSA 2048|ECC NIST P-256), "
expect_field "$WORK/last.out" "EK certificate" "^(none|issuer .+, serial [0-9A-F]+, valid until [0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z)"
expect_field "$WORK/last.out" AK "^(RSA 2048|ECC NIST P-256), name [0-9a-f]{16}… \(34 bytes\)$"
[ "$(field "$WORK/last.out" assigned)" = default ] || die "assigned policy"
ok "healthy: state, the FIDO2 key (AAGUID, credential id, attestation), EK, AK, policy"

step "inside a grace"
python3 - "$WORK/policy-demo.json" >"$WORK/graced.json" <<'PY'
import json, sys
p = json.load(open(sys.argv[1])); p.pop("name")
p["pcrs"] = {"required": {"sha256": [7]}, "reference": {"sha256": {"7": "11" * 32}}, "pin_on_enroll": False}
p["enforcement"] = {"grace": {"pcr_mismatch": "24h"}}
print(json.dumps(p))
PY
expect_rc 0 "$P" policy set graced "$WORK/graced.json" "${C[@]}"
expect_rc 0 "$P" policy assign "$DEVICE_ID" graced "${C[@]}"
agent attest >"$WORK/attest.out" 2>&1 || true
expect_rc 0 "$P" devices show "$DEVICE_ID" "${C[@]}"
sed 's/^/   | /' "$WORK/last.out"
check_page "$WORK/last.out"
expect_field "$WORK/last.out" verdict "^warning since $RFC3339 \([0-9]+ s ago\)$"
expect_field "$WORK/last.out" login "^allowed until $RFC3339 \(in (23|24) h\) because pcr_mismatch is inside the grace the policy gives$"
grep -qE "^  pcr_mismatch: PCR 7 " "$WORK/last.out" || die "reason line"
grep -qE "^    graced until $RFC3339 \(in (23|24) h\)$" "$WORK/last.out" || die "graced until"
grep -q "^    fix: an update you expect: capture the new values" "$WORK/last.out" || die "no fix for pcr_mismatch"
[ "$(field "$WORK/last.out" assigned)" = graced ] || die "assigned"
expect_field "$WORK/last.out" "judged by" "^graced@[0-9]+$"
ok "warning: allowed until … because pcr_mismatch is inside its grace; the reason with its fix"

step "--json is the verifier's answer"
expect_rc 0 "$P" devices show "$DEVICE_ID" --json "${C[@]}"
curl -sf --cacert "$VERIFIER_CA" -H "Authorization: Bearer $(cat "$WORK/admin.cred")" \
  "$VERIFIER_URL/v1/admin/devices/$DEVICE_ID" >"$WORK/raw.json"
[ "$(cat "$WORK/last.out")" = "$(cat "$WORK/raw.json")" ] || die "--json differs from GET /v1/admin/devices/ID"
ok "--json unchanged"

step "global options before or after the command"
for cmd in "devices list" "devices show $DEVICE_ID" "policy show graced" "events --limit 3"; do
  # shellcheck disable=SC2086
  expect_rc 0 "$P" $cmd --json "${C[@]}"
  cp "$WORK/last.out" "$WORK/after.out"
  # shellcheck disable=SC2086
  expect_rc 0 "$P" --json "${C[@]}" $cmd
  cmp -s "$WORK/last.out" "$WORK/after.out" || die "pawctl --json … $cmd differs from pawctl $cmd --json …"
done
# Mixed: some before, some after.
expect_rc 0 "$P" --verifier "$VERIFIER_URL" devices show "$DEVICE_ID" --ca-file "$VERIFIER_CA" --json \
  --credential-file "$WORK/admin.cred"
cmp -s "$WORK/last.out" "$WORK/raw.json" || [ "$(cat "$WORK/last.out")" = "$(cat "$WORK/raw.json")" ] || die "mixed"
expect_rc 2 "$P" --verifier "$VERIFIER_URL" devices list "${C[@]}"
grep -q -- "--verifier given both before and after" "$WORK/last.err" || die "twice: $(cat "$WORK/last.err")"
expect_rc 2 "$P" --limit 3 events "${C[@]}"
grep -q -- "--limit is not a global option: put it after the command" "$WORK/last.err" || die "$(cat "$WORK/last.err")"
ok "the same answers with the options before, after or mixed; a command's option before it is refused"

step "destructive commands ask first"
events_before=$("$P" events --limit 1000 --json "${C[@]}" | grep -vc '"type":"admin"' || true)
jwks_before=$(curl -sf --cacert "$VERIFIER_CA" "$VERIFIER_URL/.well-known/jwks.json")
for cmd in "devices delete $DEVICE_ID" "devices revoke $DEVICE_ID" "keys rotate" "ca rotate" "ssh-ca rotate"; do
  # shellcheck disable=SC2086
  expect_rc 2 "$P" $cmd "${C[@]}" </dev/null
  grep -q "pass --yes to confirm" "$WORK/last.err" || die "$cmd without --yes: $(cat "$WORK/last.err")"
done
# On a terminal: "n" changes nothing (exit 1), "y" does it.
script -qec "$(printf '%q ' "$P" devices delete "$DEVICE_ID" "${C[@]}")" /dev/null <<<"n" >"$WORK/tty.out" 2>&1 &&
  die "answering n did not exit 1: $(cat "$WORK/tty.out")"
grep -q "delete device $DEVICE_ID (it must enroll again to come back)? \[y/N\]" "$WORK/tty.out" || die "no question: $(cat "$WORK/tty.out")"
grep -q "cancelled: nothing was changed" "$WORK/tty.out" || die "not cancelled: $(cat "$WORK/tty.out")"
expect_rc 0 "$P" devices show "$DEVICE_ID" "${C[@]}"
[ "$(field "$WORK/last.out" status)" = enrolled ] || die "the device changed after refusals"
[ "$(curl -sf --cacert "$VERIFIER_CA" "$VERIFIER_URL/.well-known/jwks.json")" = "$jwks_before" ] || die "the JWKS changed"
events_after=$("$P" events --limit 1000 --json "${C[@]}" | grep -vc '"type":"admin"' || true)
[ "$events_before" = "$events_after" ] || die "a refused command left an event ($events_before → $events_after)"
script -qec "$(printf '%q ' "$P" devices revoke "$DEVICE_ID" "${C[@]}")" /dev/null <<<"y" >"$WORK/tty.out" 2>&1 ||
  die "answering y: $(cat "$WORK/tty.out")"
grep -q "revoked device $DEVICE_ID" "$WORK/tty.out" || die "revoke on y: $(cat "$WORK/tty.out")"
expect_rc 0 "$P" devices show "$DEVICE_ID" "${C[@]}"
[ "$(field "$WORK/last.out" status)" = revoked ] || die "not revoked"
expect_field "$WORK/last.out" login "^refused: the device is revoked"
expect_rc 0 "$P" devices delete "$DEVICE_ID" --yes "${C[@]}" </dev/null
expect_rc 1 "$P" devices show "$DEVICE_ID" "${C[@]}"
ok "no terminal: exit 2 and nothing changed; a terminal asks (n: exit 1, nothing changed; y: done); --yes for scripts"
echo "pawctl_show_test: ok"
