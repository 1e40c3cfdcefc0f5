#!/usr/bin/env bash
# eventlog_bind_test.sh — event-log facts come only from events the quote
# binds (issue 15, section 1), against the real parts: swtpm, paw-agent
# pointed at a crafted event log, paw-verifier.
#
# swtpm is extended (tools/dev/paw-extend-log) with an honest boot: Secure Boot
# on, and in PCR 4 an approved shim plus an unapproved loader. The policy
# requires Secure Boot, allows only the shim and pins PCRs on the first
# healthy attestation. Each attack sends a log that hides the loader:
#   a. the PCR 4 events left out (the TPM's PCR 4 still holds them);
#   b. a log whose Spec ID declares only SHA-384, a bank the TPM does not quote;
#   c. SHA-1 + SHA-256, one event without its SHA-256 digest and another
#      without its SHA-1 digest (both banks incomplete).
# Before the fix each was judged healthy (and pinned the attacker's PCRs);
# now each is refused with its own code, and the honest log is judged
# unhealthy for the loader it really started; `pawctl devices show` then
# prints the Secure Boot state that log proves.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
EXTEND_BIN=$PAW_BUILD_DIR/tools/dev/paw-extend-log/paw-extend-log
[ -x "$EXTEND_BIN" ] || { echo "missing $EXTEND_BIN: build paw-extend-log" >&2; exit 1; }
paw_setup
paw_start_swtpm
paw_verifier_init
paw_verifier_start

step "crafted logs"
python3 - "$WORK" <<'PY'
import hashlib, struct, sys
work = sys.argv[1]
ALG = {"sha1": 0x4, "sha256": 0xB, "sha384": 0xC}
def H(alg, b): return hashlib.new(alg, b).digest()
def spec_id(algs):
    d = b"Spec ID Event03\0" + struct.pack("<IBBBBI", 0, 0, 2, 0, 2, len(algs))
    for a in algs: d += struct.pack("<HH", ALG[a], hashlib.new(a).digest_size)
    d += b"\0"
    return struct.pack("<II", 0, 3) + b"\0" * 20 + struct.pack("<I", len(d)) + d
def event(pcr, typ, data, digests):
    out = struct.pack("<III", pcr, typ, len(digests))
    for a, v in digests: out += struct.pack("<H", ALG[a]) + v
    return out + struct.pack("<I", len(data)) + data
def utf16(s): return s.encode("utf-16-le")
GLOBAL = bytes.fromhex("61dfe48bca93d211aa0d00e098032b8c")
DB = bytes.fromhex("cbb219d73a3d9645a3bcdad00e67656f")
def var(guid, name, value): return guid + struct.pack("<QQ", len(name), len(value)) + utf16(name) + value
def image_load():  # UEFI_IMAGE_LOAD_EVENT with an end-of-path device path
    return struct.pack("<QQQQ", 0x7e000000, 0x100000, 0, 4) + b"\x7f\xff\x04\x00"
# (pcr, type, data, image or None): image = what an Authenticode digest is over.
boot = [(0, 0x8, utf16("e2e firmware 1.0\0"), None),
        (7, 0x80000001, var(GLOBAL, "SecureBoot", b"\x01"), None),
        (7, 0x80000001, var(GLOBAL, "PK", b"e2e PK"), None),
        (7, 0x80000001, var(GLOBAL, "KEK", b"e2e KEK"), None),
        (7, 0x80000001, var(DB, "db", b"e2e db"), None),
        (7, 0x80000001, var(DB, "dbx", b"e2e dbx"), None)]
boot += [(pcr, 0x4, b"\0\0\0\0", None) for pcr in range(8)]
SHIM, EVIL = b"e2e approved shim image", b"e2e unapproved boot loader image"
boot += [(4, 0x80000003, image_load(), SHIM), (4, 0x80000003, image_load(), EVIL)]
def write(name, algs, events, drop=lambda i, e: [], ):
    out = spec_id(algs)
    for i, e in enumerate(events):
        pcr, typ, data, image = e
        use = [a for a in algs if a not in drop(i, e)]
        out += event(pcr, typ, data, [(a, H(a, image if image else data)) for a in use])
    open(f"{work}/{name}", "wb").write(out)
write("honest.bin", ["sha1", "sha256"], boot)
write("attack-a.bin", ["sha1", "sha256"], [e for e in boot if e[0] != 4])
write("attack-b.bin", ["sha384"], [e for e in boot if e[3] != EVIL])
c = [e for e in boot if e[3] != EVIL]
write("attack-c.bin", ["sha1", "sha256"], c,
      drop=lambda i, e: ["sha256"] if e[0] == 7 and i == 1 else (["sha1"] if e[3] == SHIM else []))
open(f"{work}/shim.sha256", "w").write(hashlib.sha256(SHIM).hexdigest())
open(f"{work}/evil.sha256", "w").write(hashlib.sha256(EVIL).hexdigest())
PY
"$EXTEND_BIN" --tcti "$SWTPM_TCTI" "$WORK/honest.bin" >"$WORK/extend.out" || die "paw-extend-log failed"
ok "swtpm extended with the honest boot ($(cat "$WORK/extend.out"))"

