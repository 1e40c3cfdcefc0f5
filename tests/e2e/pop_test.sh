#!/usr/bin/env bash
# Proof-of-possession logins through real nginx (the shipped
# docs/nginx-auth-request*.conf, unchanged), a real verifier with a "pop"
# policy and a real agent on swtpm: `paw-agent curl` (token + a DPoP proof
# signed by the TPM login key) gets 200; the same token alone as a bearer
# token, a proof for another URL or method, a replayed proof and a proof
# signed by another key (openssl P-256) get 401 with their reason; a direct
# call to the verifier's /v1/authz with a proof for that URL gets 204; with
# fido.login_presence_max_age_seconds a login needs a recent FIDO2 touch
# (presence_stale otherwise); a bearer policy admits the token alone.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib.sh
source "$here/lib.sh"
command -v nginx >/dev/null || { echo "nginx is not installed (installer/install-deps.sh installs nginx-light)" >&2; exit 1; }
paw_setup

paw_start_swtpm
paw_verifier_init
paw_verifier_start 0 --trusted-proxy 127.0.0.1
PAW_TOKEN_BINDING=pop paw_demo_policy 600
paw_agent_config 300
paw_enroll pop-test
expect_rc 0 agent attest
token=$(cat "$WORK/run/token")
[ -n "$token" ] || die "no token after a healthy attestation"
# The token is bound to the login key: cnf.jkt is the key's thumbprint.
python3 - "$token" <<'PY' || die "the token carries no cnf.jkt"
import base64, json, sys
p = sys.argv[1].split(".")[1]
c = json.loads(base64.urlsafe_b64decode(p + "=" * (-len(p) % 4)))
assert len(c["cnf"]["jkt"]) == 43, c
assert c["aud"] == c["iss"], c
PY
echo "ok: the result token carries cnf.jkt and aud"

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
events { worker_connections 64; }
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
page="http://127.0.0.1:$front/private/page"

# send NAME WANT [REASON] [curl args…]: GET $page through nginx with the given headers
send() {
  local name=$1 want=$2 reason=$3 got
  shift 3
  got=$(curl -s -D "$WORK/h" -o "$WORK/body" -w '%{http_code}' "$@" "$page")
  [ "$got" = "$want" ] || die "$name: nginx answered $got, expected $want (headers: $(cat "$WORK/h"))"
  if [ "$want" = 200 ]; then
    grep -q "upstream reached for device $DEVICE_ID" "$WORK/body" || die "$name: upstream body wrong: $(cat "$WORK/body")"
  else
    ! grep -q "upstream reached" "$WORK/body" || die "$name: the upstream was reached"
  fi
  if [ -n "$reason" ]; then
    grep -qi "^WWW-Authenticate: DPoP .*error_description=\"$reason\"" "$WORK/h" ||
      die "$name: no reason $reason in: $(grep -i www-auth "$WORK/h" || echo none)"
  fi
  echo "ok: $name → $got${reason:+ ($reason)}"
}

# --- the login as a person makes it: paw-agent curl
got=$("$PAW_AGENT_BIN" curl --config "$WORK/agent.conf" "$page" -s -o "$WORK/body" -w '%{http_code}')
[ "$got" = 200 ] || die "paw-agent curl through nginx answered $got"
grep -q "upstream reached for device $DEVICE_ID" "$WORK/body" || die "paw-agent curl: upstream body: $(cat "$WORK/body")"
echo "ok: paw-agent curl (token + TPM-signed DPoP proof) → 200"

# --- a stolen token alone
send "the same token as a bearer token" 401 dpop_missing -H "Authorization: Bearer $token"
send "the token with the DPoP scheme but no proof" 401 dpop_missing -H "Authorization: DPoP $token"

# --- proofs that do not fit this request
other=$(agent proof --method GET --url "http://127.0.0.1:$front/other/page")
send "a proof for another URL" 401 dpop_htu_mismatch -H "Authorization: DPoP $token" -H "DPoP: $other"
post=$(agent proof --method POST --url "$page")
send "a proof for another method" 401 dpop_htm_mismatch -H "Authorization: DPoP $token" -H "DPoP: $post"

# --- a proof used twice: the second use is refused
good=$(agent proof --method GET --url "$page")
send "a fresh proof (first use)" 200 "" -H "Authorization: DPoP $token" -H "DPoP: $good"
send "the same proof again (replay)" 401 dpop_replayed -H "Authorization: DPoP $token" -H "DPoP: $good"
# query strings are not part of htu; default ports and case are normalised
good=$(agent proof --method GET --url "HTTP://127.0.0.1:$front/private/./page?x=1")
send "a proof with another spelling of the same URL" 200 "" -H "Authorization: DPoP $token" -H "DPoP: $good"

