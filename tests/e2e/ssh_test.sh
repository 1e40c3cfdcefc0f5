#!/usr/bin/env bash
# SSH logins bound to the TPM, end to end with real parts: swtpm, paw-verifier,
# paw-agent (enrolled, healthy, serving `paw-agent ssh-agent`), OpenSSH's
# sshd on a loopback port and ssh. sshd trusts the paw SSH CA
# (`pawctl ssh-ca export`) and asks tools/ssh/paw-ssh-principals — the script
# docs/login-integration.md documents, used unchanged — which asks the
# verifier's health query at every login.
#   - the certificate ssh-keygen -L reads: principal, key id, valid until the token's exp
#   - ssh through the paw agent logs in; without it, or with an agent holding
#     an ssh-keygen key, it is refused
#   - the same certificate offered with a key from a second swtpm is refused
#   - after the certificate expired (policy token TTL 60 s) it is refused
#   - after `pawctl devices revoke` it is refused (by the principals command)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib.sh
source "$here/lib.sh"
command -v /usr/sbin/sshd >/dev/null || die "no /usr/sbin/sshd (Debian: openssh-server)"
paw_setup
export TZ=UTC
user=$(id -un)
paw_start_swtpm
paw_verifier_init
paw_verifier_start 0
paw_demo_policy 600
paw_agent_config 300
# The certificate's principals are the device's owner (`token create
# --owner`): an e-mail-like owner gives its local part — the login account
# here — and the whole name.
PAW_OWNER="$user@example.test" paw_enroll ssh-test
expect_rc 0 agent attest
cert=$WORK/agent/login-key-cert.pub
[ -s "$cert" ] || die "no $cert after a healthy attestation"
ssh-keygen -L -f "$cert" >"$WORK/cert.txt" || die "ssh-keygen -L cannot read $cert"
grep -q "Type: ecdsa-sha2-nistp256-cert-v01@openssh.com user certificate" "$WORK/cert.txt" || die "$(cat "$WORK/cert.txt")"
grep -q "Key ID: \"paw:device:$DEVICE_ID\"" "$WORK/cert.txt" || die "key id: $(cat "$WORK/cert.txt")"
grep -A1 "Principals:" "$WORK/cert.txt" | tail -1 | grep -qx "[[:space:]]*$user" || die "principal: $(cat "$WORK/cert.txt")"
exp=$(agent status --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["token_expires_at"])')
grep -q "Valid: from .* to $(date -u -d "@$exp" +%Y-%m-%dT%H:%M:%S)\$" "$WORK/cert.txt" ||
  die "valid-before is not the token's exp ($exp): $(cat "$WORK/cert.txt")"
expect_rc 0 agent ssh-cert
grep -q "principals:   $user" "$WORK/last.out" || die "ssh-cert: $(cat "$WORK/last.out")"
ok "healthy round wrote login-key-cert.pub: ssh-keygen -L shows key id, principal $user, valid until the token's exp"

# sshd: own host key and config, loopback port, the paw CA, the principals command.
mkdir -p "$WORK/sshd"
ssh-keygen -q -t ed25519 -N '' -f "$WORK/sshd/host_key"
pawctl_admin ssh-ca export --out "$WORK/sshd/paw-ssh-ca.pub" 2>>"$WORK/pawctl.log" || die "pawctl ssh-ca export failed"
curl -sf --cacert "$VERIFIER_CA" "$VERIFIER_URL/.well-known/paw-ssh-ca.pub" | cmp -s - "$WORK/sshd/paw-ssh-ca.pub" ||
  die "GET /.well-known/paw-ssh-ca.pub differs from pawctl ssh-ca export"
ca_fp=$(ssh-keygen -l -f "$WORK/sshd/paw-ssh-ca.pub" | awk '{print $2}')
grep -q "Signing CA: ECDSA $ca_fp" "$WORK/cert.txt" || die "the certificate is not signed by the exported CA"
ok "pawctl ssh-ca export = GET /.well-known/paw-ssh-ca.pub, and it signed the certificate"

