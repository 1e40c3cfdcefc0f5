#!/usr/bin/env bash
# policy_report_test.sh — report-only policies (issue 18) with swtpm, the real
# agent, the software FIDO2 key, the real verifier and pawctl: a stricter
# candidate (a PCR 0 reference no machine has) set with `pawctl policy set
# … --report-on default` changes no answer (healthy, token admitted, the
# device row untouched) but shows in /metrics
# (paw_policy_would_deny_total), the events and `pawctl policy report`;
# `report-mode NAME off` stops it; bad requests say what is wrong.
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
paw_enroll e2e-report
expect_rc 0 agent attest
P=$PAWCTL_BIN
C=(--verifier "$VERIFIER_URL" --ca-file "$VERIFIER_CA" --credential-file "$WORK/admin.cred")
metric() {  # metric: the would-deny counter of strict/pcr_mismatch ("" when absent)
  curl -s --cacert "$VERIFIER_CA" "$VERIFIER_URL/metrics" |
    sed -n 's/^paw_policy_would_deny_total{policy="strict",reason="pcr_mismatch"} //p'
}

step "a stricter candidate in report mode"
python3 - "$WORK/policy-demo.json" "$WORK/strict.json" <<'PY'
import json, sys
p = json.load(open(sys.argv[1]))
p["name"] = "strict"
p["pcrs"]["reference"] = {"sha256": {"0": "aa" * 32}}
json.dump(p, open(sys.argv[2], "w"))
PY
expect_rc 0 "$P" policy set strict "$WORK/strict.json" --report-on default "${C[@]}"
grep -q "policy strict is judged in report mode for the devices of policy default" "$WORK/last.out" ||
  die "set --report-on said: $(cat "$WORK/last.out")"
expect_rc 0 "$P" policy show "${C[@]}"
grep -qE "^strict +1 .* on default" "$WORK/last.out" || die "policy show: $(cat "$WORK/last.out")"
ok "pawctl policy set --report-on attaches the candidate; policy show says so"
[ -z "$(metric)" ] || die "a counter before any judgement"

expect_rc 0 agent attest
token=$(cat "$WORK/run/token")
[ "$(curl_authz "$token")" = 204 ] || die "the report-only policy changed the answer"
pawctl_admin devices show "$DEVICE_ID" --json >"$WORK/show.json"
[ "$(json_get "$WORK/show.json" last_verdict)" = healthy ] || die "device row: $(cat "$WORK/show.json")"
[ "$(json_get "$WORK/show.json" last_reasons)" = "[]" ] || die "device reasons: $(cat "$WORK/show.json")"
[ "$(json_get "$WORK/show.json" policy)" = default ] || die "device policy: $(cat "$WORK/show.json")"
ok "the answer, the token and the device row are the enforced policy's"

[ "$(metric)" = 1 ] || die "paw_policy_would_deny_total: '$(metric)'"
ok "paw_policy_would_deny_total{policy=\"strict\",reason=\"pcr_mismatch\"} 1"

expect_rc 0 "$P" policy report strict --json "${C[@]}"
python3 - "$WORK/last.out" "$DEVICE_ID" <<'PY' || die "policy report --json: $(cat "$WORK/last.out")"
import json, sys
r = json.load(open(sys.argv[1]))
assert r["policy"] == "strict" and r["target"] == "default", r
assert r["devices_judged"] == 1 and r["would_deny"] == 1 and r["would_warn"] == 0, r
assert [x["code"] for x in r["reasons"]] == ["pcr_mismatch"], r
assert r["reasons"][0]["devices"] == [sys.argv[2]], r
d = r["devices"][0]
assert d["device_id"] == sys.argv[2] and d["verdict"] == "unhealthy" and d["enforced_verdict"] == "healthy", d
PY
expect_rc 0 "$P" policy report strict "${C[@]}"
grep -q "devices judged: 1  would deny: 1" "$WORK/last.out" || die "policy report: $(cat "$WORK/last.out")"
grep -qE "^pcr_mismatch +1 +$DEVICE_ID" "$WORK/last.out" || die "policy report reasons: $(cat "$WORK/last.out")"
ok "pawctl policy report: 1 judged, 1 would deny for pcr_mismatch, with the device"

pawctl_admin events --limit 1000 --json >"$WORK/events.json"
python3 - "$WORK/events.json" "$DEVICE_ID" <<'PY' || die "no policy_report event: $(cat "$WORK/events.json")"
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
r = [e for e in ev if e["type"] == "policy_report"]
assert len(r) == 1 and r[0]["device_id"] == sys.argv[2], r
PY
ok "a policy_report event where the verdicts differ"

step "report-mode off"
expect_rc 0 "$P" policy report-mode strict off "${C[@]}"
expect_rc 0 agent attest
[ "$(curl_authz "$(cat "$WORK/run/token")")" = 204 ] || die "healthy token refused"
[ "$(metric)" = 1 ] || die "judged after report-mode off: '$(metric)'"
expect_rc 0 "$P" policy report strict --json "${C[@]}"
[ "$(json_get "$WORK/last.out" target)" = "" ] || die "still attached: $(cat "$WORK/last.out")"
expect_rc 0 "$P" policy report-mode strict default "${C[@]}"
expect_rc 0 agent attest
[ "$(metric)" = 2 ] || die "not judged after report-mode on: '$(metric)'"
ok "off stops the judgement, on again resumes it"

step "bad requests"
expect_rc 1 "$P" policy report-mode strict strict "${C[@]}"
grep -q "cannot report on the devices it enforces" "$WORK/last.err" || die "self target: $(cat "$WORK/last.err")"
expect_rc 1 "$P" policy report-mode strict nope "${C[@]}"
grep -q "target policy nope not found" "$WORK/last.err" || die "unknown target: $(cat "$WORK/last.err")"
expect_rc 1 "$P" policy report nope "${C[@]}"
expect_rc 2 "$P" policy report "${C[@]}"
expect_rc 2 "$P" policy show strict --report-on default "${C[@]}"
expect_rc 2 "$P" policy report-mode 'a/b' off "${C[@]}"
ok "self or unknown target, unknown policy, usage: refused with the reason"
say "policy_report_test: all ok"
