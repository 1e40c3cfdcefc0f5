#!/usr/bin/env bash
# pawctl token verify: a relying party checks result tokens offline against
# the verifier's JWKS (fetched with --verifier, or a saved --jwks file), many
# tokens in one process. A real token from swtpm + the real agent verifies;
# a token with a flipped signature, one whose payload was swapped, junk, and
# a token of a key rotated out of the JWKS are each named invalid, and the
# exit code says "not all valid".
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib.sh
source "$here/lib.sh"
paw_setup
paw_start_swtpm
paw_verifier_init
paw_verifier_start 0 --key-overlap 0
paw_demo_policy 600
paw_agent_config 300
paw_enroll token-verify
expect_rc 0 agent attest
token=$(cat "$WORK/run/token")
[ -n "$token" ] || die "no token after a healthy attestation"
pctl() { "$PAWCTL_BIN" token verify "$@"; }

# --- the real token, fetched JWKS, from a file and from stdin
printf '%s\n' "$token" >"$WORK/good.txt"
expect_rc 0 pctl "$WORK/good.txt" --verifier "$VERIFIER_URL" --ca-file "$VERIFIER_CA"
grep -q "^1 valid device $DEVICE_ID verdict healthy" "$WORK/last.out" || die "no valid line: $(cat "$WORK/last.out")"
curl -s --cacert "$VERIFIER_CA" "$VERIFIER_URL/.well-known/jwks.json" >"$WORK/jwks.json"
expect_rc 0 pctl - --jwks "$WORK/jwks.json" <"$WORK/good.txt"
ok "a real token verifies (JWKS fetched, and from a file; token from a file and stdin)"

# --- forged tokens, each named on its line; exit 1
# (a character inside the signature: the last one of base64url carries
# padding bits a decoder may ignore)
flipped=$(python3 -c 'import sys; t = sys.argv[1]; i = len(t) - 10; print(t[:i] + ("B" if t[i] == "A" else "A") + t[i + 1:])' "$token")
head=${token%%.*}
sig=${token##*.}
swapped=$head.$(printf '{"iss":"paw-verifier","sub":"someone-else","iat":1,"exp":9999999999,"verdict":"healthy","reasons":[],"trust":{}}' |
  base64 -w0 | tr '+/' '-_' | tr -d '=').$sig
{ echo "$token"; echo "$flipped"; echo; echo "$swapped"; echo "not-a-token"; } >"$WORK/mixed.txt"
expect_rc 1 pctl "$WORK/mixed.txt" --jwks "$WORK/jwks.json"
grep -q '^1 valid ' "$WORK/last.out" || die "line 1 should be valid: $(cat "$WORK/last.out")"
grep -q '^2 invalid bad_signature' "$WORK/last.out" || die "line 2 should be a bad signature: $(cat "$WORK/last.out")"
grep -q '^4 invalid bad_signature' "$WORK/last.out" || die "line 4 should be a bad signature: $(cat "$WORK/last.out")"
grep -q '^5 invalid malformed' "$WORK/last.out" || die "line 5 should be malformed: $(cat "$WORK/last.out")"
[ "$(grep -c valid "$WORK/last.out")" = 4 ] || die "one verdict per non-empty line expected: $(cat "$WORK/last.out")"
expect_rc 1 pctl "$WORK/mixed.txt" --jwks "$WORK/jwks.json" --json
python3 - "$WORK/last.out" "$DEVICE_ID" <<'PY' || die "--json output wrong: $(cat "$WORK/last.out")"
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
assert [r["line"] for r in rows] == [1, 2, 4, 5], rows
assert rows[0]["valid"] and rows[0]["sub"] == sys.argv[2] and rows[0]["verdict"] == "healthy"
assert [r["valid"] for r in rows[1:]] == [False] * 3 and rows[1]["error"] == "bad_signature"
PY
expect_rc 1 pctl "$WORK/good.txt" --jwks "$WORK/jwks.json" --issuer someone-else
ok "forged, swapped and junk tokens are named invalid per line (text and --json); another issuer is refused"

# --- a key rotated out of the JWKS (no overlap): its token is refused
# (keys retired before now - overlap are dropped: the second rotation, a
# second later, drops the key that signed the token)
expect_rc 0 pawctl_admin keys rotate --yes
sleep 1.1
expect_rc 0 pawctl_admin keys rotate --yes
expect_rc 1 pctl "$WORK/good.txt" --verifier "$VERIFIER_URL" --ca-file "$VERIFIER_CA"
grep -q '^1 invalid token_invalid' "$WORK/last.out" || die "rotated-out key accepted: $(cat "$WORK/last.out")"
ok "a token of a key rotated out of the JWKS is refused"

# --- usage and unreachable verifier: exit 2
expect_rc 2 pctl "$WORK/good.txt"
expect_rc 2 pctl "$WORK/good.txt" --verifier "https://127.0.0.1:$(paw_free_port)" --ca-file "$VERIFIER_CA"
expect_rc 2 pctl "$WORK/nonexistent" --jwks "$WORK/jwks.json"
ok "no JWKS or no input: exit 2"
