#!/usr/bin/env bash
# nginx (Debian package) in front of a small upstream, guarded by EXACTLY the
# shipped docs/nginx-auth-request.conf and docs/nginx-auth-request-location.conf
# (included from the test config, as their comments say to): a
# request with a valid result token reaches the upstream; no token, a forged
# token, a token signed by an unknown key, an expired token (signed with the
# verifier's real key), a token of a rotated-out key and a revoked device's
# token do not. Also the health query as an identity provider asks it
# (relying-party credential, device id, maximum age), and the login path
# under load: many logins from one client address through nginx get 200 or
# 429 with Retry-After (never 500), over kept-alive connections to the
# verifier, which counts each client by X-Forwarded-For (--trusted-proxy).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib.sh
source "$here/lib.sh"
command -v nginx >/dev/null || { echo "nginx is not installed (installer/install-deps.sh installs nginx-light)" >&2; exit 1; }
paw_setup

# --- the parts: swtpm, verifier (no key overlap: a rotated-out key is refused at once), enrolled healthy device
paw_start_swtpm
paw_verifier_init
# nginx (127.0.0.1) is the trusted proxy; 5 requests/s (burst 20) per client.
paw_verifier_start 0 --key-overlap 0 --trusted-proxy 127.0.0.1 --rate-per-address 5
paw_demo_policy 600
paw_agent_config 300
paw_enroll nginx-test
expect_rc 0 agent attest
token=$(cat "$WORK/run/token")
[ -n "$token" ] || die "no token after a healthy attestation"

# --- nginx with a private prefix on free loopback ports
ngx=$WORK/nginx
mkdir -p "$ngx/paw" "$ngx/tmp"
cp "$VERIFIER_CA" "$ngx/paw/verifier-ca.pem"
front=$(paw_free_port)
back=$(paw_free_port)
while [ "$back" = "$front" ]; do back=$(paw_free_port); done
cat >"$ngx/nginx.conf" <<CONF
worker_processes 1;
pid $ngx/nginx.pid;
error_log $ngx/error.log info;
events { worker_connections 512; }
http {
  access_log $ngx/access.log;
  client_body_temp_path $ngx/tmp/body;
  proxy_temp_path $ngx/tmp/proxy;
  fastcgi_temp_path $ngx/tmp/fastcgi;
  uwsgi_temp_path $ngx/tmp/uwsgi;
  scgi_temp_path $ngx/tmp/scgi;
  upstream paw_verifier { server 127.0.0.1:$VERIFIER_PORT; keepalive 16; }
  map "" \$paw_verifier_name { default localhost; }
  server {
    listen 127.0.0.1:$back;
    location / { return 200 "upstream reached for device \$http_x_paw_device\n"; }
  }
  server {
    listen 127.0.0.1:$front;
    include $PAW_SOURCE_DIR/docs/nginx-auth-request.conf;
    location / {
      include $PAW_SOURCE_DIR/docs/nginx-auth-request-location.conf;
      proxy_set_header X-Paw-Device \$paw_device;
      proxy_pass http://127.0.0.1:$back;
    }
  }
}
CONF
nginx -t -p "$ngx" -c "$ngx/nginx.conf" >"$WORK/nginx-t.log" 2>&1 || die "nginx -t refused the config: $(cat "$WORK/nginx-t.log")"
nginx -p "$ngx" -c "$ngx/nginx.conf" -g 'daemon off;' 2>>"$WORK/nginx.log" &
paw_track $!
wait_for 10 curl -s -o /dev/null "http://127.0.0.1:$front/" || die "nginx did not start"

# req TOKEN: HTTP status of GET / through nginx (body in $WORK/body)
req() {
  local hdr=()
  [ -n "${1:-}" ] && hdr=(-H "Authorization: Bearer $1")
  curl -s -o "$WORK/body" -w '%{http_code}' "${hdr[@]}" "http://127.0.0.1:$front/private/page"
}
check() {  # check NAME WANT TOKEN
  local got
  got=$(req "$3")
  [ "$got" = "$2" ] || die "$1: nginx answered $got, expected $2 (body: $(cat "$WORK/body"))"
  if [ "$2" = 200 ]; then
    grep -q "upstream reached for device $DEVICE_ID" "$WORK/body" || die "$1: upstream body wrong: $(cat "$WORK/body")"
  else
    ! grep -q "upstream reached" "$WORK/body" || die "$1: the upstream was reached"
  fi
  echo "ok: $1 → $got"
}

