#!/usr/bin/env bash
# Admins who sign in with a FIDO2 key, end to end: the real paw-verifier and
# pawctl with the software FIDO2 authenticator through libfido2. `pawctl
# admin add alice` (with the init credential, scope full), `pawctl login
# alice` (a session file, mode 0600), admin calls with the session inside
# its scope and one refused outside it (403 insufficient_scope), the audit
# trail naming alice, `pawctl logout` and the session refused after it;
# a scoped, expiring API credential for automation (`pawctl credentials create`).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib.sh
source "$here/lib.sh"
paw_setup
paw_start_swtpm
paw_verifier_init
paw_verifier_start 0
P=$PAWCTL_BIN
A=(--verifier "$VERIFIER_URL" --ca-file "$VERIFIER_CA")
KEY=(--fido-device "virtual:$WORK/alice.fido")
# The session file goes to $XDG_RUNTIME_DIR/paw/; no credential in the environment.
export XDG_RUNTIME_DIR=$WORK/xdg
mkdir -m 700 "$XDG_RUNTIME_DIR"
unset PAW_ADMIN_CREDENTIAL PAW_ADMIN_SESSION_FILE
expect_err() {  # expect_err RC PATTERN ARGS...
  local want=$1 pat=$2
  shift 2
  expect_rc "$want" "$@"
  grep -qE -- "$pat" "$WORK/last.err" || die "'$*': stderr lacks /$pat/: $(cat "$WORK/last.err")"
  echo "ok: exit $want: $(head -1 "$WORK/last.err" | cut -c1-130)"
}

# --- registration: the init credential (scope full) adds alice with scope devices
expect_rc 0 "$P" admin add alice --scope devices "${KEY[@]}" "${A[@]}" --credential-file "$WORK/admin.cred"
grep -q "admin alice added (scope devices)" "$WORK/last.out" || die "admin add: $(cat "$WORK/last.out")"
expect_rc 0 "$P" admin list "${A[@]}" --credential-file "$WORK/admin.cred"
grep -qE "^alice +devices" "$WORK/last.out" || die "admin list: $(cat "$WORK/last.out")"
expect_err 2 "no admin credential.*pawctl login" "$P" devices list "${A[@]}"
echo "ok: admin add alice; without a credential or session pawctl says how to sign in"

# --- sign in: a session file only alice can read
expect_rc 0 "$P" login alice "${KEY[@]}" "${A[@]}"
grep -q "signed in as alice (scope devices)" "$WORK/last.out" || die "login: $(cat "$WORK/last.out")"
session_file=$(find "$XDG_RUNTIME_DIR/paw" -name 'admin-session-*.json')
[ -n "$session_file" ] || die "no session file under $XDG_RUNTIME_DIR/paw"
[ "$(stat -c %a "$session_file")" = 600 ] || die "session file mode $(stat -c %a "$session_file")"
[ "$(stat -c %a "$XDG_RUNTIME_DIR/paw")" = 700 ] || die "session folder mode $(stat -c %a "$XDG_RUNTIME_DIR/paw")"
session=$(json_get "$session_file" session)
echo "ok: pawctl login alice: session in $session_file (0600)"

# --- admin calls with the session, inside and outside its scope
expect_rc 0 "$P" devices list "${A[@]}"
expect_rc 0 "$P" token create --ttl 1h --label by-alice "${A[@]}"
grep -q "^token: pawenr_" "$WORK/last.out" || die "token create with the session: $(cat "$WORK/last.out")"
expect_err 1 "403 insufficient_scope" "$P" credentials create --scope full "${A[@]}"
expect_err 1 "403 insufficient_scope" "$P" keys rotate --yes "${A[@]}"
echo "ok: the session works in scope devices and is refused outside it"

# --- the audit trail names the person
expect_rc 0 "$P" events --limit 1000 --json "${A[@]}" --credential-file "$WORK/admin.cred"
grep -q '"type":"admin_login"' "$WORK/last.out" || die "no admin_login event"
grep -q '"admin":"alice","credential":"ses-' "$WORK/last.out" || die "admin calls do not name alice"
grep -q '"error":"insufficient_scope"' "$WORK/last.out" || die "the refused call is not audited as insufficient_scope"
echo "ok: audit events name alice"

# --- sign out: the file goes, the session is refused everywhere
expect_rc 0 "$P" logout "${A[@]}"
grep -q "signed out alice" "$WORK/last.out" || die "logout: $(cat "$WORK/last.out")"
[ ! -e "$session_file" ] || die "the session file outlived logout"
expect_err 2 "no admin credential" "$P" devices list "${A[@]}"
PAW_ADMIN_CREDENTIAL=$session expect_err 1 "401" "$P" devices list "${A[@]}"
echo "ok: after pawctl logout the session is refused (401)"

# --- automation: a scoped, expiring API credential
expect_rc 0 "$P" credentials create --scope read --expire 1h --label robot "${A[@]}" --credential-file "$WORK/admin.cred"
grep -q "^scope: read" "$WORK/last.out" || die "credentials create: $(cat "$WORK/last.out")"
(umask 077; sed -n 's/^admin credential: //p' "$WORK/last.out" >"$WORK/robot.cred")
expect_rc 0 "$P" devices list "${A[@]}" --credential-file "$WORK/robot.cred"
expect_err 1 "403 insufficient_scope" "$P" token create --ttl 1h "${A[@]}" --credential-file "$WORK/robot.cred"
expect_rc 0 "$P" credentials list "${A[@]}" --credential-file "$WORK/robot.cred"
grep -qE "admin +read +active .* robot" "$WORK/last.out" || die "credentials list: $(cat "$WORK/last.out")"
echo "ok: credentials create --scope read --expire 1h"

# --- removal: alice cannot sign in any more
expect_rc 0 "$P" admin remove alice --yes "${A[@]}" --credential-file "$WORK/admin.cred"
expect_err 1 "no admin alice.*pawctl admin add alice" "$P" login alice "${KEY[@]}" "${A[@]}"
echo "pawctl_fido_admin_test: ok"
