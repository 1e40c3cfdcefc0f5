#!/usr/bin/env bash
# pawctl's admin commands against a real verifier: tokens, devices (pending →
# approve, show, revoke, delete), policies (set, show, assign, capture),
# events (and --follow), keys rotate; --json for scripts; clear errors.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib.sh
source "$here/lib.sh"
paw_setup
paw_start_swtpm
paw_verifier_init
paw_verifier_start 0
P=$PAWCTL_BIN
C=(--verifier "$VERIFIER_URL" --ca-file "$VERIFIER_CA" --credential-file "$WORK/admin.cred")
expect_err() {  # expect_err RC PATTERN ARGS...
  local want=$1 pat=$2
  shift 2
  expect_rc "$want" "$@"
  grep -qE -- "$pat" "$WORK/last.err" || die "'$*': stderr lacks /$pat/: $(cat "$WORK/last.err")"
  echo "ok: exit $want: $(head -1 "$WORK/last.err" | cut -c1-130)"
}

# --- errors say what to do next
expect_err 2 "never taken on the command line" "$P" devices list --credential secret --verifier "$VERIFIER_URL"
expect_err 2 "no admin credential: give --credential-file FILE or set PAW_ADMIN_CREDENTIAL" \
  env -u PAW_ADMIN_CREDENTIAL "$P" devices list --verifier "$VERIFIER_URL" --ca-file "$VERIFIER_CA"
expect_err 2 "no verifier" env -u PAW_VERIFIER "$P" devices list --credential-file "$WORK/admin.cred"
printf 'pawadm_wrong\n' >"$WORK/wrong.cred"; chmod 600 "$WORK/wrong.cred"
expect_err 1 "401.*paw-verifier admin-credential" "$P" devices list --verifier "$VERIFIER_URL" --ca-file "$VERIFIER_CA" \
  --credential-file "$WORK/wrong.cred"
expect_err 1 "TLS .*--ca-file" "$P" devices list --verifier "$VERIFIER_URL" --ca-file /etc/ssl/certs/ca-certificates.crt \
  --credential-file "$WORK/admin.cred"
expect_err 1 "cannot reach the verifier" "$P" devices list --verifier "https://localhost:$(paw_free_port)" \
  --ca-file "$VERIFIER_CA" --credential-file "$WORK/admin.cred"
expect_err 2 "bad duration" "$P" token create --ttl soon "${C[@]}"
expect_err 1 "ttl_seconds must be in" "$P" token create --ttl 10s "${C[@]}"
expect_err 1 "404.*devices list" "$P" devices show 0123456789abcdef "${C[@]}"
echo '{"name":"default","pcrs":{"required":{"sha256":[99]}}}' >"$WORK/badpolicy.json"
expect_err 2 "not a valid policy" "$P" policy set default "$WORK/badpolicy.json" "${C[@]}"
# the environment works as well as the file
PAW_ADMIN_CREDENTIAL=$(cat "$WORK/admin.cred") expect_rc 0 "$P" devices list --verifier "$VERIFIER_URL" --ca-file "$VERIFIER_CA"
grep -q "no devices enrolled yet" "$WORK/last.out" || die "empty device list: $(cat "$WORK/last.out")"
echo "ok: PAW_ADMIN_CREDENTIAL from the environment"

