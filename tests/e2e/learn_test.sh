#!/usr/bin/env bash
# learn_test.sh — learn mode (docs/policy.md, "Learn mode") against the real
# parts: swtpm extended (tools/dev/paw-extend-log) with a boot whose PCR 4 holds an
# allowed shim and a loader the policy does not know yet, paw-agent, the
# software FIDO2 key, paw-verifier and pawctl. The loader is denied and queued
# (`pawctl refs pending`), approved (`pawctl refs approve`: a new policy
# version), and the next attestation is healthy; both steps are audited.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
EXTEND_BIN=$PAW_BUILD_DIR/tools/dev/paw-extend-log/paw-extend-log
[ -x "$EXTEND_BIN" ] || { echo "missing $EXTEND_BIN: build paw-extend-log" >&2; exit 1; }
paw_setup
paw_start_swtpm
paw_verifier_init
paw_verifier_start
P=$PAWCTL_BIN
C=(--verifier "$VERIFIER_URL" --ca-file "$VERIFIER_CA" --credential-file "$WORK/admin.cred")

step "a boot with a loader the policy does not know"
python3 - "$WORK" <<'PY'
import hashlib, struct, sys
work = sys.argv[1]
ALG = {"sha1": 0x4, "sha256": 0xB}
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
def image_load(): return struct.pack("<QQQQ", 0x7e000000, 0x100000, 0, 4) + b"\x7f\xff\x04\x00"
boot = [(0, 0x8, utf16("e2e firmware 1.0\0"), None),
        (7, 0x80000001, var(GLOBAL, "SecureBoot", b"\x01"), None),
        (7, 0x80000001, var(GLOBAL, "PK", b"e2e PK"), None),
        (7, 0x80000001, var(GLOBAL, "KEK", b"e2e KEK"), None),
        (7, 0x80000001, var(DB, "db", b"e2e db"), None),
        (7, 0x80000001, var(DB, "dbx", b"e2e dbx"), None)]
boot += [(pcr, 0x4, b"\0\0\0\0", None) for pcr in range(8)]
SHIM, NEW = b"e2e approved shim image", b"e2e new kernel image"
boot += [(4, 0x80000003, image_load(), SHIM), (4, 0x80000003, image_load(), NEW)]
out = spec_id(["sha1", "sha256"])
for pcr, typ, data, image in boot:
    out += event(pcr, typ, data, [(a, H(a, image if image else data)) for a in ["sha1", "sha256"]])
open(f"{work}/boot.bin", "wb").write(out)
open(f"{work}/shim.sha256", "w").write(hashlib.sha256(SHIM).hexdigest())
open(f"{work}/new.sha256", "w").write(hashlib.sha256(NEW).hexdigest())
PY
"$EXTEND_BIN" --tcti "$SWTPM_TCTI" "$WORK/boot.bin" >"$WORK/extend.out" || die "paw-extend-log failed"
NEW=$(cat "$WORK/new.sha256")

# PCR 4 and 7 are judged through their events; PCRs 0 and 2 only quoted.
cat >"$WORK/policy.json" <<JSON
{
  "name": "default",
  "pcrs": {"required": {"sha256": [0, 2, 4, 7]}, "pin_on_enroll": false},
  "secure_boot_required": true,
  "boot_applications": ["$(cat "$WORK/shim.sha256")"],
  "event_log_required": true,
  "host": {"disk_encryption_required": false},
  "fido": {"required": true, "user_presence": true, "allow_self_attestation": true},
  "learn": {"min_devices": 1}
}
JSON
pawctl_admin policy set default "$WORK/policy.json" >/dev/null 2>"$WORK/pawctl.err" ||
  die "policy set failed: $(cat "$WORK/pawctl.err")"
paw_agent_config
paw_enroll learn
sed -i "s|^event-log = .*|event-log = $WORK/boot.bin|" "$WORK/agent.conf"
rc=0; agent attest >"$WORK/first.out" 2>&1 || rc=$?
[ "$rc" = 1 ] || die "want unhealthy (exit 1), got $rc: $(cat "$WORK/first.out")"
grep -q "boot_app_not_allowed.*$NEW" "$WORK/first.out" || die "the new loader was not named: $(cat "$WORK/first.out")"
ok "denied: boot_app_not_allowed ${NEW:0:16}…"

step "queued, listed, approved"
expect_rc 0 "$P" refs pending "${C[@]}"
grep -qE "^[0-9]+ +default +1/1 +ready .* boot_app +$NEW" "$WORK/last.out" || die "refs pending: $(cat "$WORK/last.out")"
expect_rc 0 "$P" refs pending --policy default --json "${C[@]}"
id=$(python3 - "$WORK/last.out" "$NEW" "$DEVICE_ID" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))["candidates"]
assert len(c) == 1 and c[0]["digest"] == sys.argv[2] and c[0]["first_device"] == sys.argv[3], c
assert c[0]["ready"] is True and c[0]["kind"] == "boot_app", c
print(c[0]["id"])
PY
) || die "refs pending --json: $(cat "$WORK/last.out")"
ok "pawctl refs pending: ready, 1/1 device, first device $DEVICE_ID"
expect_rc 2 "$P" refs approve first "${C[@]}"
expect_rc 0 "$P" refs approve "$id" "${C[@]}"
grep -q "approved boot_app $NEW: policy default is now version" "$WORK/last.out" || die "approve: $(cat "$WORK/last.out")"
pawctl_admin policy show default --json >"$WORK/policy.out"
grep -q "$NEW" "$WORK/policy.out" || die "not in the policy: $(cat "$WORK/policy.out")"
expect_rc 0 agent attest
expect_rc 0 "$P" refs pending "${C[@]}"
grep -q "no candidates" "$WORK/last.out" || die "still pending: $(cat "$WORK/last.out")"
expect_rc 1 "$P" refs reject "$id" "${C[@]}"
ok "approved: a new policy version, the next attestation healthy, deciding again refused"

pawctl_admin events --limit 1000 --json >"$WORK/events.json"
python3 - "$WORK/events.json" <<'PY' || die "events: $(cat "$WORK/events.json")"
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
assert len([e for e in ev if e["type"] == "learn_candidate"]) == 1, ev
a = [e for e in ev if e["type"] == "learn_approved"]
assert len(a) == 1 and a[0]["detail"]["credential"], a
PY
ok "learn_candidate and learn_approved (naming the credential) in the events"
echo "learn_test: ok"
