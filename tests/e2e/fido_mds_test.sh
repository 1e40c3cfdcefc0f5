#!/usr/bin/env bash
# pawctl fido roots import against FIDO Metadata Service BLOBs built here with
# our own signing chain (OpenSSL): a good BLOB writes one root file per model
# and skips a revoked model; a tampered BLOB, a BLOB under another root, the
# pinned real MDS root (GlobalSign R3) for our BLOB, and an older BLOB are
# refused with nothing written. Then the real verifier reads the folder:
# a policy may allowlist an imported model, not a revoked or unknown one.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib.sh
source "$here/lib.sh"
paw_setup
P=$PAWCTL_BIN
M=$WORK/mds
mkdir -p "$M"
cd "$M"

b64url() { openssl base64 -A | tr '+/' '-_' | tr -d '='; }
der_b64() { openssl x509 -in "$1" -outform DER | openssl base64 -A; }
ca() {  # ca NAME: a self-signed CA (EC P-256)
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$1.key" -out "$1.pem" \
    -subj "/CN=$1" -days 30 -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign \
    2>/dev/null
}
ca mds-root
ca other-root
ca vendor-a-root
ca vendor-b-root
# The BLOB signer: RSA 2048 (RS256, as the real MDS), issued by mds-root.
openssl req -newkey rsa:2048 -nodes -keyout signer.key -out signer.csr -subj "/CN=MDS test signer" 2>/dev/null
printf 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\n' >signer.ext
openssl x509 -req -in signer.csr -CA mds-root.pem -CAkey mds-root.key -CAcreateserial -days 30 -extfile signer.ext \
  -out signer.pem 2>/dev/null

AAGUID_A=2fc0579f-8113-47ea-b116-bb5a8db9202a
AAGUID_B=00112233-4455-6677-8899-aabbccddeeff
payload() {  # payload NO
  cat <<JSON
{"legalHeader":"test","no":$1,"nextUpdate":"2099-01-01","entries":[
 {"aaguid":"$AAGUID_A","metadataStatement":{"description":"Vendor A key","attestationRootCertificates":["$(der_b64 vendor-a-root.pem)"]},
  "statusReports":[{"status":"FIDO_CERTIFIED_L1","effectiveDate":"2024-01-01"}],"timeOfLastStatusChange":"2024-01-01"},
 {"aaguid":"$AAGUID_B","metadataStatement":{"description":"Vendor B key","attestationRootCertificates":["$(der_b64 vendor-b-root.pem)"]},
  "statusReports":[{"status":"FIDO_CERTIFIED"},{"status":"REVOKED"}]},
 {"attestationCertificateKeyIdentifiers":["0123456789abcdef0123456789abcdef01234567"],
  "metadataStatement":{"description":"a U2F key","attestationRootCertificates":[]}}
]}
JSON
}
blob() {  # blob NO KEY > file: a JWS signed with KEY, x5c = signer
  local h p s
  h=$(printf '{"alg":"RS256","typ":"JWT","x5c":["%s"]}' "$(der_b64 signer.pem)" | b64url)
  p=$(payload "$1" | b64url)
  s=$(printf '%s.%s' "$h" "$p" | openssl dgst -sha256 -sign "$2" | b64url)
  printf '%s.%s.%s\n' "$h" "$p" "$s"
}
blob 7 signer.key >blob7.jwt
blob 6 signer.key >blob6.jwt

# --- a good BLOB under the admin's root: one file per model, revoked model skipped
expect_rc 0 "$P" fido roots import blob7.jwt --root mds-root.pem --out "$M/roots"
grep -q "imported the attestation roots of 1 FIDO2 models" "$WORK/last.out" || die "import: $(cat "$WORK/last.out")"
grep -q "skipped $AAGUID_B (REVOKED)" "$WORK/last.out" || die "revoked model not reported: $(cat "$WORK/last.out")"
[ -f "roots/$AAGUID_A.pem" ] || die "no root file for model A"
[ ! -e "roots/$AAGUID_B.pem" ] || die "a revoked model got a root file"
cmp <(openssl x509 -in "roots/$AAGUID_A.pem" -outform DER) <(openssl x509 -in vendor-a-root.pem -outform DER) ||
  die "model A's root is not vendor A's"