# forge_jwt KEYFILE KID EXP_DELTA: an ES256 JWT with the real token's claims,
# "exp" moved to now+EXP_DELTA, signed with KEYFILE (PEM), header kid KID.
forge_jwt() {
  python3 - "$token" "$1" "$2" "$3" <<'PY'
import base64, json, subprocess, sys, time
tok, keyfile, kid, delta = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
def b64d(s): return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))
def b64e(b): return base64.urlsafe_b64encode(b).rstrip(b"=").decode()
h, p, _ = tok.split(".")
header = json.loads(b64d(h)); claims = json.loads(b64d(p))
header["kid"] = kid
now = int(time.time())
claims["exp"] = now + delta
claims["iat"] = min(claims["iat"], claims["exp"] - 60)
signing_input = (b64e(json.dumps(header, separators=(",", ":")).encode()) + "." +
                 b64e(json.dumps(claims, separators=(",", ":")).encode())).encode()
der = subprocess.run(["openssl", "dgst", "-sha256", "-sign", keyfile], input=signing_input,
                     capture_output=True, check=True).stdout
# DER ECDSA-Sig-Value → raw r || s (JWS ES256)
assert der[0] == 0x30
i = 2 if der[1] < 0x80 else 3
out = b""
for _ in range(2):
    assert der[i] == 0x02
    n = der[i + 1]; v = der[i + 2:i + 2 + n]; i += 2 + n
    out += v.lstrip(b"\0").rjust(32, b"\0")
print(signing_input.decode() + "." + b64e(out))
PY
}

kid=$(python3 -c 'import base64,json,sys; h=sys.argv[1].split(".")[0]; print(json.loads(base64.urlsafe_b64decode(h+"="*(-len(h)%4)))["kid"])' "$token")

check "valid token of a healthy device" 200 "$token"
check "no token" 401 ""
check "garbage token" 401 "not-a-jwt"
# forged: the real claims with one signature byte changed
sig=${token##*.}
first=${sig:0:1}; [ "$first" = A ] && repl=B || repl=A
check "forged signature" 401 "${token%.*}.${repl}${sig:1}"
# forged: claims changed (device id), signature kept
python3 - "$token" >"$WORK/tampered" <<'PY'
import base64, json, sys
h, p, s = sys.argv[1].split(".")
c = json.loads(base64.urlsafe_b64decode(p + "=" * (-len(p) % 4)))
c["sub"] = "0" * 32
print(h + "." + base64.urlsafe_b64encode(json.dumps(c, separators=(",", ":")).encode()).rstrip(b"=").decode() + "." + s)
PY
check "claims changed after signing" 401 "$(cat "$WORK/tampered")"
openssl ecparam -name prime256v1 -genkey -noout -out "$WORK/rogue.pem" 2>/dev/null
check "signed by an unknown key (same kid)" 401 "$(forge_jwt "$WORK/rogue.pem" "$kid" 600)"
# expired: signed with the verifier's real key (taken from its database) — only exp differs
python3 - "$WORK/verifier/paw.db" "$kid" >"$WORK/real-key.pem" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
row = db.execute("SELECT private_pem FROM signing_keys WHERE kid = ?", (sys.argv[2],)).fetchone()
print(row[0], end="")
PY
[ -s "$WORK/real-key.pem" ] || die "cannot read the verifier's signing key"
check "the real key's control: same token re-signed, still valid" 200 "$(forge_jwt "$WORK/real-key.pem" "$kid" 300)"
check "expired token (real key, exp in the past)" 401 "$(forge_jwt "$WORK/real-key.pem" "$kid" -120)"

# offline check against the JWKS (what a relying party without per-login calls does):
# kid → JWK, ES256 raw r||s → DER, openssl verifies; then iss/exp/verdict
curl -sf --cacert "$VERIFIER_CA" "$VERIFIER_URL/.well-known/jwks.json" >"$WORK/jwks.json" || die "no JWKS"
offline_check() {
  python3 - "$WORK/jwks.json" "$1" "$WORK" <<'PY'
import base64, json, subprocess, sys, time
jwks, tok, work = json.load(open(sys.argv[1])), sys.argv[2], sys.argv[3]
def b64d(s): return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))
h, p, s = tok.split(".")
header, claims, sig = json.loads(b64d(h)), json.loads(b64d(p)), b64d(s)
key = next((k for k in jwks["keys"] if k["kid"] == header["kid"]), None)
if key is None or header["alg"] != "ES256" or len(sig) != 64: sys.exit("unknown kid or bad alg")
spki = bytes.fromhex("3059301306072a8648ce3d020106082a8648ce3d03010703420004") + b64d(key["x"]) + b64d(key["y"])
open(work + "/jwk.der", "wb").write(spki)
def der_int(b):
    b = b.lstrip(b"\0") or b"\0"
    if b[0] & 0x80: b = b"\0" + b
    return b"\x02" + bytes([len(b)]) + b
