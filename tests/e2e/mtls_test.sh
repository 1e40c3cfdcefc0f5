#!/usr/bin/env bash
# Mutual TLS with the login certificate, real parts only: swtpm, paw-verifier,
# paw-agent, nginx (Debian) with EXACTLY docs/nginx-mtls.conf and the
# docs/nginx-auth-request*.conf snippets, curl with the tpm2 OpenSSL provider
# through EXACTLY docs/openssl-tpm2.cnf. A healthy attestation leaves
# login-cert.pem (0644) beside login-key.pem; under the proof-of-possession
# policy (the default) `curl --cert login-cert.pem --key login-key.pem` plus
# "Authorization: DPoP <token>" gets 200 with no DPoP proof: the certificate
# nginx verified and forwards is the proof (RFC 8705). Refused: no certificate, a
# certificate the device CA did not issue (self-signed with the real TPM key),
# the key file copied to another TPM (second swtpm), another key with the
# certificate, and — with an unexpired certificate — a revoked device (403,
# /v1/authz is asked per request). An unhealthy round removes login-cert.pem;
# after `pawctl ca rotate` (bundle exported again, nginx reloaded) the
# previous CA's certificate and the new CA's both get 200.
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
PAW_OWNER=alice@example.test paw_enroll mtls-test
key=$WORK/agent/login-key.pem
cert=$WORK/agent/login-cert.pem
[ ! -e "$cert" ] || die "login-cert.pem before any attestation"
expect_rc 0 agent attest
[ -s "$cert" ] || die "no login-cert.pem after a healthy attestation"
[ "$(stat -c %a "$cert")" = 644 ] || die "login-cert.pem is not mode 0644"
token=$(cat "$WORK/run/token")
openssl x509 -in "$cert" -noout -ext subjectAltName,extendedKeyUsage >"$WORK/cert.txt" 2>&1 ||
  die "openssl x509: $(cat "$WORK/cert.txt")"
grep -q "URI:urn:paw:device:$DEVICE_ID" "$WORK/cert.txt" || die "SAN: $(cat "$WORK/cert.txt")"
grep -q "email:alice@example.test" "$WORK/cert.txt" || die "SAN without the owner: $(cat "$WORK/cert.txt")"
grep -q "TLS Web Client Authentication" "$WORK/cert.txt" || die "EKU: $(cat "$WORK/cert.txt")"
ok "healthy attestation: login-cert.pem (0644) for urn:paw:device:$DEVICE_ID and its owner alice@example.test, clientAuth"

# --- the device CA bundle, as nginx gets it
ngx=$WORK/nginx
mkdir -p "$ngx/paw" "$ngx/tmp"
cp "$VERIFIER_CA" "$ngx/paw/verifier-ca.pem"
"$PAWCTL_BIN" ca export --out "$ngx/paw/device-ca.pem" --verifier "$VERIFIER_URL" --ca-file "$VERIFIER_CA" \
  2>"$WORK/export.log" || die "pawctl ca export: $(cat "$WORK/export.log")"
curl -s --cacert "$VERIFIER_CA" "$VERIFIER_URL/.well-known/paw-device-ca.pem" >"$WORK/bundle.pem"
cmp -s "$WORK/bundle.pem" "$ngx/paw/device-ca.pem" || die "pawctl ca export differs from the well-known bundle"
openssl verify -CAfile "$ngx/paw/device-ca.pem" -purpose sslclient "$cert" >"$WORK/verify.log" 2>&1 ||
  die "openssl verify: $(cat "$WORK/verify.log")"
ok "pawctl ca export = GET /.well-known/paw-device-ca.pem (no credential); openssl verify accepts the certificate"

