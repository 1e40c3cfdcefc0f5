#!/usr/bin/env bash
# verify_quote_test.sh — anyone can check a quote made by tpm2-tools with
# `pawctl verify-quote`, and an EK certificate with `pawctl verify-ek`
# (the commands of docs/verify-quote.md, against a private swtpm).
set -euo pipefail
src=${PAW_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
pawctl=${PAW_BUILD_DIR:?PAW_BUILD_DIR must name the build folder}/tools/pawctl/pawctl
work=$(mktemp -d)
# shellcheck source=../support/swtpm.sh
source "$src/tests/support/swtpm.sh"
trap 'swtpm_stop; rm -rf "$work"' EXIT
swtpm_start "$work/tpm"
export TPM2TOOLS_TCTI=$SWTPM_TCTI
cd "$work"
fails=0
ok() { echo "ok: $*"; }
bad() { echo "FAIL: $*" >&2; fails=$((fails + 1)); }

# expect_pass DESC CMD...: the command exits 0 and prints a summary.
expect_pass() {
  local desc=$1; shift
  if out=$("$@" 2>&1); then ok "$desc: $out"; else bad "$desc: $out"; fi
}
# expect_fail DESC CHECK CMD...: the command exits non-zero naming CHECK.
expect_fail() {
  local desc=$1 check=$2; shift 2
  if out=$("$@" 2>&1); then bad "$desc: accepted: $out"; return; fi
  case "$out" in *"$check"*) ok "$desc: $out" ;; *) bad "$desc: wanted $check, got: $out" ;; esac
}

flush() { tpm2_flushcontext -t; }
tpm2_createek -c ek.ctx -G rsa -u ek.pub >/dev/null; flush
tpm2_createak -C ek.ctx -c ak.ctx -G rsa -g sha256 -s rsassa -u ak.pub -n ak.name >/dev/null; flush
tpm2_readpublic -c ak.ctx -f pem -o ak.pem >/dev/null; flush
tpm2_createak -C ek.ctx -c akecc.ctx -G ecc -g sha256 -s ecdsa -u akecc.pub -n akecc.name >/dev/null; flush
tpm2_createak -C ek.ctx -c akpss.ctx -G rsa -g sha256 -s rsapss -u akpss.pub -n akpss.name >/dev/null; flush
tpm2_pcrextend 16:sha256=00000000000000000000000000000000000000000000000000000000000000aa >/dev/null

nonce=$(tpm2_getrandom --hex 16)
tpm2_quote -c ak.ctx -l sha1:0,16+sha256:0,1,16 -q "$nonce" -m q.msg -s q.sig -o q.pcrs >/dev/null; flush
tpm2_quote -c akecc.ctx -l sha256:0,7,16 -q "$nonce" -m e.msg -s e.sig -o e.pcrs >/dev/null; flush
tpm2_quote -c akpss.ctx -l sha256:16 -q "$nonce" -m p.msg -s p.sig -o p.pcrs --scheme rsapss >/dev/null; flush

expect_pass "RSA AK (TPM2B_PUBLIC), sha1+sha256 banks" \
  "$pawctl" verify-quote --ak ak.pub --message q.msg --signature q.sig --pcrs q.pcrs --nonce "$nonce"
expect_pass "RSA AK as PEM" \
  "$pawctl" verify-quote --ak ak.pem --message q.msg --signature q.sig --pcrs q.pcrs --nonce "$nonce" --pcr-bank sha256
expect_pass "ECC AK" "$pawctl" verify-quote --ak akecc.pub --message e.msg --signature e.sig --pcrs e.pcrs --nonce "$nonce"
expect_pass "RSAPSS AK" "$pawctl" verify-quote --ak akpss.pub --message p.msg --signature p.sig --pcrs p.pcrs --nonce "$nonce"

# One-byte mutations, each caught by its own check.
cp q.msg m.msg; printf '\x01' | dd of=m.msg bs=1 seek=40 conv=notrunc status=none
expect_fail "flipped message byte" bad_signature \
  "$pawctl" verify-quote --ak ak.pub --message m.msg --signature q.sig --pcrs q.pcrs --nonce "$nonce"
cp q.sig m.sig; printf '\x00' | dd of=m.sig bs=1 seek=100 conv=notrunc status=none
expect_fail "flipped signature byte" bad_signature \
  "$pawctl" verify-quote --ak ak.pub --message q.msg --signature m.sig --pcrs q.pcrs --nonce "$nonce"
expect_fail "other AK" bad_signature \
  "$pawctl" verify-quote --ak akpss.pub --message q.msg --signature q.sig --pcrs q.pcrs --nonce "$nonce"
expect_fail "wrong nonce" nonce_mismatch \
  "$pawctl" verify-quote --ak ak.pub --message q.msg --signature q.sig --pcrs q.pcrs --nonce 00"$nonce"
# PCR file: first digest byte of the first TPML_DIGEST (offset 132 + 4 + 4 + 2).
cp q.pcrs m.pcrs; printf '\x5a' | dd of=m.pcrs bs=1 seek=142 conv=notrunc status=none
expect_fail "changed PCR value" pcr_digest_mismatch \
  "$pawctl" verify-quote --ak ak.pub --message q.msg --signature q.sig --pcrs m.pcrs --nonce "$nonce"
expect_fail "PCRs of another quote" pcr_selection_mismatch \
  "$pawctl" verify-quote --ak ak.pub --message q.msg --signature q.sig --pcrs e.pcrs --nonce "$nonce"
expect_fail "bank not quoted" pcr_selection_mismatch \
  "$pawctl" verify-quote --ak akecc.pub --message e.msg --signature e.sig --pcrs e.pcrs --nonce "$nonce" --pcr-bank sha1
head -c 100 q.sig >t.sig
expect_fail "truncated signature" malformed \
  "$pawctl" verify-quote --ak ak.pub --message q.msg --signature t.sig --pcrs q.pcrs --nonce "$nonce"

# EK certificate from NV, chained to swtpm's local CA, matching the EK.
tpm2_nvread 0x1c00002 -o ekcert.der 2>/dev/null
mkdir -p cas && cp "$SWTPM_CA_DIR"/*cert.pem cas/
expect_pass "swtpm EK certificate" "$pawctl" verify-ek --ca-dir cas --ek-pub ek.pub ekcert.der
expect_fail "EK certificate vs Google CAs" untrusted_chain \
  "$pawctl" verify-ek --ca-dir "${PAW_TEST_DATA_DIR:-$src/tests/data}/go-tpm-tools/server/ca-certs" ekcert.der
expect_fail "EK certificate vs another key" cert_invalid "$pawctl" verify-ek --ca-dir cas --ek-pub ak.pub ekcert.der

[ "$fails" -eq 0 ] || { echo "$fails check(s) failed" >&2; exit 1; }
echo "verify_quote_test: all checks passed"