pawctl_admin rp-credential create --label sshd --json >"$WORK/rp.json"
(umask 077; json_get "$WORK/rp.json" credential >"$WORK/sshd/rp.cred")
cat >"$WORK/sshd/ssh-principals.conf" <<CONF
verifier = $VERIFIER_URL
ca-file = $VERIFIER_CA
credential-file = $WORK/sshd/rp.cred
max-age = 600
CONF
# sshd runs an AuthorizedPrincipalsCommand only from a path whose every folder
# is root-owned and writable by no one else: not from a clone under /tmp (nor
# from $WORK there). The script is installed, as docs/login-integration.md
# says, into such a folder and removed with the work folder.
principals_dir=$(mktemp -d /run/paw-ssh-test.XXXXXX)
PAW_EXTRA_DIRS+=("$principals_dir")
chmod 0755 "$principals_dir"
install -m 0755 "$PAW_SOURCE_DIR/tools/ssh/paw-ssh-principals" "$principals_dir/paw-ssh-principals"
principals_cmd=$principals_dir/paw-ssh-principals
[ "$($principals_cmd "$WORK/sshd/ssh-principals.conf" "$user" "paw:device:$DEVICE_ID")" = "$user" ] ||
  die "paw-ssh-principals does not allow the healthy device"
[ -z "$($principals_cmd "$WORK/sshd/ssh-principals.conf" "$user" "paw:device:nosuchdevice" 2>/dev/null)" ] ||
  die "paw-ssh-principals allowed an unknown device"
ssh_port=$(paw_free_port)
cat >"$WORK/sshd/sshd_config" <<CONF
Port $ssh_port
ListenAddress 127.0.0.1
HostKey $WORK/sshd/host_key
PidFile none
StrictModes no
UsePAM no
LogLevel VERBOSE
PermitRootLogin prohibit-password
AuthenticationMethods publickey
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
AuthorizedKeysFile none
TrustedUserCAKeys $WORK/sshd/paw-ssh-ca.pub
AuthorizedPrincipalsCommand $principals_cmd $WORK/sshd/ssh-principals.conf %u %i
AuthorizedPrincipalsCommandUser $user
CONF
# As root, sshd wants its privilege-separation folder (Debian: /run/sshd).
if [ "$(id -u)" = 0 ] && [ ! -d /run/sshd ]; then mkdir -p -m 0755 /run/sshd; fi
/usr/sbin/sshd -t -f "$WORK/sshd/sshd_config" 2>"$WORK/sshd-check.log" || die "sshd -t: $(cat "$WORK/sshd-check.log")"
/usr/sbin/sshd -D -e -f "$WORK/sshd/sshd_config" >/dev/null 2>"$WORK/sshd.log" &
SSHD_PID=$!
paw_track "$SSHD_PID"
wait_for 10 bash -c "exec 3<>/dev/tcp/127.0.0.1/$ssh_port" || die "sshd is not listening on $ssh_port"

sock=$WORK/run/ssh-agent.sock
# Started directly (not through the agent() function) so that $! is paw-agent itself.
"$PAW_AGENT_BIN" ssh-agent --socket "$sock" --config "$WORK/agent.conf" >/dev/null 2>"$WORK/paw-ssh-agent.log" &
paw_track $!
wait_for 10 test -S "$sock" || die "paw-agent ssh-agent did not create $sock"
[ "$(stat -c %a "$sock")" = 600 ] || die "the agent socket is not mode 0600"
SSH_AUTH_SOCK=$sock ssh-add -L >"$WORK/agent-keys.txt" || die "ssh-add -L through the paw agent failed"
head -1 "$WORK/agent-keys.txt" | cut -d' ' -f1-2 | cmp -s - <(cut -d' ' -f1-2 "$cert") ||
  die "the paw agent does not offer the certificate first: $(cat "$WORK/agent-keys.txt")"
ok "paw-agent ssh-agent: socket 0600, offers the certificate and the TPM key"

# Whoever reaches the socket: unknown requests, a sign request over anything
# but an SSH login (the login key also signs DPoP and attestation proofs), a
# key the agent does not hold, and an oversized message are all refused.
python3 - "$sock" <<'PY' || die "the paw agent answered a hostile request"
import socket, struct, sys
def s(b): return struct.pack(">I", len(b)) + b
def ask(payload):
    c = socket.socket(socket.AF_UNIX); c.connect(sys.argv[1]); c.settimeout(20)
    c.sendall(payload)
    hdr = c.recv(4, socket.MSG_WAITALL)
    body = c.recv(struct.unpack(">I", hdr)[0], socket.MSG_WAITALL) if len(hdr) == 4 else b""
    c.close()
    return body