# --- approval: a policy that wants an admin's approval
paw_demo_policy 600
python3 - "$WORK/policy-demo.json" >"$WORK/policy-approve.json" <<'PY'
import json, sys
p = json.load(open(sys.argv[1])); p["require_admin_approval"] = True; print(json.dumps(p))
PY
expect_rc 0 "$P" policy set default "$WORK/policy-approve.json" "${C[@]}"
paw_agent_config 300
expect_err 1 "owner may hold only" "$P" token create --ttl 1h --owner "alice example" "${C[@]}"
expect_rc 0 "$P" token create --ttl 1h --owner alice@example "${C[@]}"
grep -q "owner: alice@example" "$WORK/last.out" || die "token create --owner: $(cat "$WORK/last.out")"
token=$(pawctl_admin token create --ttl 1h --label admin-test --owner alice@example --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
expect_rc 0 agent enroll --token "$token"
grep -q "status pending" "$WORK/last.out" || die "enrollment not pending: $(cat "$WORK/last.out")"
grep -q "pawctl devices approve" "$WORK/last.out" || die "enroll does not say how to approve"
DEVICE_ID=$(json_get "$WORK/agent/enrollment.json" device_id)
expect_rc 2 agent attest
grep -q "approval" "$WORK/last.err" || die "pending attest does not say why: $(cat "$WORK/last.err")"
echo "ok: pending device cannot attest until approved"
expect_rc 0 "$P" devices list "${C[@]}"
grep -q "$DEVICE_ID  pending" "$WORK/last.out" || die "list does not show pending: $(cat "$WORK/last.out")"
expect_rc 0 "$P" devices approve "$DEVICE_ID" "${C[@]}"
grep -q "approved device $DEVICE_ID" "$WORK/last.out" || die "approve output: $(cat "$WORK/last.out")"
expect_err 1 "409.*not in a state" "$P" devices approve "$DEVICE_ID" "${C[@]}"
expect_rc 0 "$P" policy set default "$WORK/policy-demo.json" "${C[@]}"
expect_rc 0 agent attest
echo "ok: approved → healthy"

# --- policies: a strict one with a wrong PCR 7 reference, assigned, then captured
python3 - "$WORK/policy-demo.json" >"$WORK/strict.json" <<'PY'
import json, sys
p = json.load(open(sys.argv[1])); p.pop("name")
p["pcrs"] = {"required": {"sha256": [7]}, "reference": {"sha256": {"7": "11" * 32}}, "pin_on_enroll": False}
print(json.dumps(p))
PY
expect_rc 0 "$P" policy set strict "$WORK/strict.json" "${C[@]}"
expect_rc 0 "$P" policy show "${C[@]}"
grep -q "^strict" "$WORK/last.out" || die "policy list lacks strict: $(cat "$WORK/last.out")"
expect_rc 0 "$P" policy assign "$DEVICE_ID" strict "${C[@]}"
expect_rc 1 agent attest
grep -q "reason: pcr_mismatch" "$WORK/last.out" || die "strict policy did not catch PCR 7: $(cat "$WORK/last.out")"
expect_rc 0 "$P" policy capture "$DEVICE_ID" "${C[@]}"
expect_rc 0 "$P" policy show strict --json "${C[@]}"
python3 - "$WORK/last.out" "$(tpm2_pcrread -T "$SWTPM_TCTI" sha256:7 | awk '/7 *:/ {print tolower($3)}' | sed 's/^0x//')" <<'PY' ||
import json, sys
p = json.load(open(sys.argv[1]))
assert p["pcrs"]["reference"]["sha256"]["7"] == sys.argv[2], (p["pcrs"], sys.argv[2])
PY
  die "captured reference is not the TPM's PCR 7"
expect_rc 0 agent attest
echo "ok: policy set/assign → pcr_mismatch; capture → reference = TPM's PCR 7 → healthy"

# --- devices show / --json
expect_rc 0 "$P" devices show "$DEVICE_ID" "${C[@]}"
grep -qE "^  assigned +strict$" "$WORK/last.out" || die "show: $(cat "$WORK/last.out")"
grep -qE "^  owner +alice@example$" "$WORK/last.out" || die "show has no owner: $(cat "$WORK/last.out")"
expect_rc 0 "$P" devices list --json "${C[@]}"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1]))["devices"]; assert d[0]["last_verdict"]=="healthy", d' "$WORK/last.out" ||
  die "devices list --json"
echo "ok: devices show / list --json"

# --- events: history, and --follow sees a new one
expect_rc 0 "$P" events --limit 1000 "${C[@]}"
for t in enrollment approval policy_update policy_assignment policy_capture verdict_change; do
  grep -q " $t " "$WORK/last.out" || die "events lack $t"
