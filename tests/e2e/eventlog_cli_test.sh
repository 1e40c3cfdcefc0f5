#!/usr/bin/env bash
# eventlog_cli_test.sh — drives `pawctl eventlog|ima` on the real logs in the
# test data folder (tests/data) and checks its JSON against the ground truth shipped
# with them (go-tpm-tools expected PCRs, tpm2-tools yaml `pcrs:` blocks,
# ibmtss PCR10), plus the exit codes and notes of the odd and bad logs.
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
build=${PAW_BUILD_DIR:-$here/build}
data=${PAW_TEST_DATA_DIR:-$here/tests/data}
pawctl=$build/tools/pawctl/pawctl
[ -x "$pawctl" ] || { echo "no pawctl at $pawctl" >&2; exit 1; }
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
failures=0
py=$(command -v /usr/bin/python3 || command -v python3)
fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }

# compare ACTUAL_JSON EXPECTED_JSON MODE: "subset" (every expected PCR equal)
# or "exact" (same banks, same PCRs, same values).
compare() {
  "$py" - "$1" "$2" "$3" <<'EOF'
import json, sys
got = json.load(open(sys.argv[1])); want = json.load(open(sys.argv[2])); mode = sys.argv[3]
bad = []
for bank, pcrs in want.items():
    for idx, val in pcrs.items():
        if got.get(bank, {}).get(idx) != val.lower():
            bad.append(f"{bank}[{idx}] got {got.get(bank, {}).get(idx)} want {val}")
if mode == "exact" and {b: set(p) for b, p in got.items()} != {b: set(p) for b, p in want.items()}:
    bad.append(f"PCR sets differ: got { {b: sorted(p) for b, p in got.items()} }")
print("; ".join(bad))
sys.exit(1 if bad else 0)
EOF
}

# 1. go-tpm-tools: 14 logs against expected_pcrs_from_server_eventlog_test.json.
n=0
"$py" - "$data/go-tpm-tools/expected_pcrs_from_server_eventlog_test.json" "$work" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
for name, e in d.items():
    json.dump(e["pcrs"], open(f"{sys.argv[2]}/{name}.want.json", "w"))
    open(f"{sys.argv[2]}/{name}.file", "w").write(e["file"])
