#!/usr/bin/env bash
# e2e: paw-agent's debug commands against a private swtpm.
#  - `tpm info` describes the TPM; TCTI precedence flag > TPM2TOOLS_TCTI > config file
#  - `ak-public` creates the AK once, reloads it afterwards (same key), and says
#    so when it re-creates it after `tpm2_clear`
#  - `evidence --nonce` prints an envelope whose quote tpm2_checkquote accepts
#    (files extracted from the JSON, PEM AK from ak-public, qualifying data =
#    SHA-256 of the exact body bytes) and paw's own verify_quote accepts
#    (paw-check-evidence), with a real event log extended into swtpm replaying
#    to the quoted PCRs; a changed body byte is refused by both.
# Env: PAW_BUILD_DIR (build folder), PAW_SOURCE_DIR, PAW_TEST_DATA_DIR.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
src=${PAW_SOURCE_DIR:-$(cd "$here/../.." && pwd)}
build=${PAW_BUILD_DIR:-$src/build}
data=${PAW_TEST_DATA_DIR:-$src/tests/data}
agent=$build/agent/paw-agent
extend=$build/tools/dev/paw-extend-log/paw-extend-log
check=$build/tools/dev/paw-check-evidence/paw-check-evidence
for b in "$agent" "$extend" "$check"; do [ -x "$b" ] || { echo "FAIL: $b not built" >&2; exit 1; }; done

work=$(mktemp -d)
# shellcheck source=../support/swtpm.sh
source "$src/tests/support/swtpm.sh"
cleanup() { swtpm_stop; rm -rf "$work"; }
trap cleanup EXIT
swtpm_start "$work/tpm" >/dev/null
unset TPM2TOOLS_TCTI

fail() { echo "FAIL: $*" >&2; exit 1; }
state=$work/state
printf 'tcti = %s\nstate-dir = %s\n' "$SWTPM_TCTI" "$state" >"$work/agent.conf"
ag() { "$agent" "$@" --config "$work/agent.conf"; }

# tpm info, TCTI from the config file; a bad flag or env wins over it (and fails).
ag tpm info >"$work/info.json"
python3 - "$work/info.json" <<'PY' || fail "tpm info JSON"
import json, sys
i = json.load(open(sys.argv[1]))
assert i["manufacturer"] == "IBM", i
assert i["active_banks"] == ["sha1", "sha256"], i
assert [c["nv_index"] for c in i["ek_certificates"]] == ["0x01c00002", "0x01c00016"], i
PY
if "$agent" tpm info --config "$work/agent.conf" --tcti swtpm:host=127.0.0.1,port=1 >/dev/null 2>&1; then
  fail "--tcti did not override the config file"; fi
if TPM2TOOLS_TCTI=swtpm:host=127.0.0.1,port=1 "$agent" tpm info --config "$work/agent.conf" >/dev/null 2>&1; then
  fail "TPM2TOOLS_TCTI did not override the config file"; fi
TPM2TOOLS_TCTI=swtpm:host=127.0.0.1,port=1 "$agent" tpm info --config "$work/agent.conf" --tcti "$SWTPM_TCTI" >/dev/null \
  || fail "--tcti did not override TPM2TOOLS_TCTI"

# AK: created once (and said so), then reloaded: the same key.
ag ak-public --format pem >"$work/ak.pem" 2>"$work/ak.err"
grep -q "AK created" "$work/ak.err" || fail "first ak-public did not say it created the AK"
[ "$(stat -c %a "$state/ak.priv")" = 600 ] || fail "ak.priv is not mode 0600"
ag ak-public --format pem >"$work/ak2.pem" 2>"$work/ak2.err"
[ ! -s "$work/ak2.err" ] || fail "second ak-public re-created the AK: $(cat "$work/ak2.err")"
cmp -s "$work/ak.pem" "$work/ak2.pem" || fail "AK changed between runs"
ag ak-public --format tss --out "$work/ak.pub"
tpm2_print -t TPM2B_PUBLIC "$work/ak.pub" >"$work/ak.print" || fail "tpm2_print"
grep -q "value: ecc" "$work/ak.print" || fail "tss AK public is not an ECC TPM2B_PUBLIC"
openssl pkey -pubin -in "$work/ak.pem" -noout || fail "PEM AK does not parse"

