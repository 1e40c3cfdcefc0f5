#!/usr/bin/env bash
# paw-agent attest keeps the EK between attestations (ek.ctx, docs/tpm.md):
#  1. after enrollment an attestation sends no TPM2_CreatePrimary for the EK
#     (counted in the bytes the agent writes to swtpm, under strace) and opens
#     one TLS connection to the verifier for challenge and evidence;
#  2. junk or another object's context in ek.ctx: the agent re-creates the EK,
#     attests healthy and saves the genuine context again;
#  3. after tpm2_clear the round fails (exit 2, "enroll again") as it did
#     before the EK was kept: the login key does not load; without it, the
#     agent does not use the old EK object but re-creates the EK, and the AK
#     enrolled before the clear does not load. The device's verdict at the
#     verifier is untouched.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib.sh
source "$here/lib.sh"
command -v strace >/dev/null || { echo "agent_ek_cache_test needs strace (apt-get install strace)" >&2; exit 1; }
paw_setup
paw_start_swtpm
paw_verifier_init
paw_verifier_start 0
paw_demo_policy 600
paw_agent_config 300
paw_enroll ek-cache

# traced_attest NAME: paw-agent attest under strace; sets RC, EK_CREATES (TPM2_CreatePrimary
# commands for the endorsement hierarchy: command code 0x131, handle 0x4000000B) and
# VERIFIER_CONNECTS (connect() calls to the verifier's port).
traced_attest() {
  RC=0
  strace -f -qq -xx -s 16 -e trace=write,connect -o "$WORK/$1.trace" \
    "$PAW_AGENT_BIN" attest --config "$WORK/agent.conf" >"$WORK/$1.out" 2>"$WORK/$1.err" || RC=$?
  EK_CREATES=$(grep -c 'x00\\x00\\x01\\x31\\x40\\x00\\x00\\x0b' "$WORK/$1.trace" || true)
  VERIFIER_CONNECTS=$(grep -c "connect(.*htons($VERIFIER_PORT)" "$WORK/$1.trace" || true)
}

[ -f "$WORK/agent/ek.ctx" ] || die "enrollment saved no EK context"
[ "$(stat -c %a "$WORK/agent/ek.ctx")" = 600 ] || die "ek.ctx is not mode 600"

# 1. The kept EK: no CreatePrimary, one TLS connection.
for i in 1 2; do
  traced_attest "attest$i"
  [ "$RC" = 0 ] || die "attest $i exited $RC: $(cat "$WORK/attest$i.err")"
  [ "$EK_CREATES" = 0 ] || die "attest $i sent $EK_CREATES TPM2_CreatePrimary for the EK"
  [ "$VERIFIER_CONNECTS" = 1 ] || die "attest $i opened $VERIFIER_CONNECTS connections to the verifier, want 1"
done
# The trace does see a CreatePrimary when there is one (the owner SRK of the login key).
grep -q 'x00\\x00\\x01\\x31\\x40\\x00\\x00\\x01' "$WORK/attest1.trace" || die "the trace shows no TPM commands"
echo "ok: attest without TPM2_CreatePrimary of the EK, challenge and evidence on one TLS connection"

# 2. Junk, then another object's context (swtpm's own saved AK context) in ek.ctx.
printf 'junk' >"$WORK/agent/ek.ctx"
traced_attest junk
[ "$RC" = 0 ] || die "attest with a junk ek.ctx exited $RC: $(cat "$WORK/junk.err")"
[ "$EK_CREATES" = 1 ] || die "a junk ek.ctx: $EK_CREATES CreatePrimary, want 1"
[ "$(head -c 8 "$WORK/agent/ek.ctx")" = PAWEKCTX ] || die "ek.ctx was not saved again"
T=--tcti=$SWTPM_TCTI
tpm2_createprimary "$T" -C o -G ecc -c "$WORK/other.ctx" >/dev/null
tpm2_flushcontext "$T" -t
python3 - "$WORK/agent/ek.ctx" "$WORK/other.ctx" <<'PY'
# paw's header and the EK's Name, with the context of another object (an owner
# primary saved by tpm2-tools) re-marshaled as ESAPI's TPMS_CONTEXT.
import struct, sys
ek = open(sys.argv[1], 'rb').read()
other = open(sys.argv[2], 'rb').read()
magic, version, hierarchy, handle = struct.unpack('>IIII', other[:16])
assert magic == 0xBADCC0DE, hex(magic)
ctx = other[16:24] + struct.pack('>II', handle, hierarchy) + other[24:]
name_len = struct.unpack('>H', ek[10:12])[0]
open(sys.argv[1], 'wb').write(ek[:12 + name_len] + struct.pack('>I', len(ctx)) + ctx)
PY
traced_attest foreign
[ "$RC" = 0 ] || die "attest with a foreign ek.ctx exited $RC: $(cat "$WORK/foreign.err")"
[ "$EK_CREATES" = 1 ] || die "a foreign ek.ctx: $EK_CREATES CreatePrimary, want 1"
grep -q "ek.ctx was replaced: .*not the EK" "$WORK/foreign.err" || die "no warning about a foreign ek.ctx: $(cat "$WORK/foreign.err")"
traced_attest after-foreign
[ "$EK_CREATES" = 0 ] || die "the EK context was not saved again after a foreign one"
echo "ok: a junk or foreign ek.ctx → EK re-created, healthy, context saved again"

# 3. tpm2_clear: no stale object; the round fails as before the EK was kept.
verdict_of() {
  pawctl_admin devices show "$DEVICE_ID" --json >"$WORK/show.json" 2>>"$WORK/pawctl.log" || die "pawctl devices show"
  json_get "$WORK/show.json" last_verdict
}
verdict_before=$(verdict_of)
[ "$verdict_before" = healthy ] || die "verdict before the clear: $verdict_before"
tpm2_clear "$T" -c p
traced_attest cleared
[ "$RC" = 2 ] || die "attest after tpm2_clear exited $RC, want 2: $(cat "$WORK/cleared.out" "$WORK/cleared.err")"
grep -q "login key does not load" "$WORK/cleared.err" "$WORK/cleared.out" ||
  die "after tpm2_clear the agent did not say the login key does not load: $(cat "$WORK/cleared.err")"
# The login key fails first (it is loaded before the EK); without it the EK
# path itself runs: a new CreatePrimary (the saved context is refused), then
# the AK made before the clear does not load.
mv "$WORK/agent/login-key.pem" "$WORK/login-key.pem.aside"
traced_attest cleared-ek
[ "$RC" = 2 ] || die "attest after tpm2_clear exited $RC, want 2: $(cat "$WORK/cleared-ek.out" "$WORK/cleared-ek.err")"
[ "$EK_CREATES" = 1 ] || die "after tpm2_clear: $EK_CREATES CreatePrimary of the EK, want 1 (the saved context must not load)"
grep -q "attestation key does not load" "$WORK/cleared-ek.err" "$WORK/cleared-ek.out" ||
  die "after tpm2_clear the agent did not say the AK does not load: $(cat "$WORK/cleared-ek.err")"
verdict_after=$(verdict_of)
[ "$verdict_after" = "$verdict_before" ] || die "the device's verdict moved from $verdict_before to $verdict_after"
echo "ok: after tpm2_clear the EK is re-created and the attestation fails (exit 2) as before; verdict still $verdict_after"
echo "agent_ek_cache_test: ok"