# --- nginx: TLS server (its own certificate) with client certificates. An
# Ed25519 server key: the tpm2 provider has no Ed25519, so curl checks the
# server's signature in software. With an ECDSA server key the provider
# would verify it inside the TPM too, and swtpm (no resource manager, 3
# object slots) runs out of slots for that.
openssl req -x509 -newkey ed25519 -nodes -days 1 -subj /CN=localhost \
  -addext subjectAltName=DNS:localhost -keyout "$ngx/server-key.pem" -out "$ngx/server.pem" 2>/dev/null
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
  upstream paw_verifier { server 127.0.0.1:$VERIFIER_PORT; keepalive 4; }
  map "" \$paw_verifier_name { default localhost; }
  server {
    listen 127.0.0.1:$back;
    location / { return 200 "upstream reached for device \$http_x_paw_device\n"; }
  }
  server {
    listen 127.0.0.1:$front ssl;
    ssl_certificate $ngx/server.pem;
    ssl_certificate_key $ngx/server-key.pem;
    include $PAW_SOURCE_DIR/docs/nginx-mtls.conf;
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
nginx_pid=$!
paw_track "$nginx_pid"
wait_for 10 curl -s -o /dev/null --cacert "$ngx/server.pem" "https://localhost:$front/" || die "nginx did not start"

export TPM2OPENSSL_TCTI=$SWTPM_TCTI
# req [CURL ARGS...]: GET / through nginx with the token; prints the status
# (000 when curl or the TLS handshake failed; curl's exit code in $WORK/curl.rc).
req() {
  local rc=0
  OPENSSL_CONF=$PAW_SOURCE_DIR/docs/openssl-tpm2.cnf curl -sS -o "$WORK/body" -w '%{http_code}' --cacert "$ngx/server.pem" -H "Authorization: DPoP $token" \
    "$@" "https://localhost:$front/private/page" 2>"$WORK/curl.err" || rc=$?
  echo "$rc" >"$WORK/curl.rc"
}
reached() { grep -q "upstream reached for device $DEVICE_ID" "$WORK/body" 2>/dev/null; }

got=$(req --cert "$cert" --key "$key")
[ "$got" = 200 ] && reached || die "certificate + TPM key: $got rc=$(cat "$WORK/curl.rc") $(cat "$WORK/curl.err") $(cat "$WORK/body")"
ok "curl --cert login-cert.pem --key login-key.pem (tpm2 provider) + PoP token, no DPoP proof → 200 (the certificate is the proof)"
got=$(curl -s -o "$WORK/body" -w '%{http_code}' --cacert "$VERIFIER_CA" -H "Authorization: DPoP $token" "$VERIFIER_URL/v1/authz")
[ "$got" = 401 ] && grep -q dpop_missing "$WORK/body" || die "the token alone at /v1/authz: $got $(cat "$WORK/body")"
ok "the same token alone (no certificate, no DPoP proof) → 401 dpop_missing"

rm -f "$WORK/body"
got=$(req)
[ "$got" = 400 ] && ! reached || die "no certificate: $got"
ok "no client certificate → 400 (nginx: no required SSL certificate)"

# The real TPM key in a certificate the device CA did not issue (what root on
# the workstation can make: any name, its own key).
openssl req -provider tpm2 -provider default -x509 -new -key "$key" -subj "/CN=$DEVICE_ID" -days 1 \
  -addext "subjectAltName=URI:urn:paw:device:$DEVICE_ID" -addext extendedKeyUsage=clientAuth \
  -out "$WORK/self.pem" 2>"$WORK/openssl.log" || die "openssl req with the TPM key: $(cat "$WORK/openssl.log")"
rm -f "$WORK/body"
got=$(req --cert "$WORK/self.pem" --key "$key")
[ "$got" != 200 ] && ! reached || die "self-issued certificate: $got"
grep -q "client SSL certificate verify error" "$ngx/error.log" || die "nginx did not log the certificate error"
ok "a certificate for the TPM key not issued by the device CA → refused ($got)"

# The key file copied to another machine: a second swtpm.
saved=("$SWTPM_PID" "$SWTPM_PORT" "$SWTPM_TCTI" "$SWTPM_CA_DIR")
swtpm_start "$WORK/tpm-other" || die "second swtpm did not start"
paw_track "$SWTPM_PID"
other_tcti=$SWTPM_TCTI
SWTPM_PID=${saved[0]} SWTPM_PORT=${saved[1]} SWTPM_TCTI=${saved[2]} SWTPM_CA_DIR=${saved[3]}
cp "$key" "$WORK/stolen-key.pem"
rm -f "$WORK/body"
got=$(TPM2OPENSSL_TCTI=$other_tcti req --cert "$cert" --key "$WORK/stolen-key.pem")
[ "$got" = 000 ] && ! reached || die "stolen key file on another TPM: $got"
ok "login-key.pem copied to another TPM (second swtpm): curl cannot use it, no request ($(cat "$WORK/curl.rc"))"

# Another key with the certificate: the TLS stack refuses to offer a
# certificate it cannot sign the handshake for (CertificateVerify).
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$WORK/other-key.pem" 2>/dev/null
rm -f "$WORK/body"
got=$(req --cert "$cert" --key "$WORK/other-key.pem")
[ "$got" = 000 ] && ! reached || die "certificate with another key: $got"
ok "the certificate with another key: no handshake ($(cat "$WORK/curl.rc"))"

# An unhealthy round (the login key proof missing) removes the certificate;
# the next healthy one brings a new one.
mv "$key" "$WORK/login-key.keep"
expect_rc 1 agent attest
[ ! -e "$cert" ] || die "login-cert.pem kept after an unhealthy attestation"
mv "$WORK/login-key.keep" "$key"
expect_rc 0 agent attest
[ -s "$cert" ] || die "no login-cert.pem after a healthy attestation again"
token=$(cat "$WORK/run/token")
ok "unhealthy attestation: login-cert.pem removed; healthy again: a new one"

# CA rotation: the previous CA stays in the bundle for the overlap, so a
# certificate it issued keeps working while new ones come from the new CA.
cp "$cert" "$WORK/old-cert.pem"
pawctl_admin ca rotate --yes >"$WORK/rotate.out" || die "pawctl ca rotate: $(cat "$WORK/rotate.out")"
"$PAWCTL_BIN" ca export --out "$ngx/paw/device-ca.pem" --verifier "$VERIFIER_URL" --ca-file "$VERIFIER_CA" \
  2>"$WORK/export.log" || die "pawctl ca export: $(cat "$WORK/export.log")"
[ "$(grep -c 'BEGIN CERTIFICATE' "$ngx/paw/device-ca.pem")" = 2 ] || die "the bundle after a rotation is not 2 CAs"
kill -HUP "$nginx_pid"
wait_for 10 grep -q reconfiguring "$ngx/error.log" || die "nginx did not reload"
sleep 1  # the new worker takes over
got=$(req --cert "$WORK/old-cert.pem" --key "$key")
[ "$got" = 200 ] && reached || die "certificate of the previous CA after the rotation: $got"
expect_rc 0 agent attest
token=$(cat "$WORK/run/token")
[ "$(openssl x509 -in "$cert" -noout -issuer)" != "$(openssl x509 -in "$WORK/old-cert.pem" -noout -issuer)" ] ||
  die "the certificate after the rotation has the old issuer"
got=$(req --cert "$cert" --key "$key")
[ "$got" = 200 ] && reached || die "certificate of the new CA: $got"
ok "pawctl ca rotate + export + nginx reload: the previous CA's certificate and the new CA's both → 200"

# Revoked: the certificate is still unexpired, /v1/authz refuses per request.
pawctl_admin devices revoke "$DEVICE_ID" --yes >/dev/null
openssl verify -CAfile "$ngx/paw/device-ca.pem" "$cert" >/dev/null 2>&1 || die "the certificate should still be valid"
rm -f "$WORK/body"
got=$(req --cert "$cert" --key "$key")
[ "$got" = 403 ] && ! reached || die "revoked device with an unexpired certificate: $got"
ok "pawctl devices revoke: the unexpired certificate + token → 403"