# A real event log extended into swtpm, then evidence over it.
log=$data/go-tpm-tools/internal/test/eventlogs/ubuntu-2104-no-secure-boot.bin
"$extend" --tcti "$SWTPM_TCTI" "$log" >"$work/extend.out" || fail "paw-extend-log"
grep -q "^extended" "$work/extend.out" || fail "paw-extend-log output"
nonce=$(openssl rand -hex 32)
ag evidence --nonce "$nonce" --device-id dev-e2e --event-log "$log" --ima-log none >"$work/env.json"
python3 - "$work" "$nonce" <<'PY' || fail "envelope shape"
import base64, hashlib, json, sys
work, nonce = sys.argv[1], sys.argv[2]
env = json.load(open(f"{work}/env.json"))
assert set(env) == {"device_id", "nonce", "body", "quote"} and set(env["quote"]) == {"attest", "signature"}, env.keys()
assert env["device_id"] == "dev-e2e" and env["nonce"] == nonce, env  # the unsigned routing copies
body = base64.b64decode(env["body"], validate=True)
open(f"{work}/body", "wb").write(body)
open(f"{work}/attest", "wb").write(base64.b64decode(env["quote"]["attest"], validate=True))
open(f"{work}/sig", "wb").write(base64.b64decode(env["quote"]["signature"], validate=True))
open(f"{work}/qual", "w").write(hashlib.sha256(body).hexdigest())
b = json.loads(body)
assert b["nonce"] == nonce and b["device_id"] == "dev-e2e" and b["version"] == 1, b
assert len(b["pcrs"]["sha256"]) == 24 and len(b["pcrs"]["sha1"]) == 24
assert "event_log" in b and "ima_log" not in b
# a tampered copy: one byte of the body changed, quote unchanged
bad = bytearray(body); bad[len(bad) // 2] ^= 1
env["body"] = base64.b64encode(bytes(bad)).decode()
json.dump(env, open(f"{work}/env-bad.json", "w"))
open(f"{work}/qual-bad", "w").write(hashlib.sha256(bytes(bad)).hexdigest())
PY

# tpm2-tools accepts paw's quote; refuses it for other body bytes.
tpm2_checkquote -u "$work/ak.pem" -m "$work/attest" -s "$work/sig" -g sha256 -q "$(cat "$work/qual")" >/dev/null \
  || fail "tpm2_checkquote refused paw's quote"
if tpm2_checkquote -u "$work/ak.pem" -m "$work/attest" -s "$work/sig" -g sha256 -q "$(cat "$work/qual-bad")" \
  >/dev/null 2>&1; then fail "tpm2_checkquote accepted a quote for other body bytes"; fi

# paw's own verification, with the event log replayed to the quoted PCRs.
"$check" --ak "$work/ak.pub" --nonce "$nonce" --replay "$work/env.json" >"$work/check.out" \
  || fail "paw-check-evidence refused paw's evidence"
grep -qx ok "$work/check.out" || fail "paw-check-evidence did not print ok"
if "$check" --ak "$work/ak.pub" --nonce "$nonce" "$work/env-bad.json" >/dev/null 2>&1; then
  fail "paw-check-evidence accepted a changed body"; fi
if "$check" --ak "$work/ak.pub" --nonce "$(openssl rand -hex 32)" "$work/env.json" >/dev/null 2>&1; then
  fail "paw-check-evidence accepted another nonce"; fi

# tpm2_clear: the stored AK no longer loads; the agent re-creates it and says so.
tpm2_clear -T "$SWTPM_TCTI" -c p
ag ak-public --format pem >"$work/ak3.pem" 2>"$work/ak3.err"
grep -q "AK recreated" "$work/ak3.err" || fail "after tpm2_clear the agent did not say it re-created the AK"
if cmp -s "$work/ak.pem" "$work/ak3.pem"; then fail "AK unchanged after tpm2_clear"; fi

# Bad usage is refused.
if ag evidence --nonce abcd >/dev/null 2>&1; then fail "short nonce accepted"; fi
echo "agent_debug_test: ok"