body = der_int(sig[:32]) + der_int(sig[32:])
open(work + "/sig.der", "wb").write(b"\x30" + bytes([len(body)]) + body)
open(work + "/signed", "wb").write((h + "." + p).encode())
r = subprocess.run(["openssl", "dgst", "-sha256", "-keyform", "DER", "-verify", work + "/jwk.der",
                    "-signature", work + "/sig.der", work + "/signed"], capture_output=True)
if r.returncode != 0: sys.exit("bad signature")
if claims["exp"] <= time.time(): sys.exit("expired")
if claims["verdict"] != "healthy": sys.exit("verdict " + claims["verdict"])
print(claims["sub"])
PY
}
[ "$(offline_check "$token")" = "$DEVICE_ID" ] || die "offline JWKS check refused a valid token"
echo "ok: offline check against the JWKS accepts the valid token"
offline_check "${token%.*}.${repl}${sig:1}" >/dev/null 2>&1 && die "offline check accepted a forged token"
offline_check "$(forge_jwt "$WORK/real-key.pem" "$kid" -120)" >/dev/null 2>&1 && die "offline check accepted an expired token"
echo "ok: offline check refuses the forged and the expired token"

# identity-provider health query: relying-party credential, device id, max age
pawctl_admin rp-credential create --label idp --json >"$WORK/rp.json"
rp=$(json_get "$WORK/rp.json" credential)
(umask 077; printf '%s\n' "$rp" >"$WORK/rp.cred")
health() {
  curl -s --cacert "$VERIFIER_CA" -H "Authorization: Bearer $1" "$VERIFIER_URL/v1/devices/$DEVICE_ID/health?max_age=$2"
}
health "$rp" 300 >"$WORK/health.json"
[ "$(json_get "$WORK/health.json" allow)" = True ] || die "health query denied a healthy device: $(cat "$WORK/health.json")"
echo "ok: health query (rp credential, max_age 300) → allow"
code=$(curl -s -o /dev/null -w '%{http_code}' --cacert "$VERIFIER_CA" -H "Authorization: Bearer $(cat "$WORK/admin.cred")x" \
  "$VERIFIER_URL/v1/devices/$DEVICE_ID/health?max_age=300")
[ "$code" = 401 ] || die "health query with a wrong credential answered $code"
echo "ok: health query without a valid relying-party credential → 401"
sleep 2
health "$rp" 1 >"$WORK/health.json"
[ "$(json_get "$WORK/health.json" allow)" = False ] || die "max_age 1 allowed an attestation 2 s old"
grep -q not_fresh "$WORK/health.json" || die "no not_fresh reason: $(cat "$WORK/health.json")"
echo "ok: health query with max_age 1 on a 2 s old attestation → deny (not_fresh)"
expect_rc 0 "$PAWCTL_BIN" health "$DEVICE_ID" --max-age 5m --verifier "$VERIFIER_URL" --ca-file "$VERIFIER_CA" \
  --rp-credential-file "$WORK/rp.cred"
echo "ok: pawctl health → allow (exit 0)"

# many logins from one client (127.0.0.2) through nginx: the verifier's 429
# (that client over its rate) reaches it as 429 with Retry-After, never 500
seq 300 | xargs -P 16 -I{} curl -s -o /dev/null -w '%{http_code}\n' --interface 127.0.0.2 \
  -H "Authorization: Bearer $token" "http://127.0.0.1:$front/private/page" >"$WORK/codes"
