#!/usr/bin/env bash
# make-fixtures.sh — regenerates the swtpm fixtures in this folder (committed so
# unit tests stay pure and run under ASan). Needs swtpm, swtpm-tools, tpm2-tools.
#
#   bash tests/data/tpm/make-fixtures.sh
#
# Produces, from one freshly manufactured swtpm (RSA-2048 + ECC P-384 EK certs
# from a local CA, PCR banks sha1 + sha256):
#   ek_rsa.pub ek_ecc384.pub             TPM2B_PUBLIC of the EKs (tpm2_createek)
#   ek_rsa_cert.der ek_ecc384_cert.der   EK certificates read from NV 0x1c00002 / 0x1c00016
#   ca/                                   swtpm's local CA (root + issuer PEM)
#   ak_{rsa,ecc,pss}.pub ak_*.pem ak_*.name  AKs (TPM2B_PUBLIC, PEM, name) under the RSA EK
#   quote_<case>.{msg,sig,pcrs}          tpm2_quote -m/-s/-o outputs, nonce in NONCE below
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../../.." && pwd)
NONCE=a1b2c3d4e5f60718
work=$(mktemp -d)
trap 'swtpm_stop; rm -rf "$work"' EXIT
# shellcheck source=../../support/swtpm.sh
source "$src/tests/support/swtpm.sh"
swtpm_start "$work/tpm"
export TPM2TOOLS_TCTI=$SWTPM_TCTI
cd "$work"

tpm2_nvread 0x1c00002 2>/dev/null -o "$here/ek_rsa_cert.der"
tpm2_nvread 0x1c00016 2>/dev/null -o "$here/ek_ecc384_cert.der"
rm -rf "$here/ca" && mkdir -p "$here/ca"
cp "$SWTPM_CA_DIR/swtpm-localca-rootca-cert.pem" "$SWTPM_CA_DIR/issuercert.pem" "$here/ca/"

tpm2_createek -c ek384.ctx -G ecc384 -u "$here/ek_ecc384.pub" >/dev/null
tpm2_flushcontext -t
tpm2_createek -c ek.ctx -G rsa -u "$here/ek_rsa.pub" >/dev/null
tpm2_flushcontext -t

# PCR 16 is resettable and debug-only: extend it so quotes cover non-zero values.
tpm2_pcrextend 16:sha1=0000000000000000000000000000000000000001,sha256=0000000000000000000000000000000000000000000000000000000000000001
tpm2_pcrextend 23:sha256=00000000000000000000000000000000000000000000000000000000000000ff

make_ak() {  # make_ak NAME ALG SCHEME
  tpm2_createak -C ek.ctx -c "ak_$1.ctx" -G "$2" -g sha256 -s "$3" -u "$here/ak_$1.pub" -n "$here/ak_$1.name" \
    -r "ak_$1.priv" >/dev/null
  tpm2_flushcontext -t
  tpm2_readpublic -c "ak_$1.ctx" -f pem -o "$here/ak_$1.pem" >/dev/null
  tpm2_flushcontext -t
}
quote() {  # quote AK CASE SELECTION [tpm2_quote options]
  tpm2_quote -c "ak_$1.ctx" -l "$3" "${@:4}" -q "$NONCE" -m "$here/quote_$2.msg" -s "$here/quote_$2.sig" \
    -o "$here/quote_$2.pcrs" >/dev/null
  tpm2_flushcontext -t
}
make_ak rsa rsa rsassa
make_ak ecc ecc ecdsa
make_ak pss rsa rsapss
tpm2_flushcontext -t || true
quote rsa rsa_sha256 sha256:0,1,2,3,16,23
quote rsa rsa_sha1_sha256 sha1:0,1,16+sha256:0,16
quote ecc ecc_sha256 sha256:0,7,16
quote ecc ecc_sha1 sha1:0,16
quote pss pss_sha256 sha256:0,16,23 --scheme rsapss
echo "$NONCE" >"$here/nonce.hex"
echo "fixtures written to $here"
