#!/usr/bin/env bash
# backup_restore_test.sh — the backup and restore commands of
# docs/operations.md section 8, run as written, on both stores:
#   SQLite: an online `sqlite3 … .backup` while the verifier runs and a device
#   is enrolled and attested; `PRAGMA integrity_check` says ok; a revocation
#   made after the backup; the documented restore (stop, remove the WAL files,
#   install the copy 0600, start) brings the device back as enrolled (the
#   revocation is undone, as the docs warn) and it attests healthy again with
#   the same signing key (its old token still passes /v1/authz).
#   PostgreSQL: `pg_dump --format=custom` while the verifier runs, `createdb`
#   + `pg_restore --no-owner` into a new database, a verifier on it sees the
#   device and the device attests healthy.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib.sh
source "$here/lib.sh"
# shellcheck source=../support/postgres.sh
source "$PAW_SOURCE_DIR/tests/support/postgres.sh"
paw_setup
command -v sqlite3 >/dev/null || die "sqlite3 is not installed (installer/install-deps.sh)"
paw_start_swtpm
paw_verifier_init
paw_verifier_start 0
paw_demo_policy 600
paw_agent_config 300
paw_enroll ws-backup
expect_rc 0 agent attest
token_before=$(cat "$WORK/run/token")
state=$WORK/verifier

# --- SQLite: online backup
mkdir -p "$WORK/backups"
(umask 077; sqlite3 "$state/paw.db" ".backup '$WORK/backups/paw-$(date -u +%Y%m%dT%H%M%SZ).db'")
backup=$(ls "$WORK"/backups/paw-*.db)
[ "$(stat -c %a "$backup")" = 600 ] || die "backup mode $(stat -c %a "$backup")"
[ "$(sqlite3 "$backup" 'PRAGMA integrity_check')" = ok ] || die "integrity_check of the backup"
ok "online sqlite3 .backup while the verifier runs; integrity_check ok"

pawctl_admin devices revoke "$DEVICE_ID" --yes >/dev/null || die "revoke"
paw_verifier_stop
rm -f "$state/paw.db-wal" "$state/paw.db-shm"
install -m 0600 "$backup" "$state/paw.db"
paw_verifier_start "$VERIFIER_PORT"
pawctl_admin devices show "$DEVICE_ID" --json >"$WORK/dev.json" || die "devices show after restore"
[ "$(json_get "$WORK/dev.json" status)" = enrolled ] || die "restored device: $(cat "$WORK/dev.json")"
[ "$(curl_authz "$token_before")" = 204 ] || die "a token from before the backup no longer passes /v1/authz"
expect_rc 0 agent attest
pawctl_admin devices show "$DEVICE_ID" --json >"$WORK/dev.json"
[ "$(json_get "$WORK/dev.json" last_verdict)" = healthy ] || die "not healthy after restore: $(cat "$WORK/dev.json")"
ok "SQLite restore: device back (the later revocation undone, as documented), same signing key, attests healthy"

# --- PostgreSQL: pg_dump while running, pg_restore into a new database
pg_start || die "PostgreSQL did not start"
paw_track "$PG_PID"
mkdir -p "$WORK/pgstate"
"$PAW_VERIFIER_BIN" init --state "$WORK/pgstate" --database "$PG_URL" >"$WORK/pg-init.out" 2>>"$WORK/verifier.log" ||
  die "init on PostgreSQL"
(umask 077; sed -n 's/^admin credential: //p' "$WORK/pg-init.out" >"$WORK/admin.cred")
paw_verifier_stop
"$PAW_VERIFIER_BIN" run --state "$WORK/pgstate" --database "$PG_URL" --listen "127.0.0.1:$VERIFIER_PORT" \
  --ek-ca-dir "$SWTPM_CA_DIR" --rp-id paw.test >"$WORK/verifier.out" 2>>"$WORK/verifier.log" &
VERIFIER_PID=$!
paw_track "$VERIFIER_PID"
wait_for 20 grep -q '^listening on ' "$WORK/verifier.out" || die "verifier on PostgreSQL did not start"
VERIFIER_CA=$WORK/pgstate/tls/cert.pem
paw_demo_policy 600
rm -rf "$WORK/agent" && paw_agent_config 300
paw_enroll ws-backup-pg
expect_rc 0 agent attest
pg_dump --format=custom --file="$WORK/backups/paw.dump" "$PG_URL" || die "pg_dump"
[ -s "$WORK/backups/paw.dump" ] || die "empty dump"
restored_url=$(pg_createdb paw_restored) || die "createdb"
pg_restore --no-owner --dbname="$restored_url" "$WORK/backups/paw.dump" 2>"$WORK/pg_restore.log" ||
  die "pg_restore: $(cat "$WORK/pg_restore.log")"
paw_verifier_stop
"$PAW_VERIFIER_BIN" run --state "$WORK/pgstate" --database "$restored_url" --listen "127.0.0.1:$VERIFIER_PORT" \
  --ek-ca-dir "$SWTPM_CA_DIR" --rp-id paw.test >"$WORK/verifier.out" 2>>"$WORK/verifier.log" &
VERIFIER_PID=$!
paw_track "$VERIFIER_PID"
wait_for 20 grep -q '^listening on ' "$WORK/verifier.out" || die "verifier on the restored database did not start"
pawctl_admin devices show "$DEVICE_ID" --json >"$WORK/dev.json" || die "devices show on the restored database"
[ "$(json_get "$WORK/dev.json" status)" = enrolled ] || die "restored device: $(cat "$WORK/dev.json")"
expect_rc 0 agent attest
ok "PostgreSQL: pg_dump while running, pg_restore --no-owner into a new database, the device attests"
echo "backup_restore_test: ok"