n200=$(grep -c '^200$' "$WORK/codes" || true)
n429=$(grep -c '^429$' "$WORK/codes" || true)
other=$(grep -vc -e '^200$' -e '^429$' "$WORK/codes" || true)
echo "300 logins from one client: $n200 × 200, $n429 × 429, $other other"
[ "$other" = 0 ] || die "logins answered other than 200/429: $(sort "$WORK/codes" | uniq -c | tr '\n' ' ')"
[ "$n200" -ge 20 ] || die "only $n200 logins passed (burst is 20)"
[ "$n429" -ge 1 ] || die "no login was rate limited: is X-Forwarded-For ignored?"
# One answer's whole header and body: a burst of 40 logins at once (one curl,
# in parallel) empties the bucket (burst 20, 5/s) however slow the machine is
# (sequential logins each slower than 200 ms would never find it empty); keep
# a 429 of it.
got429=
for attempt in 1 2 3; do
  args=()
  for i in $(seq 1 40); do args+=(-D "$WORK/h.$i" -o "$WORK/b.$i" "http://127.0.0.1:$front/private/page"); done
  curl -s -Z --parallel-max 40 --interface 127.0.0.2 -H "Authorization: Bearer $token" "${args[@]}" || true
  for i in $(seq 1 40); do
    if grep -q '^HTTP/1.1 429' "$WORK/h.$i" 2>/dev/null; then got429=$i; break; fi
  done
  [ -z "$got429" ] || break
done
[ -n "$got429" ] || die "the client over its rate did not get 429: $(head -1 "$WORK/h.1")"
cp "$WORK/h.$got429" "$WORK/h429"
cp "$WORK/b.$got429" "$WORK/body"
grep -qi '^Retry-After: 1' "$WORK/h429" || die "429 without Retry-After: $(cat "$WORK/h429")"
grep -q rate_limited "$WORK/body" || die "429 body: $(cat "$WORK/body")"
echo "ok: 429 with Retry-After and a JSON reason"
# another client behind the same nginx has its own budget
check "another client is not limited by the first" 200 "$token"
# the logins reused kept-alive TLS connections to the verifier
alive=$(ss -Htn state established "( dport = :$VERIFIER_PORT )" | wc -l)
[ "$alive" -ge 1 ] && [ "$alive" -le 16 ] || die "expected 1..16 kept-alive connections to the verifier, found $alive"
echo "ok: nginx keeps $alive connection(s) to the verifier alive"

# key rotation with no overlap: the old key's token is refused, a new one passes
# (the verifier drops keys retired strictly before now - overlap: rotate again
# a second later so the first key is gone)
pawctl_admin keys rotate --yes --json >"$WORK/rotate.json"
sleep 1.1
pawctl_admin keys rotate --yes --json >"$WORK/rotate.json"
check "token of a rotated-out key" 401 "$token"
expect_rc 0 agent attest
token=$(cat "$WORK/run/token")
check "new token after rotation" 200 "$token"

# revoked device: its still-unexpired token is refused
pawctl_admin devices revoke "$DEVICE_ID" --yes >/dev/null
check "revoked device" 403 "$token"
health "$rp" 300 >"$WORK/health.json"
[ "$(json_get "$WORK/health.json" allow)" = False ] || die "health query allowed a revoked device"
grep -q revoked "$WORK/health.json" || die "no revoked reason: $(cat "$WORK/health.json")"
echo "ok: health query for the revoked device → deny (revoked)"
expect_rc 2 agent attest
grep -q "revoked" "$WORK/last.err" || die "attest of a revoked device does not say so: $(cat "$WORK/last.err")"
echo "ok: the revoked agent cannot attest (exit 2, revoked)"

# the verifier down: nginx refuses (never lets the request through)
paw_verifier_stop
got=$(curl -s -D "$WORK/h503" -o "$WORK/body" -w '%{http_code}' -H "Authorization: Bearer $token" \
  "http://127.0.0.1:$front/private/page")
[ "$got" = 503 ] || die "verifier down: nginx answered $got, expected 503"
grep -qi '^Retry-After:' "$WORK/h503" || die "503 without Retry-After"
! grep -q "upstream reached" "$WORK/body" || die "verifier down: the upstream was reached"
echo "ok: verifier unreachable → 503 with Retry-After (refused)"
echo "nginx_test: ok"
