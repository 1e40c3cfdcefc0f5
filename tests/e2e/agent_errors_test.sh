#!/usr/bin/env bash
# paw-agent's failures are clear and exit 2 with their category: bad config,
# not enrolled, missing TPM, missing FIDO2 key, unreachable verifier, a
# certificate that does not verify, a refused token; a key that disappears
# after enrollment makes the verdict unhealthy (exit 1, fido_missing), and
# `status` says what is missing.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib.sh
source "$here/lib.sh"
paw_setup
A=$PAW_AGENT_BIN

# expect_fail WANT_RC PATTERN CMD...: exit code and a stderr line matching PATTERN
expect_fail() {
  local want=$1 pat=$2
  shift 2
  expect_rc "$want" "$@"
  grep -qE -- "$pat" "$WORK/last.err" || die "'$*': stderr lacks /$pat/: $(cat "$WORK/last.err")"
  echo "ok: exit $want, $(head -1 "$WORK/last.err" | cut -c1-140)"
}

# --- configuration
printf 'verifier = https://localhost:1\nbogus = 1\n' >"$WORK/bad.conf"
expect_fail 2 "bad.conf:2: unknown setting 'bogus'" "$A" status --config "$WORK/bad.conf"
expect_fail 2 "does not exist" "$A" attest --config "$WORK/nope.conf"
printf 'interval = soon\n' >"$WORK/bad2.conf"
expect_fail 2 "interval must be a number of seconds" "$A" run --config "$WORK/bad2.conf"
printf 'verifier = ftp://x\n' >"$WORK/bad3.conf"
expect_fail 2 "must be an https:// URL" "$A" enroll --token t --config "$WORK/bad3.conf"
expect_fail 2 "unknown option|--frobnicate" "$A" attest --frobnicate 1 --state-dir "$WORK/x"
expect_fail 2 "enroll needs --token" "$A" enroll --verifier https://localhost:1 --state-dir "$WORK/x"

# the shipped /etc/paw/agent.conf, every setting uncommented, parses (not enrolled: exit 1, not 2)
sed -E 's/^#([a-z-]+ = )/\1/' "$PAW_SOURCE_DIR/installer/config/agent.conf" >"$WORK/shipped.conf"
[ "$(grep -cE '^[a-z-]+ = ' "$WORK/shipped.conf")" -ge 10 ] || die "shipped agent.conf: settings not found"
expect_rc 1 "$A" status --config "$WORK/shipped.conf" --state-dir "$WORK/none" --tcti "swtpm:host=127.0.0.1,port=1"
echo "ok: every setting of installer/config/agent.conf is understood"

# --- the parts
paw_start_swtpm
paw_verifier_init
paw_verifier_start 0
paw_demo_policy 600
paw_agent_config 300
expect_fail 2 "not enrolled" agent attest
expect_rc 1 agent status
grep -q "not enrolled" "$WORK/last.out" || die "status does not say 'not enrolled'"
echo "ok: status before enrollment: not enrolled (exit 1)"

token=$(pawctl_admin token create --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
dead=$(paw_free_port)
expect_fail 2 "enrollment failed \(TPM\)" agent enroll --token "$token" --tcti "swtpm:host=127.0.0.1,port=$dead"
expect_fail 2 "enrollment failed \(FIDO2 key\).*fido_no_device" agent enroll --token "$token" --fido-device /dev/hidraw-paw-missing
expect_fail 2 "enrollment failed \(network\).*cannot reach" agent enroll --token "$token" --verifier "https://localhost:$dead"
expect_fail 2 "enrollment failed \(network\).*TLS" agent enroll --token "$token" --ca-file /etc/ssl/certs/ca-certificates.crt
# host name checked: a server whose (trusted) certificate names another host is refused
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -subj /CN=other.example \
  -addext subjectAltName=DNS:other.example -keyout "$WORK/other.key" -out "$WORK/other.pem" 2>/dev/null
sport=$(paw_free_port)
openssl s_server -accept "127.0.0.1:$sport" -cert "$WORK/other.pem" -key "$WORK/other.key" -www -quiet \
  >/dev/null 2>&1 </dev/null &
paw_track $!
wait_for 10 bash -c "exec 3<>/dev/tcp/127.0.0.1/$sport" || die "openssl s_server did not start"
expect_fail 2 "enrollment failed \(network\).*TLS" agent enroll --token "$token" --verifier "https://localhost:$sport" \
  --ca-file "$WORK/other.pem"
expect_fail 2 "enrollment failed \(verifier\).*token_invalid" agent enroll --token pawenr_0000
grep -q "fresh token" "$WORK/last.err" || die "no hint for a refused token"
[ ! -e "$WORK/agent/enrollment.json" ] || die "a failed enrollment left an enrollment behind"

# --- enrolled; then parts go missing
expect_rc 0 agent enroll --token "$token"
expect_rc 0 agent attest
expect_fail 2 "enrollment failed \(verifier\).*token_invalid" agent enroll --token "$token"
echo "ok: a used token is refused"

# FIDO2 key missing after enrollment: attested without it → unhealthy, exit 1
expect_rc 1 agent attest --fido-device /dev/hidraw-paw-missing
grep -q "reason: fido_missing" "$WORK/last.out" || die "no fido_missing: $(cat "$WORK/last.out")"
grep -q "FIDO2 key: fido_no_device" "$WORK/last.out" || die "no local FIDO2 note: $(cat "$WORK/last.out")"
echo "ok: key missing → exit 1, fido_missing (+ fido_no_device)"
expect_rc 0 agent status --fido-device /dev/hidraw-paw-missing
grep -q "FIDO2 key:     NOT found" "$WORK/last.out" || die "status does not say the key is missing: $(cat "$WORK/last.out")"
grep -q "reason:      fido_missing" "$WORK/last.out" || die "status lacks the last reason"
echo "ok: status: FIDO2 key NOT found, last reason fido_missing"

# TPM gone: exit 2, TPM; --json says so too
paw_kill "$SWTPM_PID"
expect_rc 2 agent attest --json
grep -q '"failure":"TPM"' "$WORK/last.out" || die "attest --json lacks the TPM failure: $(cat "$WORK/last.out")"
grep -q "could not attest (TPM)" "$WORK/last.err" || die "attest stderr lacks the TPM failure"
echo "ok: TPM gone → exit 2 (TPM)"
expect_rc 0 agent status --json
python3 - "$WORK/last.out" <<'PY' || die "status --json: $(cat "$WORK/last.out")"
import json, sys
s = json.load(open(sys.argv[1]))
assert s["tpm_found"] is False and s["fido_key_found"] is True, s
assert s["last_verdict"] == "error" and s["failure"] == "TPM", s
assert s["device_id"] and s["verifier"], s
PY
echo "ok: status --json: tpm_found false, last failure TPM"

# verifier gone: exit 2, network
paw_start_swtpm_again() { swtpm_start "$WORK/tpm" || die "swtpm restart"; paw_track "$SWTPM_PID"; }
paw_start_swtpm_again
sed -i "s|^tcti = .*|tcti = $SWTPM_TCTI|" "$WORK/agent.conf"
paw_verifier_stop
expect_fail 2 "could not attest \(network\)" agent attest
echo "agent_errors_test: ok"
