#!/usr/bin/env bash
# sbat_test.sh — policy boot.min_sbat (docs/policy.md, "SBAT level") through
# the real parts: swtpm extended (tools/dev/paw-extend-log) with keylime's
# real Secure Boot log, whose shim measured the SbatLevel
# "sbat,1,2023012900 / shim,2 / grub,3 / grub.debian,4" into PCR 7, the
# paw-agent sending that log, the software FIDO2 key, paw-verifier, pawctl.
#   1. a minimum the measured level meets: healthy, the token passes /v1/authz;
#   2. a newer minimum, with an enforcement grace for sbat_outdated: warning,
#      login allowed (204) until the grace ends, pawctl devices show names
#      the reason and the grace;
#   3. the same minimum without the grace: unhealthy, the token gets 403,
#      pawctl devices show names sbat_outdated and the measured level;
#   4. sbat_unknown can never be graced: policy set refuses it.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
EXTEND_BIN=$PAW_BUILD_DIR/tools/dev/paw-extend-log/paw-extend-log
[ -x "$EXTEND_BIN" ] || { echo "missing $EXTEND_BIN: build paw-extend-log" >&2; exit 1; }
LOG=$PAW_TEST_DATA_DIR/keylime/test/data/create-mb-policy/binary_bios_measurements-secureboot
[ -f "$LOG" ] || { echo "missing $LOG (tests/data)" >&2; exit 1; }
paw_setup
paw_start_swtpm
paw_verifier_init
paw_verifier_start
P=$PAWCTL_BIN
C=(--verifier "$VERIFIER_URL" --ca-file "$VERIFIER_CA" --credential-file "$WORK/admin.cred")

# policy NAME MIN_SBAT [ENFORCEMENT]: PCR 7 quoted and judged by its events
# (not pinned), Secure Boot required, with boot.min_sbat MIN_SBAT; bearer
# tokens, so curl can ask /v1/authz with the token alone.
policy() {
  local enforcement=""
  [ -z "${3:-}" ] || enforcement=", \"enforcement\": $3"
  cat >"$WORK/$1.json" <<JSON
{
  "pcrs": {"required": {"sha256": [7]}, "pin_on_enroll": false},
  "secure_boot_required": true,
  "event_log_required": true,
  "host": {"disk_encryption_required": false},
  "fido": {"required": true, "user_presence": true, "allow_self_attestation": true},
  "login": {"token_binding": "bearer"},
  "boot": {"min_sbat": $2}$enforcement
}
JSON
  expect_rc 0 "$P" policy set "$1" "$WORK/$1.json" "${C[@]}"
}
# attest: one attestation now, its exit status in $rc.
attest() { rc=0; agent attest >"$WORK/attest.out" 2>&1 || rc=$?; }
# show: pawctl devices show into last.out; field FILE LABEL: the value of its
# "  label   value" line; expect_field FILE LABEL ERE: that value matches.
field() { sed -n "s/^  $2   *//p" "$1" | head -1; }
expect_field() {
  local v
  v=$(field "$1" "$2")
  [[ $v =~ $3 ]] || die "$2: '$v' does not match /$3/"
}
show() { expect_rc 0 "$P" devices show "$DEVICE_ID" "${C[@]}"; }

step "swtpm booted keylime's Secure Boot log"
"$EXTEND_BIN" --tcti "$SWTPM_TCTI" "$LOG" >"$WORK/extend.out" || die "paw-extend-log failed: $(cat "$WORK/extend.out")"
policy default '{"date": "2023012900", "components": {"shim": 2, "grub": 3}}'
paw_agent_config
sed -i "s|^event-log = .*|event-log = $LOG|" "$WORK/agent.conf"
paw_enroll sbat

