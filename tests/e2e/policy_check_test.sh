#!/usr/bin/env bash
# pawctl policy check FILE|- lints a policy offline (exit 0 ok or warnings
# only, 1 errors, 2 usage/unreadable; --json a findings array), and policy
# set refuses what check calls an error: pawctl before sending, the verifier
# (400 malformed with the findings) for a client that skips the check; a
# refused document changes nothing.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib.sh
source "$here/lib.sh"
paw_setup
P=$PAWCTL_BIN
expect_out() {  # expect_out RC PATTERN ARGS...: exit code and a line of stdout
  local want=$1 pat=$2
  shift 2
  expect_rc "$want" "$@"
  grep -qE -- "$pat" "$WORK/last.out" || die "'$*': stdout lacks /$pat/: $(cat "$WORK/last.out")"
}

step "offline: no verifier, no credential"
cat >"$WORK/good.json" <<'EOF'
{"schema": 1, "pcrs": {"required": {"sha256": [0, 2, 4, 7]}},
 "enforcement": {"grace": {"pcr_mismatch": "72h"}}}
EOF
expect_out 0 "good.json: policy ok" env -u PAW_VERIFIER -u PAW_ADMIN_CREDENTIAL "$P" policy check "$WORK/good.json"
ok "a valid policy: exit 0"
cat >"$WORK/warn.json" <<'EOF'
{"pcrs": {"reference_sets": [{"name": "bios-1.21", "not_after": 1000,
  "values": {"sha256": {"0": "0000000000000000000000000000000000000000000000000000000000000000"}}}]}}
EOF
expect_out 0 "^warning reference_set_expired [$]\.pcrs\.reference_sets\[0\]\.not_after: " "$P" policy check "$WORK/warn.json"
grep -q "0 error(s), 1 warning(s)" "$WORK/last.out" || die "no summary: $(cat "$WORK/last.out")"
ok "warnings only: exit 0, warnings printed"
cat >"$WORK/bad.json" <<'EOF'
{"fido": {"requird": true}, "pcrs": {"required": {"sha256": [0, 2]}},
 "enforcement": {"grace": {"fido_missing": "1h", "pcr_mismatch": "3 days"}}}
EOF
expect_out 1 "^error unknown_field [$]\.fido\.requird: .*did you mean \"required\"" "$P" policy check "$WORK/bad.json"
for want in "rule_needs_pcr [$].secure_boot_required: .*needs PCR 7" \
  "grace_never_graceable [$].enforcement.grace.fido_missing" "grace_duration_invalid [$].enforcement.grace.pcr_mismatch"; do
  grep -qE "^error $want" "$WORK/last.out" || die "check missed '$want': $(cat "$WORK/last.out")"
done
ok "errors: exit 1, every error with its path"
expect_rc 1 "$P" policy check - <"$WORK/bad.json"
grep -q "^error unknown_field" "$WORK/last.out" || die "stdin: $(cat "$WORK/last.out")"
expect_rc 0 "$P" policy check - <"$WORK/good.json"
ok "- reads standard input"
expect_rc 1 "$P" policy check "$WORK/bad.json" --json
python3 - "$WORK/last.out" <<'EOF' || die "--json: $(cat "$WORK/last.out")"
import json, sys
f = json.load(open(sys.argv[1]))
assert isinstance(f, list) and len(f) == 4, f
assert {x["severity"] for x in f} == {"error"}, f
assert {x["code"] for x in f} == {"unknown_field", "rule_needs_pcr", "grace_never_graceable", "grace_duration_invalid"}, f
assert all(x["path"].startswith("$") and x["message"] for x in f), f
EOF
expect_rc 0 "$P" policy check "$WORK/warn.json" --json
python3 -c 'import json,sys; f=json.load(open(sys.argv[1])); assert [x["severity"] for x in f]==["warning"], f' \
  "$WORK/last.out" || die "--json warnings: $(cat "$WORK/last.out")"
printf '{"schema": 2, "rules": []}' >"$WORK/newer.json"
expect_out 1 "^error schema_unknown [$]\.schema: policy schema 2 is unknown" "$P" policy check "$WORK/newer.json"
printf 'not json' >"$WORK/junk.json"
expect_out 1 "^error json_invalid" "$P" policy check "$WORK/junk.json"
ok "--json prints the findings; schema 2 and non-JSON are errors"
expect_rc 2 "$P" policy check
expect_rc 2 "$P" policy check "$WORK/a" "$WORK/b"
expect_rc 2 "$P" policy check "$WORK/missing.json"
grep -q "cannot read policy" "$WORK/last.err" || die "unreadable file: $(cat "$WORK/last.err")"
head -c $((9 * 1024 * 1024)) /dev/zero | tr '\0' ' ' >"$WORK/huge.json"
expect_rc 2 "$P" policy check - <"$WORK/huge.json"
ok "usage and unreadable input: exit 2"

step "policy set refuses what check calls an error"
paw_start_swtpm
paw_verifier_init
paw_verifier_start 0
C=(--verifier "$VERIFIER_URL" --ca-file "$VERIFIER_CA" --credential-file "$WORK/admin.cred")
expect_rc 0 "$P" policy set lab "$WORK/good.json" "${C[@]}"
expect_rc 0 "$P" policy show lab --json "${C[@]}"
[ "$(json_get "$WORK/last.out" version)" = 1 ] || die "first version: $(cat "$WORK/last.out")"
[ "$(json_get "$WORK/last.out" schema)" = 1 ] || die "no schema: $(cat "$WORK/last.out")"
cp "$WORK/last.out" "$WORK/lab-before.json"
expect_rc 2 "$P" policy set lab "$WORK/bad.json" "${C[@]}"
grep -q "^error unknown_field \$.fido.requird" "$WORK/last.err" || die "set: no findings: $(cat "$WORK/last.err")"
grep -q "not a valid policy" "$WORK/last.err" || die "set: $(cat "$WORK/last.err")"
ok "pawctl policy set: refused before sending, findings on stderr"
code=$(curl -s -o "$WORK/put.json" -w '%{http_code}' --cacert "$VERIFIER_CA" -X PUT \
  -H "Authorization: Bearer $(cat "$WORK/admin.cred")" --data-binary @"$WORK/bad.json" \
  "$VERIFIER_URL/v1/admin/policies/lab")
[ "$code" = 400 ] || die "admin API took the policy: $code $(cat "$WORK/put.json")"
python3 - "$WORK/put.json" <<'EOF' || die "400 body: $(cat "$WORK/put.json")"
import json, sys
b = json.load(open(sys.argv[1]))
assert b["error"] == "malformed", b
assert "4 error(s)" in b["message"], b
assert {x["code"] for x in b["findings"]} == {"unknown_field", "rule_needs_pcr", "grace_never_graceable", "grace_duration_invalid"}, b
EOF
expect_rc 0 "$P" policy show lab --json "${C[@]}"
cmp -s "$WORK/last.out" "$WORK/lab-before.json" || die "a refused PUT changed the policy: $(cat "$WORK/last.out")"
ok "admin API: 400 malformed with the findings; the stored policy is unchanged"
expect_rc 0 "$P" policy set lab "$WORK/warn.json" "${C[@]}"
grep -q "^warning reference_set_expired" "$WORK/last.err" || die "set: warning not shown: $(cat "$WORK/last.err")"
expect_rc 0 "$P" policy show lab --json "${C[@]}"
[ "$(json_get "$WORK/last.out" version)" = 2 ] || die "warned policy not stored: $(cat "$WORK/last.out")"
ok "warnings do not refuse: stored as version 2, warning on stderr"

echo "policy_check_test: ok"
