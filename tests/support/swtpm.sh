#!/usr/bin/env bash
# swtpm.sh — start a private swtpm for shell-driven tests and demos.
#
#   source tests/support/swtpm.sh
#   swtpm_start DIR      # manufactures a TPM (EK certs from a local CA) in DIR,
#                        # starts `swtpm socket` on a free loopback port, waits
#                        # until it answers; sets SWTPM_PID, SWTPM_PORT, SWTPM_TCTI,
#                        # SWTPM_CA_DIR (the local CA: root and issuer certificates)
#   swtpm_stop           # stops it by pid
#
# Also runnable: `bash swtpm.sh start DIR` prints the variables as shell
# assignments and leaves swtpm running; `bash swtpm.sh stop DIR` stops it.

swtpm_free_port() {  # prints P such that P and P+1 are free on 127.0.0.1
  python3 - <<'PY'
import socket, random
for _ in range(200):
    p = random.randint(20000, 60000)
    ok = True
    for q in (p, p + 1):
        s = socket.socket()
        try:
            s.bind(("127.0.0.1", q))
        except OSError:
            ok = False
        finally:
            s.close()
    if ok:
        print(p); break
PY
}

swtpm_manufacture() {  # swtpm_manufacture DIR: TPM state with RSA + ECC EKs and certificates
  local dir=$1
  mkdir -p "$dir/state" "$dir/ca"
  cat >"$dir/localca.conf" <<CONF
statedir = $dir/ca
signingkey = $dir/ca/signkey.pem
issuercert = $dir/ca/issuercert.pem
certserial = $dir/ca/certserial
CONF
  cat >"$dir/setup.conf" <<CONF
create_certs_tool= /usr/bin/swtpm_localca
create_certs_tool_config = $dir/localca.conf
create_certs_tool_options = /etc/swtpm-localca.options
active_pcr_banks = sha1,sha256
CONF
  swtpm_setup --tpm2 --tpmstate "$dir/state" --create-ek-cert --create-platform-cert \
    --pcr-banks sha1,sha256 --config "$dir/setup.conf" >"$dir/setup.log" 2>&1 || {
    echo "swtpm_setup failed:" >&2; cat "$dir/setup.log" >&2; return 1; }
}

swtpm_start() {
  local dir=$1
  [ -f "$dir/state/tpm2-00.permall" ] || swtpm_manufacture "$dir" || return 1
  local port; port=$(swtpm_free_port)
  swtpm socket --tpm2 --tpmstate dir="$dir/state" \
    --server type=tcp,port="$port",bindaddr=127.0.0.1 \
    --ctrl type=tcp,port=$((port + 1)),bindaddr=127.0.0.1 \
    --flags not-need-init,startup-clear --pid file="$dir/swtpm.pid" \
    --log file="$dir/swtpm.log" >/dev/null 2>&1 &
  SWTPM_PID=$!
  SWTPM_PORT=$port
  SWTPM_TCTI="swtpm:host=127.0.0.1,port=$port"
  SWTPM_CA_DIR="$dir/ca"
  echo "$SWTPM_PID" >"$dir/swtpm.pid.shell"
  local i
  for i in $(seq 1 100); do
    if tpm2_getrandom -T "$SWTPM_TCTI" 4 >/dev/null 2>&1; then
      export SWTPM_PID SWTPM_PORT SWTPM_TCTI SWTPM_CA_DIR
      return 0
    fi
    kill -0 "$SWTPM_PID" 2>/dev/null || break
    sleep 0.05
  done
  echo "swtpm did not answer on port $port" >&2
  kill "$SWTPM_PID" 2>/dev/null
  return 1
}

swtpm_stop() {
  [ -n "${SWTPM_PID:-}" ] || return 0
  kill "$SWTPM_PID" 2>/dev/null
  wait "$SWTPM_PID" 2>/dev/null
  unset SWTPM_PID
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  case "${1:-}" in
    start) swtpm_start "$2" && printf 'SWTPM_PID=%s\nSWTPM_PORT=%s\nSWTPM_TCTI=%s\nSWTPM_CA_DIR=%s\n' \
             "$SWTPM_PID" "$SWTPM_PORT" "$SWTPM_TCTI" "$SWTPM_CA_DIR" ;;
    stop) [ -f "$2/swtpm.pid.shell" ] && kill "$(cat "$2/swtpm.pid.shell")" 2>/dev/null; true ;;
    *) echo "usage: $0 start|stop DIR" >&2; exit 2 ;;
  esac
fi
