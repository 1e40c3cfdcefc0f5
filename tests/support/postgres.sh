#!/usr/bin/env bash
# postgres.sh — a private, real PostgreSQL server for tests and benchmarks.
#
#   source tests/support/postgres.sh
#   pg_start            # initdb + pg_ctl start in a new private folder, on a free
#                       # loopback port, password authentication over TCP; sets
#                       # PG_DIR, PG_PORT, PG_PID, PG_URL (postgresql://paw:…@127.0.0.1:PORT/paw),
#                       # PG_CA (TLS is on: the server's self-signed certificate)
#   pg_createdb NAME    # creates database NAME, prints its URL
#   pg_stop             # stops the server by pid (SIGINT = fast shutdown), removes PG_DIR
#
# The first start on a machine runs initdb into /tmp/paw-pg-template-UID-VERSION
# (under a lock); every server starts from a copy of it.
#
# Also runnable: `bash postgres.sh start` prints the variables as shell
# assignments and leaves the server running; `bash postgres.sh stop DIR` stops
# it; `bash postgres.sh createdb DIR NAME` prints the new database's URL.
#
# initdb refuses to run as root: as root the server runs as `nobody` in a
# folder owned by nobody (mode 0700). PG_FSYNC=on keeps fsync (default off:
# tests crash verifiers, never the database); PG_SHARED_BUFFERS (default 64MB). Needs the Debian `postgresql`
# package (binaries in /usr/lib/postgresql/15/bin).

PG_BIN=${PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)}

pg_free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

pg_as_owner() {  # runs a command as the server's user
  if [ "$(id -u)" -eq 0 ]; then setpriv --reuid=nobody --regid=nogroup --clear-groups -- "$@"; else "$@"; fi
}

pg_start() {
  [ -x "$PG_BIN/initdb" ] || { echo "postgres.sh: no initdb under $PG_BIN (apt-get install postgresql)" >&2; return 1; }
  PG_DIR=$(mktemp -d /tmp/paw-pg.XXXXXX) || return 1
  chmod 0700 "$PG_DIR"
  [ "$(id -u)" -eq 0 ] && chown nobody:nogroup "$PG_DIR"
  # initdb once per machine into a template (shared by concurrent test
  # processes under a lock), then copy it: a start costs ~1 s instead of ~5.
  local tpl=/tmp/paw-pg-template-$(id -u)-$(basename "$(dirname "$PG_BIN")")
  (
    flock 9
    if [ ! -f "$tpl/ready" ]; then
      rm -rf "$tpl" && mkdir -m 0700 "$tpl" || exit 1
      [ "$(id -u)" -eq 0 ] && chown nobody:nogroup "$tpl"
      local pw
      pw=$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')
      pg_as_owner sh -c "umask 077; echo '$pw' >'$tpl/pwfile'"
      (cd "$tpl" && pg_as_owner "$PG_BIN/initdb" -D "$tpl/data" -U paw --pwfile="$tpl/pwfile" \
         --auth-local=scram-sha-256 --auth-host=scram-sha-256 -E UTF8 --no-instructions >"$tpl/initdb.log" 2>&1) || {
        echo "postgres.sh: initdb failed:" >&2; cat "$tpl/initdb.log" >&2; exit 1; }
      # TLS: a self-signed server certificate for localhost / 127.0.0.1 (its own CA)
      pg_as_owner sh -c "umask 077; openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 3650 \
          -subj /CN=localhost -addext 'subjectAltName=DNS:localhost,IP:127.0.0.1' \
          -keyout '$tpl/data/server.key' -out '$tpl/data/server.crt'" >"$tpl/openssl.log" 2>&1 || {
        echo "postgres.sh: openssl failed:" >&2; cat "$tpl/openssl.log" >&2; exit 1; }
      touch "$tpl/ready"
    fi
  ) 9>"/tmp/paw-pg-template-$(id -u).lock" || return 1
  cp -a "$tpl/data" "$tpl/pwfile" "$PG_DIR/" || return 1
  pg_as_owner mkdir -m 0700 "$PG_DIR/sock"
  local pw
  pw=$(cat "$PG_DIR/pwfile")
  local fsync=${PG_FSYNC:-off} try
  for try in 1 2 3 4 5; do
    PG_PORT=$(pg_free_port)
    (cd "$PG_DIR" && pg_as_owner "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w -t 30 \
       -o "-c listen_addresses=127.0.0.1 -p $PG_PORT -c unix_socket_directories=$PG_DIR/sock -c fsync=$fsync -c ssl=on \
           -c max_connections=300 -c shared_buffers=${PG_SHARED_BUFFERS:-64MB}" start >/dev/null 2>&1) && break
    PG_PORT=""
  done
  [ -n "$PG_PORT" ] || { echo "postgres.sh: server did not start:" >&2; tail -20 "$PG_DIR/server.log" >&2; return 1; }
  PG_PID=$(head -1 "$PG_DIR/data/postmaster.pid")
  PG_PASSWORD=$pw
  PG_URL="postgresql://paw:$pw@127.0.0.1:$PG_PORT/paw"
  PG_CA=$PG_DIR/ca.pem   # the server certificate (self-signed): sslrootcert for sslmode=verify-full
  cp "$PG_DIR/data/server.crt" "$PG_CA" && chmod 0644 "$PG_CA"
  echo "$PG_PID" >"$PG_DIR/pid"
  pg_psql postgres -c "CREATE DATABASE paw" >/dev/null || return 1
  export PG_DIR PG_PORT PG_PID PG_URL PG_PASSWORD PG_CA
}

pg_psql() {  # pg_psql DB ARGS…: psql as the paw superuser over TCP
  local db=$1; shift
  PGPASSWORD=$PG_PASSWORD "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PG_PORT" -U paw -d "$db" "$@"
}

pg_createdb() {
  pg_psql postgres -c "CREATE DATABASE \"$1\"" >/dev/null || return 1
  echo "postgresql://paw:$PG_PASSWORD@127.0.0.1:$PG_PORT/$1"
}

pg_stop() {
  local dir=${1:-$PG_DIR}
  [ -n "$dir" ] && [ -f "$dir/pid" ] || return 0
  local pid; pid=$(cat "$dir/pid")
  kill -INT "$pid" 2>/dev/null
  local i
  for i in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
  kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
  case "$dir" in /tmp/paw-pg.*) rm -rf "$dir" ;; esac
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  case "${1:-}" in
    start)
      pg_start >&2 || exit 1
      printf 'PG_DIR=%q\nPG_PORT=%q\nPG_PID=%q\nPG_PASSWORD=%q\nPG_URL=%q\nPG_CA=%q\n' "$PG_DIR" "$PG_PORT" "$PG_PID" "$PG_PASSWORD" "$PG_URL" "$PG_CA" ;;
    stop) pg_stop "$2" ;;
    createdb)
      PG_DIR=$2
      PG_PORT=$(sed -n 4p "$PG_DIR/data/postmaster.pid")
      PG_PASSWORD=$(cat "$PG_DIR/pwfile")
      pg_createdb "$3" ;;
    *) echo "usage: $0 start | stop DIR | createdb DIR NAME" >&2; exit 2 ;;
  esac
fi