ids = ask(s(bytes([11])))
assert ids[0] == 12, ids
n = struct.unpack(">I", ids[1:5])[0]
blob = ids[9:9 + struct.unpack(">I", ids[5:9])[0]]
assert n == 2, n
assert ask(s(bytes([17]) + s(b"x"))) == bytes([5])                       # ADD_IDENTITY
assert ask(s(bytes([27]) + s(b"session-bind@openssh.com"))) == bytes([5])  # EXTENSION
jws = b"eyJhbGciOiJFUzI1NiJ9.eyJodG0iOiJHRVQifQ"
assert ask(s(bytes([13]) + s(blob) + s(jws) + struct.pack(">I", 0))) == bytes([5])
assert ask(s(bytes([13]) + s(b"not my key") + s(b"data") + struct.pack(">I", 0))) == bytes([5])
assert ask(struct.pack(">I", 0x7fffffff) + bytes([13])) == b""            # closed, nothing signed
PY
grep -q "message of 2147483647 bytes refused" "$WORK/paw-ssh-agent.log" || die "oversize message not logged as refused"
grep -q "not an SSH login" "$WORK/paw-ssh-agent.log" || die "the JWS sign request was not refused as such"
ok "the agent socket refuses unknown requests, signing a JWS, another key, a 2 GiB message"

# ssh_login AGENT_SOCKET|none: exit status of `ssh … true` as $user on the loopback sshd.
ssh_login() {
  local rc=0
  ssh -F /dev/null -o BatchMode=yes -o IdentityAgent="$1" -o IdentitiesOnly=no -o IdentityFile="$WORK/no-such-key" \
    -o UserKnownHostsFile="$WORK/sshd/known_hosts" -o StrictHostKeyChecking=accept-new -o ConnectTimeout=10 \
    -o LogLevel=ERROR -p "$ssh_port" "$user@127.0.0.1" true >>"$WORK/ssh.log" 2>&1 || rc=$?
  echo "$rc"
}
mark() { wc -l <"$WORK/sshd.log"; }
sshd_since() { tail -n +$(($1 + 1)) "$WORK/sshd.log"; }

m=$(mark)
[ "$(ssh_login "$sock")" = 0 ] || die "ssh with the paw agent was refused: $(sshd_since "$m")"
sshd_since "$m" | grep -q "Accepted publickey for $user .*ECDSA-CERT .* ID paw:device:$DEVICE_ID" ||
  die "sshd did not log the paw certificate: $(sshd_since "$m")"
ok "ssh through paw-agent ssh-agent: logged in with the paw certificate (sshd: Accepted publickey … ECDSA-CERT … ID paw:device:$DEVICE_ID)"

[ "$(ssh_login none)" = 255 ] || die "ssh without any agent logged in"
ssh-keygen -q -t ecdsa -b 256 -N '' -f "$WORK/plain_key"
ssh-agent -D -a "$WORK/other-agent.sock" >/dev/null 2>&1 </dev/null &
paw_track $!
wait_for 10 test -S "$WORK/other-agent.sock" || die "ssh-agent did not start"
SSH_AUTH_SOCK=$WORK/other-agent.sock ssh-add "$WORK/plain_key" 2>/dev/null || die "ssh-add failed"
[ "$(ssh_login "$WORK/other-agent.sock")" = 255 ] || die "an ssh-keygen key logged in"
ok "without the paw agent, or with an agent holding an ssh-keygen key: refused"

# The attacker copies the certificate (it is public) to a machine with another
# TPM and offers it with that TPM's key: an agent (below) that presents the
# paw certificate and signs with a P-256 key made in a second swtpm.
swtpm_start "$WORK/tpm2" || die "second swtpm did not start"
paw_track "$SWTPM_PID"
tpm2_tcti=$SWTPM_TCTI
TPM2OPENSSL_TCTI=$tpm2_tcti openssl genpkey -provider tpm2 -provider default -algorithm EC -pkeyopt group:P-256 \
  -out "$WORK/tpm2-key.pem" 2>"$WORK/openssl.log" || die "openssl genpkey in the second swtpm: $(cat "$WORK/openssl.log")"
cat >"$WORK/thief_agent.py" <<'PY'
# An ssh-agent that offers a stolen certificate and signs with another key
# (a TSS2 key file of a second TPM, through openssl's tpm2 provider).
import os, socket, struct, subprocess, sys, base64, tempfile
sock_path, cert_file, key_file = sys.argv[1:4]
cert = base64.b64decode(open(cert_file).read().split()[1])
def s(b): return struct.pack(">I", len(b)) + b
def mpint(b):
    b = b.lstrip(b"\0")
    return s(b"\0" + b if b and b[0] & 0x80 else b)