done
last=$("$P" events --limit 1000 --json "${C[@]}" | tail -1 | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
"$P" events --follow --after "$last" --json "${C[@]}" >"$WORK/follow.out" 2>"$WORK/follow.err" &
follow=$!
paw_track "$follow"
sleep 0.5
expect_rc 0 "$P" keys rotate --yes "${C[@]}"
grep -q "new signing key" "$WORK/last.out" || die "keys rotate: $(cat "$WORK/last.out")"
wait_for 10 grep -q key_rotation "$WORK/follow.out" || die "events --follow did not show the rotation"
# Following must not feed itself: in 3 quiet seconds its long polls add no audit events.
sleep 3
lines=$(wc -l <"$WORK/follow.out")
[ "$lines" -le 4 ] || die "events --follow wrote $lines events in a quiet moment (does it audit its own polls?): $(tail -3 "$WORK/follow.out")"
grep -q rate_limited "$WORK/follow.err" && die "events --follow was rate limited"
kill -0 "$follow" || die "events --follow stopped: $(cat "$WORK/follow.err")"
paw_kill "$follow"
echo "ok: events history and --follow ($lines events: the rotation and the admin calls, no poll storm); keys rotate"

# --- revoke and delete
token=$(cat "$WORK/run/token")
expect_rc 0 "$P" devices revoke "$DEVICE_ID" --yes "${C[@]}"
[ "$(curl_authz "$token")" = 403 ] || die "revoked device's token passes authz"
expect_rc 2 agent attest
expect_rc 0 "$P" devices delete "$DEVICE_ID" --yes "${C[@]}"
expect_err 1 "404" "$P" devices show "$DEVICE_ID" "${C[@]}"
code=$(curl_authz "$token")
[ "$code" = 403 ] || [ "$code" = 401 ] || die "deleted device's token: authz $code"
echo "ok: revoke → 403 and no attestation; delete → gone"
# --- credentials and tokens: list, revoke (at once), expiry; the audit names who
"$PAW_VERIFIER_BIN" admin-credential --state "$WORK/verifier" --label second-admin --expire 30d >"$WORK/second.out" ||
  die "admin-credential --expire failed"
(umask 077; sed -n 's/^admin credential: //p' "$WORK/second.out" >"$WORK/second.cred")
C2=(--verifier "$VERIFIER_URL" --ca-file "$VERIFIER_CA" --credential-file "$WORK/second.cred")
expect_rc 0 "$P" rp-credential create --label idp --expire 90d "${C[@]}"
grep -q "^expires: 20" "$WORK/last.out" || die "rp-credential --expire: $(cat "$WORK/last.out")"
rp_secret=$(sed -n 's/^relying-party credential: //p' "$WORK/last.out")
rp_id=$(sed -n 's/^id: //p' "$WORK/last.out")
expect_rc 0 "$P" credentials list "${C2[@]}"
grep -qE "^admin-[0-9a-f]+ +admin +full +active .* initial" "$WORK/last.out" || die "credentials list: $(cat "$WORK/last.out")"
grep -qE "^$rp_id +relying_party +active" "$WORK/last.out" || die "credentials list lacks the rp: $(cat "$WORK/last.out")"
initial_id=$(awk '$NF == "initial" {print $1}' "$WORK/last.out")
code=$(curl -s -o /dev/null -w '%{http_code}' --cacert "$VERIFIER_CA" -H "Authorization: Bearer $rp_secret" \
  "$VERIFIER_URL/v1/devices/00000000000000000000000000000000/health")
[ "$code" = 404 ] || die "rp credential before revocation: $code"
expect_rc 0 "$P" credentials revoke "$rp_id" --yes "${C2[@]}"
grep -q "revoked at" "$WORK/last.out" || die "credentials revoke: $(cat "$WORK/last.out")"
code=$(curl -s -o /dev/null -w '%{http_code}' --cacert "$VERIFIER_CA" -H "Authorization: Bearer $rp_secret" \
  "$VERIFIER_URL/v1/devices/00000000000000000000000000000000/health")
[ "$code" = 401 ] || die "revoked rp credential: $code"
expect_err 1 "409" "$P" credentials revoke "$rp_id" --yes "${C2[@]}"
expect_err 1 "404" "$P" credentials revoke rp-00000000 --yes "${C2[@]}"
# The second admin revokes the first; the first is refused on its next call.
expect_rc 0 "$P" credentials revoke "$initial_id" --yes "${C2[@]}"
expect_err 1 "401" "$P" devices list "${C[@]}"
second_id=$("$P" credentials list --json "${C2[@]}" |
  python3 -c 'import json,sys; print([c["id"] for c in json.load(sys.stdin)["credentials"] if c["label"]=="second-admin"][0])')
expect_err 1 "409.*last usable admin" "$P" credentials revoke "$second_id" --yes "${C2[@]}"
# Tokens: an unused one listed and revoked; enrolling with it is refused.
expect_rc 0 "$P" token create --ttl 1h --label spare "${C2[@]}"
spare=$(sed -n 's/^token: //p' "$WORK/last.out")
expect_rc 0 "$P" token list "${C2[@]}"
grep -qE "^[0-9a-f]{16} +unused .* spare" "$WORK/last.out" || die "token list: $(cat "$WORK/last.out")"
spare_id=$(awk '$NF == "spare" {print $1}' "$WORK/last.out")
expect_rc 0 "$P" token revoke "$spare_id" --yes "${C2[@]}"
expect_rc 0 "$P" token list "${C2[@]}"
grep -qE "^$spare_id +revoked" "$WORK/last.out" || die "token list after revoke: $(cat "$WORK/last.out")"
mv "$WORK/agent" "$WORK/agent.old"; mkdir -m 700 "$WORK/agent"
if agent enroll --token "$spare" >"$WORK/last.out" 2>"$WORK/last.err"; then die "enrolled with a revoked token"; fi
# The agent's route carries no credential: its answer names only the code; the
# reason goes to the verifier's log.
grep -q "token_invalid" "$WORK/last.err" "$WORK/last.out" || die "enroll with a revoked token: $(cat "$WORK/last.err")"
grep -q "enrollment token revoked" "$WORK/verifier.log" || die "the verifier log does not say the token was revoked"
expect_rc 0 "$P" events --limit 1000 --json "${C2[@]}"
grep -q '"by_name":"second-admin"' "$WORK/last.out" || die "events do not name the acting credential"
grep -q '"credential_name":"initial"' "$WORK/last.out" || die "admin events do not name the credential"
grep -q '"reason":"revoked credential"' "$WORK/last.out" || die "the refused call does not say why"
echo "ok: credentials and tokens list/revoke at once, expiry, audited by name"
echo "pawctl_admin_test: ok"