[ "$(head -1 roots/mds-serial)" = 7 ] || die "serial not recorded"
echo "ok: BLOB verified, one root file per model, revoked model skipped"

refused() {  # refused PATTERN ARGS...: exit 1, message, nothing written to $M/fresh
  local pat=$1
  shift
  expect_rc 1 "$P" "$@"
  grep -qE -- "$pat" "$WORK/last.err" || die "'$*': stderr lacks /$pat/: $(cat "$WORK/last.err")"
  [ -z "$(ls -A "$M/fresh" 2>/dev/null)" ] || die "'$*' wrote files although refused"
  echo "ok: refused: $(head -1 "$WORK/last.err" | cut -c1-120)"
}
# --- tampered: model B's status rewritten in the payload, signature kept
python3 - blob7.jwt >tampered.jwt <<'PY'
import base64, sys
h, p, s = open(sys.argv[1]).read().strip().split(".")
payload = base64.urlsafe_b64decode(p + "=" * (-len(p) % 4)).replace(b'"REVOKED"', b'"FIDO_CERTIFIED"')
print(".".join([h, base64.urlsafe_b64encode(payload).decode().rstrip("="), s]))
PY
refused "signature does not verify" fido roots import tampered.jwt --root mds-root.pem --out "$M/fresh"
# --- signed by a key the header's certificate does not hold
blob 7 vendor-a-root.key >wrongkey.jwt
refused "signature does not verify" fido roots import wrongkey.jwt --root mds-root.pem --out "$M/fresh"
# --- a chain to another root than the one the admin trusts, and to the pinned real MDS root
refused "MDS BLOB signer" fido roots import blob7.jwt --root other-root.pem --out "$M/fresh"
refused "MDS BLOB signer" fido roots import blob7.jwt --out "$M/fresh"
# --- not a BLOB at all
printf 'not.a.blob\n' >junk.jwt
expect_rc 1 "$P" fido roots import junk.jwt --root mds-root.pem --out "$M/fresh"
grep -q "MDS BLOB" "$WORK/last.err" || die "junk: $(cat "$WORK/last.err")"
# --- an older BLOB (it may predate a revocation) into the same folder
expect_rc 1 "$P" fido roots import blob6.jwt --root mds-root.pem --out "$M/roots"
grep -q "older than the one imported last" "$WORK/last.err" || die "older BLOB: $(cat "$WORK/last.err")"
[ "$(head -1 roots/mds-serial)" = 7 ] || die "older BLOB changed the serial"
echo "ok: tampered, wrong key, wrong root, pinned root, junk and older BLOBs refused"

# --- the real verifier reads the folder: allowlists only for models it has roots for
cd "$WORK"
paw_start_swtpm
paw_verifier_init
paw_verifier_start 0 --fido-ca-dir "$M/roots"
policy() {  # policy AAGUID > file
  printf '{"pcrs":{"required":{"sha256":[7]},"pin_on_enroll":true},"secure_boot_required":false,"event_log_required":false,'
  printf '"host":{"disk_encryption_required":false},"fido":{"required":true,"aaguid_allowlist":["%s"]}}\n' "$1"
}
policy "$AAGUID_A" >"$WORK/policy-a.json"
policy "$AAGUID_B" >"$WORK/policy-b.json"
C=(--verifier "$VERIFIER_URL" --ca-file "$VERIFIER_CA" --credential-file "$WORK/admin.cred")
expect_rc 0 "$P" policy set models "$WORK/policy-a.json" "${C[@]}"
expect_rc 1 "$P" policy set models "$WORK/policy-b.json" "${C[@]}"
grep -q "no attestation root in --fido-ca-dir covers AAGUID $AAGUID_B" "$WORK/last.err" ||
  die "allowlisting a revoked model: $(cat "$WORK/last.err")"
echo "ok: the verifier allowlists imported models only"
echo "fido_mds_test: ok"