cat >"$WORK/policy.json" <<JSON
{
  "name": "default",
  "pcrs": {"required": {"sha256": [0, 2, 4, 7]}, "pin_on_enroll": true},
  "secure_boot_required": true,
  "boot_applications": ["$(cat "$WORK/shim.sha256")"],
  "event_log_required": true,
  "host": {"disk_encryption_required": false},
  "fido": {"required": true, "user_presence": true, "allow_self_attestation": true}
}
JSON
pawctl_admin policy set default "$WORK/policy.json" >/dev/null 2>"$WORK/pawctl.err" ||
  die "policy set failed: $(cat "$WORK/pawctl.err")"

paw_agent_config
paw_enroll bind
# use_log FILE: point the agent at a crafted log.
use_log() { sed -i "s|^event-log = .*|event-log = $1|" "$WORK/agent.conf"; }

# attack NAME CODE [DETAIL]: the agent sends the crafted log; the verifier must
# refuse it with CODE (the agent's answer carries only the code; the DETAIL,
# e.g. which PCR, goes to the verifier's log and the admins' events).
attack() {
  use_log "$WORK/attack-$1.bin"
  local rc=0
  agent attest >"$WORK/attack-$1.out" 2>"$WORK/attack-$1.err" || rc=$?
  cat "$WORK/attack-$1.out" "$WORK/attack-$1.err" >"$WORK/attack-$1.all"
  [ "$rc" -ne 0 ] || die "attack $1 was judged healthy: $(cat "$WORK/attack-$1.all")"
  grep -q "verdict: healthy" "$WORK/attack-$1.all" && die "attack $1: healthy verdict: $(cat "$WORK/attack-$1.all")"
  grep -q "pcr_pinned" "$WORK/attack-$1.all" && die "attack $1 pinned PCRs: $(cat "$WORK/attack-$1.all")"
  grep -q "$2" "$WORK/attack-$1.all" || die "attack $1: want $2, got: $(cat "$WORK/attack-$1.all")"
  if [ -n "${3:-}" ]; then
    grep -q "$3" "$WORK/verifier.log" || die "attack $1: the verifier log does not name $3"
  fi
  ok "attack $1 refused: $(grep -o "$2[^\"]*" "$WORK/attack-$1.all" | head -1 | cut -c1-160)"
}

step "a. PCR 4 events left out of the log"
attack a "eventlog_replay_mismatch" "PCR4"
step "b. only SHA-384 declared (not quoted)"
attack b "eventlog_no_complete_bank"
step "c. SHA-1 and SHA-256 each missing from one event"
attack c "eventlog_no_complete_bank"


step "the honest log binds, and its facts show the unapproved loader"
use_log "$WORK/honest.bin"
rc=0; agent attest >"$WORK/honest.out" 2>&1 || rc=$?
[ "$rc" = 1 ] || die "honest log: want exit 1 (unhealthy), got $rc: $(cat "$WORK/honest.out")"
grep -q "boot_app_not_allowed.*$(cat "$WORK/evil.sha256")" "$WORK/honest.out" ||
  die "honest log: the unapproved loader was not named: $(cat "$WORK/honest.out")"
grep -q "secure_boot_off" "$WORK/honest.out" && die "honest log: Secure Boot not proven: $(cat "$WORK/honest.out")"
ok "unhealthy: boot_app_not_allowed names $(cut -c1-16 "$WORK/evil.sha256")…"
step "pawctl devices show: the Secure Boot state the event log proves"
# The device answer keeps the log's SecureBoot variable (PCR 7, bound by the
# quote) beside the agent's own reading (host.secure_boot, absent on a host
# without efivars); the page shows the log's, not "—".
expect_rc 0 pawctl_admin devices show "$DEVICE_ID" --json
python3 - "$WORK/last.out" <<'PY' || die "last_appraisal.secure_boot is not true: $(cat "$WORK/last.out")"
import json, sys
sys.exit(0 if json.load(open(sys.argv[1]))["last_appraisal"].get("secure_boot") is True else 1)
PY
expect_rc 0 pawctl_admin devices show "$DEVICE_ID"
grep -qE "^  host +.*, Secure Boot on \(event log" "$WORK/last.out" ||
  die "the page does not show the event log's Secure Boot state: $(grep '^  host' "$WORK/last.out")"
ok "$(grep -o 'Secure Boot on (event log[^)]*)' "$WORK/last.out")"
step "a policy asking for facts whose PCRs it does not require is refused when set"
sed 's/\[0, 2, 4, 7\]/[0, 2]/' "$WORK/policy.json" >"$WORK/unbound-policy.json"
expect_rc 2 "$PAWCTL_BIN" policy set default "$WORK/unbound-policy.json" --verifier "$VERIFIER_URL" \
  --ca-file "$VERIFIER_CA" --credential-file "$WORK/admin.cred"
grep -q "needs PCR 7" "$WORK/last.err" || die "pawctl did not explain the refusal: $(cat "$WORK/last.err")"
code=$(curl -s -o "$WORK/put.json" -w '%{http_code}' --cacert "$VERIFIER_CA" -X PUT \
  -H "Authorization: Bearer $(cat "$WORK/admin.cred")" --data-binary @"$WORK/unbound-policy.json" \
  "$VERIFIER_URL/v1/admin/policies/default")
[ "$code" = 400 ] && grep -q "needs PCR 7" "$WORK/put.json" || die "admin API took the policy: $code $(cat "$WORK/put.json")"
ok "refused by pawctl and by the admin API (400)"

echo "eventlog_bind_test: ok"