# --- a proof signed by a key that is not the device's login key (a copy of
# the token on another machine, with its own key)
openssl ecparam -name prime256v1 -genkey -noout -out "$WORK/rogue.pem" 2>/dev/null
rogue=$(python3 - "$WORK/rogue.pem" "$page" "$token" <<'PY'
import base64, hashlib, json, os, subprocess, sys, time
keyfile, url, tok = sys.argv[1:4]
def b64e(b): return base64.urlsafe_b64encode(b).rstrip(b"=").decode()
der = subprocess.run(["openssl", "ec", "-in", keyfile, "-pubout", "-outform", "DER"], capture_output=True, check=True).stdout
pt = der[-65:]
assert pt[0] == 4
jwk = {"crv": "P-256", "kty": "EC", "x": b64e(pt[1:33]), "y": b64e(pt[33:])}
h = {"typ": "dpop+jwt", "alg": "ES256", "jwk": jwk}
c = {"jti": b64e(os.urandom(16)), "htm": "GET", "htu": url, "iat": int(time.time()),
     "ath": b64e(hashlib.sha256(tok.encode()).digest())}
si = (b64e(json.dumps(h, separators=(",", ":")).encode()) + "." + b64e(json.dumps(c, separators=(",", ":")).encode())).encode()
sig = subprocess.run(["openssl", "dgst", "-sha256", "-sign", keyfile], input=si, capture_output=True, check=True).stdout
i = 2 if sig[1] < 0x80 else 3
out = b""
for _ in range(2):
    n = sig[i + 1]; v = sig[i + 2:i + 2 + n]; i += 2 + n
    out += v.lstrip(b"\0").rjust(32, b"\0")
print(si.decode() + "." + b64e(out))
PY
)
send "a proof signed by another P-256 key" 401 dpop_key_mismatch -H "Authorization: DPoP $token" -H "DPoP: $rogue"
# the same proof with one signature character changed
sig=${good##*.}
first=${sig:0:1}; [ "$first" = A ] && repl=B || repl=A
send "a proof with a changed signature" 401 dpop_bad_signature -H "Authorization: DPoP $token" -H "DPoP: ${good%.*}.${repl}${sig:1}"

# --- a direct call to the verifier: the proof names its own /v1/authz URL
direct=$(agent proof --method GET --url "$VERIFIER_URL/v1/authz")
code=$(curl -s -o /dev/null -w '%{http_code}' --cacert "$VERIFIER_CA" -H "Authorization: DPoP $token" -H "DPoP: $direct" \
  "$VERIFIER_URL/v1/authz")
[ "$code" = 204 ] || die "direct /v1/authz with a proof for it answered $code"
echo "ok: direct /v1/authz with a proof for the verifier's URL → 204"
code=$(curl -s -o "$WORK/body" -w '%{http_code}' --cacert "$VERIFIER_CA" -H "Authorization: Bearer $token" "$VERIFIER_URL/v1/authz")
[ "$code" = 401 ] || die "direct bearer /v1/authz answered $code"
grep -q '"reason":"dpop_missing"' "$WORK/body" || die "direct bearer answer has no reason: $(cat "$WORK/body")"
echo "ok: direct /v1/authz with the token alone → 401 {\"reason\":\"dpop_missing\"}"

# --- step-up presence: with fido.login_presence_max_age_seconds the login
# needs an attestation with a FIDO2 touch that recent (the software key
# touches at every attestation)
python3 - "$WORK/policy-demo.json" 3 >"$WORK/policy-presence.json" <<'PY'
import json, sys
p = json.load(open(sys.argv[1]))
p["fido"]["login_presence_max_age_seconds"] = int(sys.argv[2])
print(json.dumps(p))
PY
pawctl_admin policy set default "$WORK/policy-presence.json" >/dev/null || die "policy set (presence) failed"
expect_rc 0 agent attest
token=$(cat "$WORK/run/token")
direct_authz() {  # status of a direct /v1/authz with a fresh proof (body in $WORK/body)
  local p
  p=$(agent proof --method GET --url "$VERIFIER_URL/v1/authz")
  curl -s -o "$WORK/body" -w '%{http_code}' --cacert "$VERIFIER_CA" -H "Authorization: DPoP $token" -H "DPoP: $p" \
    "$VERIFIER_URL/v1/authz"
}
code=$(direct_authz)
[ "$code" = 204 ] || die "presence within 3 s: authz answered $code ($(cat "$WORK/body"))"
echo "ok: step-up presence, touched just now → 204"
sleep 4
code=$(direct_authz)
[ "$code" = 403 ] || die "presence 4 s old under a 3 s rule: authz answered $code"
grep -q '"reason":"presence_stale"' "$WORK/body" || die "no presence_stale: $(cat "$WORK/body")"
got=$("$PAW_AGENT_BIN" curl --config "$WORK/agent.conf" "$page" -s -o "$WORK/body" -w '%{http_code}')
[ "$got" = 403 ] || die "paw-agent curl with stale presence answered $got through nginx"
echo "ok: step-up presence 4 s old (rule 3 s) → 403 presence_stale (direct and through nginx)"
expect_rc 0 agent attest
token=$(cat "$WORK/run/token")
code=$(direct_authz)
[ "$code" = 204 ] || die "after a new touch: authz answered $code"
echo "ok: a new attestation with a touch admits the login again"

# --- the same policy in bearer mode (migration) admits the token alone again
PAW_TOKEN_BINDING=bearer paw_demo_policy 600
expect_rc 0 agent attest
token=$(cat "$WORK/run/token")
send "bearer mode: the token alone" 200 "" -H "Authorization: Bearer $token"
echo "pop_test: ok"