def der_rs(der):
    assert der[0] == 0x30
    i = 2 if der[1] < 0x80 else 3
    out = []
    for _ in range(2):
        assert der[i] == 0x02
        n = der[i + 1]
        out.append(der[i + 2:i + 2 + n]); i += 2 + n
    return out
def sign(data):
    with tempfile.NamedTemporaryFile() as f:
        f.write(data); f.flush()
        der = subprocess.run(["openssl", "dgst", "-sha256", "-provider", "tpm2", "-provider", "default",
                              "-propquery", "?provider=tpm2", "-sign", key_file, f.name],
                             check=True, capture_output=True).stdout
    r, sv = der_rs(der)
    return s(b"ecdsa-sha2-nistp256") + s(mpint(r) + mpint(sv))
srv = socket.socket(socket.AF_UNIX); srv.bind(sock_path); srv.listen(4)
while True:
    c, _ = srv.accept()
    try:
        while True:
            hdr = c.recv(4, socket.MSG_WAITALL)
            if len(hdr) < 4: break
            body = c.recv(struct.unpack(">I", hdr)[0], socket.MSG_WAITALL)
            if body[0] == 11:
                ans = bytes([12]) + struct.pack(">I", 1) + s(cert) + s(b"stolen")
            elif body[0] == 13:
                n = struct.unpack(">I", body[1:5])[0]
                m = struct.unpack(">I", body[5 + n:9 + n])[0]
                ans = bytes([14]) + s(sign(body[9 + n:9 + n + m]))
                sys.stderr.write("thief: signed with the second TPM's key\n")
            else:
                ans = bytes([5])
            c.sendall(s(ans))
    finally:
        c.close()
PY
TPM2OPENSSL_TCTI=$tpm2_tcti python3 "$WORK/thief_agent.py" "$WORK/thief.sock" "$cert" "$WORK/tpm2-key.pem" \
  >/dev/null 2>"$WORK/thief.log" &
paw_track $!
wait_for 10 test -S "$WORK/thief.sock" || die "the thief agent did not start"
m=$(mark)
[ "$(ssh_login "$WORK/thief.sock")" = 255 ] || die "the paw certificate logged in with another TPM's key"
grep -q "thief: signed with the second TPM's key" "$WORK/thief.log" ||
  die "the thief agent was never asked to sign (the test did not run the attack): $(cat "$WORK/thief.log")"
ok "the paw certificate with a key from a second swtpm: refused (the signature is checked against the certified key)"

# Expiry: tokens (and so certificates) of 60 s; once past valid-before, refused.
paw_demo_policy 60
expect_rc 0 agent attest
exp=$(agent status --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["token_expires_at"])')
[ "$(ssh_login "$sock")" = 0 ] || die "ssh with a fresh 60 s certificate was refused: $(tail -5 "$WORK/sshd.log")"
while [ "$(date +%s)" -le "$exp" ]; do sleep 1; done
m=$(mark)
[ "$(ssh_login "$sock")" = 255 ] || die "ssh with an expired certificate logged in"
sshd_since "$m" | grep -qi "expired" || die "sshd did not refuse for expiry: $(sshd_since "$m")"
expect_rc 1 agent ssh-cert
grep -q EXPIRED "$WORK/last.out" || die "ssh-cert does not say expired: $(cat "$WORK/last.out")"
ok "after valid-before (token TTL 60 s): refused by sshd (certificate expired); paw-agent ssh-cert says EXPIRED"

# Revocation: a fresh, unexpired certificate; revoke; the principals command refuses.
paw_demo_policy 600
expect_rc 0 agent attest
[ "$(ssh_login "$sock")" = 0 ] || die "ssh after re-attesting was refused"
pawctl_admin devices revoke "$DEVICE_ID" --yes >/dev/null 2>>"$WORK/pawctl.log" || die "pawctl devices revoke failed"
expect_rc 0 agent ssh-cert
m=$(mark)
[ "$(ssh_login "$sock")" = 255 ] || die "ssh from a revoked device logged in with an unexpired certificate"
sshd_since "$m" | grep -q "paw-ssh-principals: device $DEVICE_ID may not log in" ||
  die "the principals command did not refuse the revoked device: $(sshd_since "$m")"
ok "after pawctl devices revoke: the unexpired certificate is refused (paw-ssh-principals asks the health query)"