EOF
for want in "$work"/*.want.json; do
  name=$(basename "$want" .want.json)
  file=$data/go-tpm-tools/internal/test/$(cat "$work/$name.file")
  rc=0; "$pawctl" eventlog replay "$file" --json >"$work/$name.got.json" 2>"$work/$name.err" || rc=$?
  # The Arch workstation's systemd-boot PCR8 string does not match its digest: a
  # genuine log, so exit 0 with a note naming the event (its facts are unknown).
  if [ "$name" = ArchLinuxWorkstation ]; then
    [ $rc -eq 0 ] && grep -q "note: event 24 at offset 15142 (EV_IPL, PCR 8).*facts from this event are unknown" "$work/$name.err" ||
      fail "$name: want exit 0 and a note naming event 24, got $rc: $(cat "$work/$name.err")"
  elif [ $rc -ne 0 ]; then
    fail "$name: exit $rc: $(cat "$work/$name.err")"; continue
  fi
  msg=$(compare "$work/$name.got.json" "$want" subset) || fail "$name: $msg"
  n=$((n + 1))
done
[ "$n" -eq 14 ] || fail "expected 14 go-tpm-tools logs, saw $n"

# 2. tpm2-tools fixtures: the yaml's pcrs: block, exactly.
fixtures=$data/tpm2-tools/test/integration/fixtures
for yaml in "$fixtures"/event-pretty/*.yaml; do
  bin=$(basename "$yaml" .yaml)
  "$py" - "$yaml" >"$work/$bin.want.json" <<'EOF'
import json, re, sys
out, bank, inblock = {}, None, False
for line in open(sys.argv[1]):
    line = line.rstrip("\n")
    if line == "pcrs:": inblock = True; continue
    if not inblock: continue
    if not line.startswith("  "): break
    if not line.startswith("    "): bank = line.strip().rstrip(":"); out[bank] = {}; continue
    m = re.match(r"\s+(\d+)\s*:\s*0x([0-9a-fA-F]+)", line)
    out[bank][m.group(1)] = m.group(2).lower()
json.dump(out, sys.stdout)
EOF
  rc=0; "$pawctl" eventlog replay "$fixtures/$bin" --json >"$work/$bin.got.json" 2>"$work/$bin.err" || rc=$?
  if [ "$bin" = event-arch-linux.bin ]; then
    [ $rc -eq 0 ] && grep -q "note: event 24" "$work/$bin.err" || fail "$bin: want exit 0 and a note on event 24, got $rc"
  elif [ $rc -ne 0 ]; then
    fail "$bin: exit $rc: $(cat "$work/$bin.err")"; continue
  fi
  msg=$(compare "$work/$bin.got.json" "$work/$bin.want.json" exact) || fail "$bin: $msg"
done

# 3. Deliberately bad logs: precise errors, exit 1, nothing on stdout.
for f in keylime/test/data/create-mb-policy/binary_bios_measurements-bogus:"event 0 at offset 0" \
         keylime/test/data/create-mb-policy/binary_bios_measurements-empty:"empty event log" \
         tpm2-tools/test/integration/fixtures/specid-vendordata.bin:"vendor info of 4 bytes"; do
  path=${f%%:*}; want=${f#*:}
  rc=0; out=$("$pawctl" eventlog replay "$data/$path" --json 2>"$work/err") || rc=$?
  [ $rc -eq 1 ] && [ -z "$out" ] && grep -q "eventlog_malformed: .*$want" "$work/err" ||
    fail "$path: want exit 1 with '$want', got $rc: $(cat "$work/err")"
done

# 4. Every other real log replays (exit 0) and `show --json` lists its events.
for f in go-tpm-tools/decoded/gce-cos-85-nonce9009.eventlog.bin keylime/derived/mb_log.bin \
         keylime/test/data/create-mb-policy/binary_bios_measurements-secureboot \
         go-attestation/attest/testdata/option_rom_eventlog go-attestation/attest/testdata/short_no_action_eventlog; do
  "$pawctl" eventlog replay "$data/$f" --json >/dev/null || fail "$f: replay failed"
  events=$("$pawctl" eventlog show "$data/$f" --json | "$py" -c 'import json,sys; print(len(json.load(sys.stdin)["events"]))')
  [ "$events" -ge 1 ] || fail "$f: show listed no events"
done
"$pawctl" eventlog facts "$data/keylime/test/data/create-mb-policy/binary_bios_measurements-secureboot" |
  "$py" -c 'import json,sys; f=json.load(sys.stdin); sys.exit(0 if f["secure_boot"] is True and f["kernel_cmdlines"] else 1)' ||
  fail "facts: Secure Boot on and a kernel command line expected"
# shim's SbatLevel, decoded in the form policy boot.min_sbat takes.
"$pawctl" eventlog facts "$data/keylime/test/data/create-mb-policy/binary_bios_measurements-secureboot" |
  "$py" -c 'import json,sys; f=json.load(sys.stdin); s=[a["sbat_level"] for a in f["authorities"] if a["name"] == "SbatLevel"]
sys.exit(0 if s == [{"date": "2023012900", "components": {"grub": 3, "grub.debian": 4, "shim": 2}}] else 1)' ||
  fail "facts: the SbatLevel sbat,1,2023012900 with shim 2, grub 3, grub.debian 4 expected"

# 5. IMA: the ibmtss lists replay to imakvtpcr10.txt in all four banks.
"$py" - "$data/ibmtss/utils/imakvtpcr10.txt" >"$work/pcr10.want.json" <<'EOF'
import json, sys
vals = [l.split(":", 1)[1].replace(" ", "").strip() for l in open(sys.argv[1]) if ":" in l]
json.dump({b: {"10": v} for b, v in zip(["sha1", "sha256", "sha384", "sha512"], vals)}, sys.stdout)
EOF
for alg in sha1 sha256 sha384 sha512; do
  "$pawctl" ima replay "$data/ibmtss/utils/$alg.log" --json >"$work/ima-$alg.json" || { fail "ima $alg.log: replay failed"; continue; }
  msg=$(compare "$work/ima-$alg.json" "$work/pcr10.want.json" exact) || fail "ima $alg.log: $msg"
done
rc=0; "$pawctl" ima check "$data/keylime/test/data/create-runtime-policy/ima-log-sha256" \
  --allowlist "$data/keylime/test/data/create-runtime-policy/policy-sha256" >"$work/check.out" || rc=$?
[ $rc -eq 4 ] && grep -q "not in allowlist.*/data" "$work/check.out" || fail "ima check: want exit 4 naming /data, got $rc"

if [ "$failures" -ne 0 ]; then echo "eventlog_cli_test: $failures failure(s)" >&2; exit 1; fi
echo "eventlog_cli_test: ok"
