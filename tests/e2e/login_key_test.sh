#!/usr/bin/env bash
# The login key end to end with real parts (swtpm, paw-verifier, paw-agent,
# pawctl, openssl with the tpm2 provider): enrollment creates login-key.pem
# (mode 0600) and the verifier shows its thumbprint; the same file works with
# `openssl pkey/dgst -provider tpm2`; attestation proves the key each time —
# another TPM key in its place is unhealthy (login_key_bad_signature), no key
# is unhealthy (login_key_missing), the right key is healthy again; a device
# that has a login key cannot swap it with `enroll --add-login-key`.
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
paw_enroll login-key
key=$WORK/agent/login-key.pem

grep -q "^login key: $key (jkt " "$WORK/enroll.out" || die "enroll did not report the login key: $(cat "$WORK/enroll.out")"
jkt=$(sed -n 's/^login key: .*(jkt \(.*\))$/\1/p' "$WORK/enroll.out")
[ "$(stat -c %a "$key")" = 600 ] || die "login-key.pem is not mode 0600"
head -1 "$key" | grep -q -- "-----BEGIN TSS2 PRIVATE KEY-----" || die "not a TSS2 PRIVATE KEY PEM"
pawctl_admin devices show "$DEVICE_ID" >"$WORK/show.out"
grep -qE "^  login key +jkt $jkt, certified by the AK" "$WORK/show.out" || die "devices show: $(cat "$WORK/show.out")"
ok "enrolled with login key $jkt, shown by pawctl devices show"

expect_rc 0 agent attest
ok "attestation with the login key proof is healthy"

# The key file through OpenSSL's tpm2 provider, against the same TPM.
export TPM2OPENSSL_TCTI=$SWTPM_TCTI
openssl pkey -provider tpm2 -provider default -in "$key" -pubout -out "$WORK/login.pub" 2>"$WORK/openssl.log" ||
  die "openssl pkey with the tpm2 provider: $(cat "$WORK/openssl.log")"
echo "a login" >"$WORK/data.txt"
openssl dgst -sha256 -provider tpm2 -provider default -propquery '?provider=tpm2' -sign "$key" \
  -out "$WORK/data.sig" "$WORK/data.txt" 2>"$WORK/openssl.log" || die "openssl dgst -sign: $(cat "$WORK/openssl.log")"
openssl dgst -sha256 -verify "$WORK/login.pub" -signature "$WORK/data.sig" "$WORK/data.txt" >/dev/null ||
  die "the tpm2 provider's signature does not verify against the login key"
ok "openssl pkey / dgst -sign with the tpm2 provider use login-key.pem"

reasons() { pawctl_admin devices show "$DEVICE_ID" --json | python3 -c '
import json, sys
print(",".join(r["code"] for r in json.load(sys.stdin)["last_reasons"]))'; }

# Another key in the same TPM in its place: the proof does not verify.
cp -p "$key" "$WORK/login-key.keep"
openssl genpkey -provider tpm2 -algorithm EC -pkeyopt group:P-256 -out "$key" 2>"$WORK/openssl.log" ||
  die "openssl genpkey: $(cat "$WORK/openssl.log")"
chmod 600 "$key"
expect_rc 1 agent attest
[ "$(reasons)" = login_key_bad_signature ] || die "wrong key: reasons $(reasons)"
ok "another TPM key as login-key.pem: unhealthy, login_key_bad_signature"

rm "$key"
expect_rc 1 agent attest
[ "$(reasons)" = login_key_missing ] || die "no key: reasons $(reasons)"
ok "no login-key.pem: unhealthy, login_key_missing"

cp -p "$WORK/login-key.keep" "$key"
expect_rc 0 agent attest
ok "the enrolled login key back: healthy"

expect_rc 2 agent enroll --add-login-key
grep -q "already has a login key" "$WORK/last.err" || die "add-login-key: $(cat "$WORK/last.err")"
cmp -s "$key" "$WORK/login-key.keep" || die "a refused --add-login-key replaced login-key.pem"
ok "enroll --add-login-key on a device with a login key: refused, file unchanged"