step "1. the measured SBAT level meets the minimum: healthy"
attest
[ "$rc" = 0 ] || die "want healthy (0), got $rc: $(cat "$WORK/attest.out")"
grep -q "sbat_" "$WORK/attest.out" && die "a reason on a healthy attestation: $(cat "$WORK/attest.out")"
[ "$(curl_authz "$(cat "$WORK/run/token")")" = 204 ] || die "authz refused the healthy token"
show
[ "$(field "$WORK/last.out" verdict | head -1)" = "healthy at the last attestation" ] ||
  die "devices show: $(cat "$WORK/last.out")"
ok "healthy with boot.min_sbat 2023012900 (shim 2, grub 3); /v1/authz 204"

step "2. a newer level required, sbat_outdated graced for 24 h: warning, login allowed"
policy graced '{"date": "2024010900", "components": {"shim": 4}}' '{"grace": {"sbat_outdated": "24h"}}'
expect_rc 0 "$P" policy assign "$DEVICE_ID" graced "${C[@]}"
attest
[ "$rc" = 0 ] || die "warning: want exit 0 (login allowed), got $rc: $(cat "$WORK/attest.out")"
grep -q "sbat_outdated" "$WORK/attest.out" || die "the agent does not name sbat_outdated: $(cat "$WORK/attest.out")"
token=$(cat "$WORK/run/token")
[ "$(curl_authz "$token")" = 204 ] || die "authz refused the token of a graced warning"
python3 - "$token" <<'PY' || die "the token does not carry the warning and its grace_until"
import base64, json, sys
part = sys.argv[1].split(".")[1]
claims = json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
text = json.dumps(claims)
assert "warning" in text and "grace_until" in text, claims
PY
show
sed 's/^/   | /' "$WORK/last.out"
expect_field "$WORK/last.out" verdict "^warning since "
expect_field "$WORK/last.out" login "^allowed until .* because sbat_outdated is inside the grace the policy gives$"
grep -qE "^  sbat_outdated: .*2023012900" "$WORK/last.out" || die "devices show: no sbat_outdated line naming the level"
ok "warning: sbat_outdated inside its grace, /v1/authz 204, grace_until in the token, named by devices show"

step "3. the same minimum without a grace: unhealthy, login refused"
policy strict '{"date": "2024010900", "components": {"shim": 4}}'
expect_rc 0 "$P" policy assign "$DEVICE_ID" strict "${C[@]}"
attest
[ "$rc" = 1 ] || die "want unhealthy (1), got $rc: $(cat "$WORK/attest.out")"
grep -q "sbat_outdated" "$WORK/attest.out" || die "the agent does not name sbat_outdated: $(cat "$WORK/attest.out")"
[ "$(curl_authz "$token")" = 403 ] || die "the graced token still passes /v1/authz after an unhealthy verdict"
show
sed 's/^/   | /' "$WORK/last.out"
expect_field "$WORK/last.out" verdict "^unhealthy since "
expect_field "$WORK/last.out" login "^refused: verdict unhealthy$"
grep -qE "^  sbat_outdated: .*event [0-9]+ \(EV_EFI_VARIABLE_AUTHORITY\).*2023012900.*< 2024010900, shim 2 < 4$" "$WORK/last.out" ||
  die "devices show does not name the measured and required levels"
grep -q "^    fix: update shim" "$WORK/last.out" || die "devices show gives no fix for sbat_outdated"
grep -q "graced until" "$WORK/last.out" && die "devices show still shows a grace the policy no longer gives"
ok "unhealthy: sbat_outdated, /v1/authz 403, devices show names the event, both levels and the fix"

step "4. sbat_unknown is never graced"
sed 's/"sbat_outdated"/"sbat_unknown"/' "$WORK/graced.json" >"$WORK/unknown.json"
expect_rc 2 "$P" policy set unknown "$WORK/unknown.json" "${C[@]}"
grep -q "sbat_unknown" "$WORK/last.err" || die "refusal does not name sbat_unknown: $(cat "$WORK/last.err")"
ok "a grace on sbat_unknown is refused"

echo "sbat_test: ok"
