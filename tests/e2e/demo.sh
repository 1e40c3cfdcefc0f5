#!/usr/bin/env bash
# The end-to-end demo (tools/demo.sh runs it after building; the README's
# first command). Real parts only: swtpm with an EK certificate from its local
# CA, the software FIDO2 key behind libfido2, paw-verifier (TLS, SQLite),
# pawctl and paw-agent. It shows a healthy attestation that lets a login
# through — bound to the workstation's TPM login key, so a stolen token alone
# is refused — then two denials with their reasons — the FIDO2 key unplugged,
# and a PCR changed — then the fleet console's page on the same port, and
# stops everything it started (printing the console URL and how to sign in). Exit 0 only if every step
# behaved as described.
#
#   bash tests/e2e/demo.sh [BUILD_DIR]       (default: build)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
PAW_BUILD_DIR=${1:-${PAW_BUILD_DIR:-build}}
# shellcheck source=lib.sh
source "$here/lib.sh"

# show CMD...: print the command as a user would type it, run it, indent its output.
show() {
  local shown="$*" rc=0
  shown=${shown//$PAW_BUILD_DIR\/agent\//}
  shown=${shown//$PAW_BUILD_DIR\/tools\/pawctl\//}
  shown=${shown//$PAW_BUILD_DIR\/verifier\//}
  shown=${shown//$WORK\//}
  printf '   $ %s\n' "$shown"
  "$@" >"$WORK/show.out" 2>&1 || rc=$?
  sed 's/^/     /' "$WORK/show.out"
  return $rc
}
# pawctl / agent as the demo shows them (short flags hidden in the config/env).
demo_pawctl() { show "$PAWCTL_BIN" "$@" --verifier "$VERIFIER_URL" --ca-file "$VERIFIER_CA" --credential-file "$WORK/admin.cred"; }
demo_agent() { show "$PAW_AGENT_BIN" "$@" --config "$WORK/agent.conf"; }
must_contain() { grep -q -- "$2" "$1" || die "expected '$2' in: $(cat "$1")"; }

paw_setup
say "paw demo — work folder $WORK (removed at the end)"

step "1. Start a software TPM (swtpm) with an EK certificate from its local CA"
paw_start_swtpm
say "   swtpm pid $SWTPM_PID, TCTI $SWTPM_TCTI"
nv=$(tpm2_nvreadpublic -T "$SWTPM_TCTI" | grep -E '^0x1c000' | tr -d ':' | tr '\n' ' ' || true)
[ -n "$nv" ] || die "swtpm has no EK certificate in NV"
say "   EK certificates in NV: $nv"
say "   manufacturer CA (trusted by the verifier): $SWTPM_CA_DIR"
ok "TPM up, EK certified"

step "2. The FIDO2 security key (software authenticator behind libfido2)"
say "   device virtual:$WORK/fido.state — removing that file unplugs the key"
ok "key ready"

step "3. Initialise and start the verifier (SQLite, TLS)"
show "$PAW_VERIFIER_BIN" init --state "$WORK/verifier" >/dev/null || die "paw-verifier init failed"
# The admin credential init printed goes to a 0600 file, never to argv.
(umask 077; sed -n 's/^admin credential: //p' "$WORK/show.out" >"$WORK/admin.cred")
[ -s "$WORK/admin.cred" ] || die "no admin credential from init"
VERIFIER_CA=$WORK/verifier/tls/cert.pem
# The web console's origin is this address; WebAuthn wants the FIDO2 rpId to be
# its host, so rp-id is localhost (docs/console.md).
CONSOLE_PORT=$(paw_free_port)
paw_verifier_start "$CONSOLE_PORT" --rp-id localhost --console-origin "https://localhost:$CONSOLE_PORT"
say "   paw-verifier pid $VERIFIER_PID listening on $VERIFIER_URL (certificate: verifier/tls/cert.pem)"
curl -sf --cacert "$VERIFIER_CA" "$VERIFIER_URL/healthz" >/dev/null || die "verifier /healthz failed"
ok "verifier answers over TLS"

step "4. Policy: pin PCRs 0, 2, 4, 7 at the first healthy attestation; FIDO2 presence required; logins prove the TPM login key"
PAW_TOKEN_BINDING=pop paw_demo_policy 600
say "   (swtpm has no firmware: no measured-boot log, no Secure Boot — the demo policy leaves those out)"
pawctl_admin policy show default >"$WORK/policy.out" || die "pawctl policy show failed"
grep -q '"pin_on_enroll": *true' "$WORK/policy.out" || die "policy does not pin PCRs"
grep -q '"event_log_required": *false' "$WORK/policy.out" || die "policy was not stored"
say "   $ pawctl policy set default policy-demo.json   (version $(json_get "$WORK/policy.out" version))"
ok "policy 'default' stored"

step "5. An admin creates a single-use enrollment token"
demo_pawctl token create --ttl 15m --label demo-workstation --owner alice@example.test || die "pawctl token create failed"
token=$(sed -n 's/^token: //p' "$WORK/show.out")
[ -n "$token" ] || die "no token printed"
ok "token issued"

step "6. The workstation enrolls (EK certificate, new AK, TPM login key certified by the AK, FIDO2 credential, credential activation)"
paw_agent_config 300
demo_agent enroll --token "$token" || die "paw-agent enroll failed"
must_contain "$WORK/show.out" "status enrolled"
DEVICE_ID=$(sed -n 's/^enrolled: device \([^ ]*\) .*/\1/p' "$WORK/show.out")
[ -n "$DEVICE_ID" ] || die "no device id"
demo_pawctl devices list || die "pawctl devices list failed"
must_contain "$WORK/show.out" "$DEVICE_ID"
say "   login key (made in the TPM, usable only there): agent/login-key.pem: $(head -1 "$WORK/agent/login-key.pem")"
grep -q "BEGIN TSS2 PRIVATE KEY" "$WORK/agent/login-key.pem" || die "no TPM login key file"
ok "device $DEVICE_ID enrolled to alice@example.test"

step "7. Attest: quote over the PCRs + FIDO2 assertion → healthy, result token issued"
rc=0; demo_agent attest || rc=$?
[ "$rc" = 0 ] || die "paw-agent attest exited $rc, expected 0 (healthy)"
must_contain "$WORK/show.out" "verdict: healthy"
[ -s "$WORK/run/token" ] || die "no token file"
say "   token file run/token: $(cut -c1-40 "$WORK/run/token")…"
show openssl x509 -in "$WORK/agent/login-cert.pem" -noout -subject -enddate -ext subjectAltName ||
  die "no login certificate"
must_contain "$WORK/show.out" "URI:urn:paw:device:$DEVICE_ID"
must_contain "$WORK/show.out" "email:alice@example.test"
show ssh-keygen -L -f "$WORK/agent/login-key-cert.pub" || die "no SSH certificate"
must_contain "$WORK/show.out" "paw:device:$DEVICE_ID"
ok "healthy: token, X.509 login certificate and SSH certificate, all for the TPM login key, all expiring with the token"

step "8. The login flow asks the verifier"
demo_pawctl rp-credential create --label demo-idp || die "rp-credential create failed"
(umask 077; sed -n 's/^relying-party credential: //p' "$WORK/show.out" >"$WORK/rp.cred")
rc=0; show "$PAWCTL_BIN" health "$DEVICE_ID" --max-age 300 --verifier "$VERIFIER_URL" --ca-file "$VERIFIER_CA" \
  --rp-credential-file "$WORK/rp.cred" || rc=$?
[ "$rc" = 0 ] || die "health query denied a healthy device (exit $rc)"
must_contain "$WORK/show.out" "^allow"
# pop_authz TOKEN: GET /v1/authz with the token alone (no proof of the key), as a thief would.
pop_authz() {
  curl -s -o "$WORK/authz.out" -w '%{http_code}' --cacert "$VERIFIER_CA" -H "Authorization: DPoP $1" "$VERIFIER_URL/v1/authz"
}
rc=0; show "$PAW_AGENT_BIN" curl --config "$WORK/agent.conf" "$VERIFIER_URL/v1/authz" --cacert "$VERIFIER_CA" -s -o /dev/null -w '%{http_code}\n' || rc=$?
say "   (paw-agent curl sends the token with a DPoP proof signed by the TPM login key, as nginx auth_request would pass it)"
must_contain "$WORK/show.out" "^204"
ok "login allowed"
healthy_token=$(cat "$WORK/run/token")
code=$(pop_authz "$healthy_token")
say "   the same token copied to another machine, without the TPM key: GET /v1/authz → HTTP $code $(cat "$WORK/authz.out")"
[ "$code" = 401 ] || die "a stolen token alone got $code, expected 401"
must_contain "$WORK/authz.out" dpop_missing
ok "stolen token refused: dpop_missing"
cp "$WORK/run/token" "$WORK/healthy.token"

step "9. Denial 1: the FIDO2 key is unplugged"
mv "$WORK/fido.state" "$WORK/fido.state.unplugged"
say "   (moved the key's state file away)"
rc=0; demo_agent attest || rc=$?
[ "$rc" = 1 ] || die "paw-agent attest exited $rc, expected 1 (unhealthy)"
must_contain "$WORK/show.out" "verdict: unhealthy"
must_contain "$WORK/show.out" "reason: fido_missing"
rc=0; show "$PAWCTL_BIN" health "$DEVICE_ID" --max-age 300 --verifier "$VERIFIER_URL" --ca-file "$VERIFIER_CA" \
  --rp-credential-file "$WORK/rp.cred" || rc=$?
[ "$rc" = 1 ] || die "health query allowed a device without its key (exit $rc)"
must_contain "$WORK/show.out" "fido_missing"
rc=0; show "$PAW_AGENT_BIN" curl --config "$WORK/agent.conf" --token-file "$WORK/healthy.token" "$VERIFIER_URL/v1/authz" --cacert "$VERIFIER_CA" -s -o /dev/null -w '%{http_code}\n' || rc=$?
say "   (the earlier healthy token, with a valid proof of the TPM key)"
must_contain "$WORK/show.out" "^403"
[ ! -e "$WORK/run/token" ] || die "the token file should be gone while unhealthy"
ok "login denied: fido_missing"
mv "$WORK/fido.state.unplugged" "$WORK/fido.state"
say "   key plugged back in:"
rc=0; demo_agent attest || rc=$?
[ "$rc" = 0 ] || die "attest after plugging the key back exited $rc, expected 0"
ok "healthy again"

step "10. Denial 2: a PCR changes (a measurement extended into swtpm's PCR 7)"
digest=$(printf 'demo: an unexpected boot component' | sha256sum | cut -d' ' -f1)
show tpm2_pcrextend -T "$SWTPM_TCTI" "7:sha256=$digest" || die "tpm2_pcrextend failed"
rc=0; demo_agent attest || rc=$?
[ "$rc" = 1 ] || die "paw-agent attest exited $rc, expected 1 (unhealthy)"
must_contain "$WORK/show.out" "reason: pcr_mismatch"
rc=0; show "$PAWCTL_BIN" health "$DEVICE_ID" --max-age 300 --verifier "$VERIFIER_URL" --ca-file "$VERIFIER_CA" \
  --rp-credential-file "$WORK/rp.cred" || rc=$?
[ "$rc" = 1 ] || die "health query allowed a device with a changed PCR (exit $rc)"
must_contain "$WORK/show.out" "pcr_mismatch"
ok "login denied: pcr_mismatch"

step "11. What the verifier recorded"
demo_pawctl events --limit 200 >/dev/null || die "pawctl events failed"
grep -E ' (enrollment|verdict_change) ' "$WORK/show.out" | sed 's/^/     /' | cut -c1-150
must_contain "$WORK/show.out" "verdict_change"

step "12. The fleet console (read-only, FIDO2 sign-in) on the same port"
curl -s -D "$WORK/console.head" -o "$WORK/console.html" --cacert "$VERIFIER_CA" "$VERIFIER_URL/" ||
  die "GET / failed"
must_contain "$WORK/console.html" "paw fleet console"
must_contain "$WORK/console.head" "Content-Security-Policy: default-src 'self'"
code=$(curl -s -o /dev/null -w '%{http_code}' --cacert "$VERIFIER_CA" "$VERIFIER_URL/v1/admin/devices")
[ "$code" = 401 ] || die "the console's data API answered $code without a session"
say "   GET $VERIFIER_URL/ → the console page (strict CSP); its data API without a session → HTTP $code"
ok "console served; data only after signing in"

step "13. Stop everything the demo started"
pids=("${PAW_PIDS[@]}")
for ((i = ${#PAW_PIDS[@]} - 1; i >= 0; i--)); do paw_kill "${PAW_PIDS[$i]}"; done
PAW_PIDS=()
for p in "${pids[@]}"; do
  if kill -0 "$p" 2>/dev/null; then die "pid $p still running"; fi
done
say "   stopped pids ${pids[*]}"
ok "nothing left running"

say ""
say "demo: ok — enrolled with a TPM login key, healthy (login with proof of that key allowed, the token alone refused), FIDO2 key unplugged (denied: fido_missing), PCR 7 changed (denied: pcr_mismatch)"
say ""
say "fleet console: this demo's verifier served it at https://localhost:$CONSOLE_PORT/ (stopped now with the rest)."
say "  On your own verifier: paw-verifier run --state DIR --rp-id localhost --console-origin https://localhost:8443"
say "  register your FIDO2 key as an admin:  pawctl admin add NAME   (touch the key; see docs/pawctl.md)"
say "  then open https://localhost:8443/ (trust DIR/tls/cert.pem in the browser), type NAME, press"
say "  \"Sign in with security key\" and touch the key (docs/console.md)."
