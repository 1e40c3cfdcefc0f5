#!/usr/bin/env bash
# console_test.sh — the verifier's web console in a real browser (issue 19):
# swtpm, the real agent with the software FIDO2 key, the verifier with
# --console-origin, an admin registered with `pawctl admin add` (who also
# signs in with `pawctl login`), and headless Chromium driven by Selenium with
# a virtual WebAuthn authenticator holding that admin's credential
# (tests/e2e/console_browser.py): refused without signing in, signs in with
# the admin's FIDO2 key, sees the device healthy,
# then unhealthy after a PCR change, signs out. The fleet has 60000 other
# events before the device's first: its page shows its attestation timeline
# all the same (GET /v1/admin/events?device=ID), the Events page starts at the
# newest event (order=desc) and pages back, `pawctl events --device` (plain
# and --follow) gives that device's events only and `pawctl events --last N`
# the newest N; `pawctl admin invite bob` gives a link with which the browser
# registers bob's new key (virtual authenticator) and bob signs in; one for
# carol is listed by `pawctl admin invitations` (table and --json) and revoked
# with `pawctl admin invitations revoke ID`, and the browser is refused her link.
# PAW_SCREENSHOTS=DIR keeps PNGs of the main pages (docs/console/).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib.sh
source "$here/lib.sh"
for b in /usr/bin/chromium /usr/bin/chromedriver; do
  [ -x "$b" ] || { echo "FAIL: $b missing: installer/install-deps.sh installs chromium chromium-driver" >&2; exit 1; }
done
/usr/bin/python3 -c 'import selenium, cryptography' ||
  { echo "FAIL: python3-selenium missing (installer/install-deps.sh)" >&2; exit 1; }
paw_setup
paw_start_swtpm
paw_verifier_init
# A busy fleet's history: 60000 events of 500 other devices, all older than
# the device's: a console that paged through the fleet's stream (50 pages of
# 1000) to find the device's would show it no attestation.
sqlite3 "$WORK/verifier/paw.db" "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 60000)
  INSERT INTO events (time, type, device_id, detail) SELECT CAST(strftime('%s', 'now') AS INTEGER), 'attestation',
  'fleet-' || (i % 500), '{\"verdict\":\"healthy\"}' FROM n" || die "cannot seed the fleet's events"
seeded=$(sqlite3 "$WORK/verifier/paw.db" "SELECT MAX(id) FROM events")
port=$(paw_free_port)
# WebAuthn's rpId must be the page's host (or a parent): localhost here, for
# the browser and for pawctl alike (docs/console.md).
paw_verifier_start "$port" --rp-id localhost --console-origin "https://localhost:$port"
paw_demo_policy 600
paw_agent_config 300
paw_enroll e2e-console
expect_rc 0 agent attest

# The PCR change the browser waits for: PCR 7 (pinned by the demo policy)
# extended on swtpm, then a new attestation (which the verifier judges unhealthy).
cat >"$WORK/pcr-change.sh" <<SH
tpm2_pcrextend -T "$SWTPM_TCTI" "7:sha256=$(printf 'console test' | sha256sum | cut -d' ' -f1)"
"$PAW_AGENT_BIN" attest --config "$WORK/agent.conf"
SH

# The admin: registered by pawctl on the software FIDO2 key and signed in
# once with pawctl login; the browser then uses that same credential.
export XDG_RUNTIME_DIR=$WORK/xdg
mkdir -m 700 "$XDG_RUNTIME_DIR"
KEY=(--fido-device "virtual:$WORK/alice.fido")
pawctl_admin admin add alice --scope read "${KEY[@]}" >"$WORK/admin-add.out" 2>&1 ||
  die "pawctl admin add: $(cat "$WORK/admin-add.out")"
"$PAWCTL_BIN" login alice "${KEY[@]}" --verifier "$VERIFIER_URL" --ca-file "$VERIFIER_CA" >"$WORK/login.out" 2>&1 ||
  die "pawctl login: $(cat "$WORK/login.out")"
grep -q "signed in as alice" "$WORK/login.out" || die "pawctl login: $(cat "$WORK/login.out")"
echo "ok: pawctl admin add alice + pawctl login alice (rp-id localhost)"

# The device's attestations as the database has them (the timeline must show each).
attestations() {
  sqlite3 "$WORK/verifier/paw.db" "SELECT COUNT(*) FROM events WHERE type = 'attestation' AND device_id = '$DEVICE_ID'"
}
n_att=$(attestations)
[ "$n_att" -ge 1 ] || die "no attestation event of $DEVICE_ID in the store"
# An invitation for bob (scope read, 10 minutes): the browser registers bob's key from its link.
pawctl_admin admin invite bob --scope read --expire 10m --json >"$WORK/invite.json" ||
  die "pawctl admin invite: $(cat "$WORK/invite.json")"
invite_url=$(json_get "$WORK/invite.json" url)
case $invite_url in "$VERIFIER_URL/#/invite/pawinv."*) ;; *) die "pawctl admin invite gave the link $invite_url" ;; esac
# One for carol, listed, then revoked before anyone opens it.
pawctl_admin admin invite carol --scope full --expire 1h --json >"$WORK/invite-carol.json" ||
  die "pawctl admin invite carol: $(cat "$WORK/invite-carol.json")"
carol_url=$(json_get "$WORK/invite-carol.json" url)
carol_id=$(json_get "$WORK/invite-carol.json" id)
pawctl_admin admin invitations >"$WORK/invitations.out" || die "pawctl admin invitations: $(cat "$WORK/invitations.out")"
grep -q "^ID  *NAME  *SCOPE  *CREATED  *EXPIRES  *INVITED BY" "$WORK/invitations.out" &&
  grep -q "^$carol_id  *carol  *full " "$WORK/invitations.out" || die "pawctl admin invitations: $(cat "$WORK/invitations.out")"
if grep -q "pawinv\." "$WORK/invitations.out"; then die "pawctl admin invitations shows a token"; fi
expect_rc 2 pawctl_admin admin invitations revoke "$carol_id"  # no terminal, no --yes: nothing sent
pawctl_admin admin invitations revoke "$carol_id" --yes >"$WORK/revoke.out" ||
  die "pawctl admin invitations revoke: $(cat "$WORK/revoke.out")"
grep -q "invitation $carol_id revoked at " "$WORK/revoke.out" || die "revoke said: $(cat "$WORK/revoke.out")"
pawctl_admin admin invitations --json >"$WORK/invitations.json" || die "pawctl admin invitations --json"
python3 - "$WORK/invitations.json" "$carol_id" <<'PY' || die "after the revocation: $(cat "$WORK/invitations.json")"
import json, sys
names = {i["id"]: i["name"] for i in json.load(open(sys.argv[1]))["invitations"]}
assert sys.argv[2] not in names and "bob" in names.values(), names
PY
expect_rc 1 pawctl_admin admin invitations revoke "$carol_id" --yes  # revoked already: 409
expect_rc 1 pawctl_admin admin invitations revoke 0123456789abcdef --yes  # unknown: 404
echo "ok: pawctl admin invitations lists carol's invitation, revoke takes it off at once"
/usr/bin/python3 "$here/console_browser.py" --invite-url "$invite_url" --invite-name bob --revoked-url "$carol_url" --url "$VERIFIER_URL" --ca "$VERIFIER_CA" --rp-id localhost \
  --admin-credential-file "$WORK/admin.cred" --admin alice --admin-key-state "$WORK/alice.fido" \
  --device "$DEVICE_ID" --attestations "$n_att" --pcr-change "bash $WORK/pcr-change.sh" --seeded "$seeded" \
  >"$WORK/browser.log" 2>&1 || { cat "$WORK/browser.log"; die "the console browser test failed"; }
cat "$WORK/browser.log"

# The verifier agrees with what the browser saw.
pawctl_admin devices show "$DEVICE_ID" --json >"$WORK/show.json" || die "pawctl devices show"
[ "$(json_get "$WORK/show.json" last_verdict)" = unhealthy ] || die "pawctl says $(json_get "$WORK/show.json" last_verdict)"
pawctl_admin events --after "$seeded" --limit 1000 --json >"$WORK/events.json" || die "pawctl events"
grep -q '"via":"console"' "$WORK/events.json" || die "no admin_login event with via console"
grep -q '"type":"admin_logout"' "$WORK/events.json" || die "no admin_logout event"

# bob is an admin now, scope read, added by the inviting credential (the audit says so).
pawctl_admin admin list --json >"$WORK/admins.json" || die "pawctl admin list"
python3 - "$WORK/admins.json" <<'PY' || die "bob is not a read admin: $(cat "$WORK/admins.json")"
import json, sys
bob = [a for a in json.load(open(sys.argv[1]))["admins"] if a["name"] == "bob"]
assert len(bob) == 1 and bob[0]["scope"] == "read" and bob[0]["created_by"], bob
PY
pawctl_admin events --last 400 --json >"$WORK/invite-events.json" || die "pawctl events --last 400"
grep -q '"via":"invitation"' "$WORK/invite-events.json" || die "no admin_added event via invitation"
grep -q '"type":"admin_invited"' "$WORK/invite-events.json" || die "no admin_invited event"
if grep -q "pawinv\." "$WORK/invite-events.json"; then die "an invitation token is in the audit trail"; fi
grep -q '"type":"admin_invitation_revoked"' "$WORK/invite-events.json" || die "no admin_invitation_revoked event"
python3 - "$WORK/admins.json" <<'PY' || die "carol became an admin through a revoked invitation"
import json, sys
assert not [a for a in json.load(open(sys.argv[1]))["admins"] if a["name"] == "carol"]
PY
echo "ok: bob was added through the invitation, scope read, audited"

# pawctl events --last N: the newest N (read newest first), printed oldest first.
newest=$(sqlite3 "$WORK/verifier/paw.db" "SELECT MAX(id) FROM events")
pawctl_admin events --last 3 --json >"$WORK/last.json" || die "pawctl events --last 3: $(cat "$WORK/last.json")"
python3 - "$WORK/last.json" "$newest" <<'PY' || die "pawctl events --last 3 did not print the newest 3"
import json, sys
ids = [json.loads(l)["id"] for l in open(sys.argv[1]) if l.strip()]
assert len(ids) == 3 and ids == sorted(ids) and ids[-1] >= int(sys.argv[2]), (ids, sys.argv[2])
assert ids[-1] - ids[0] == 2, ids  # consecutive: nothing between them was skipped
PY
expect_rc 2 pawctl_admin events --last 0
expect_rc 2 pawctl_admin events --last 5 --after 10
echo "ok: pawctl events --last 3 prints the newest 3 events"

# pawctl events --device: that device's events only, the fleet's 60000 left out.
pawctl_admin events --device "$DEVICE_ID" --limit 1000 --json >"$WORK/device-events.json" ||
  die "pawctl events --device: $(cat "$WORK/device-events.json")"
python3 - "$WORK/device-events.json" "$DEVICE_ID" "$(attestations)" <<'PY' || die "pawctl events --device gave other events"
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
assert lines and all(e["device_id"] == sys.argv[2] for e in lines), [e["device_id"] for e in lines][:5]
assert sum(e["type"] == "attestation" for e in lines) == int(sys.argv[3]), (len(lines), sys.argv[3])
PY
echo "ok: pawctl events --device lists the device's events only"
# --follow --device: other events (this admin call's audit, another device's)
# do not show; the device's next attestation does.
last=$(python3 -c 'import json,sys; print(max(json.loads(l)["id"] for l in open(sys.argv[1]) if l.strip()))' \
  "$WORK/device-events.json")
pawctl_admin events --device "$DEVICE_ID" --follow --after "$last" --json >"$WORK/follow.json" 2>"$WORK/follow.log" &
follow_pid=$!
paw_track "$follow_pid"
pawctl_admin devices list >/dev/null || die "pawctl devices list"
expect_rc 1 agent attest  # unhealthy since the PCR change: exit 1, and an attestation event all the same
wait_for 30 grep -q '"type":"attestation"' "$WORK/follow.json" ||
  die "pawctl events --device --follow did not show the new attestation: $(cat "$WORK/follow.log")"
paw_kill "$follow_pid"
python3 - "$WORK/follow.json" "$DEVICE_ID" <<'PY' || die "pawctl events --device --follow showed other events"
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
assert lines and all(e["device_id"] == sys.argv[2] for e in lines), lines
PY
echo "ok: pawctl events --device --follow shows the device's new attestation and nothing else"
# A bad device id is the verifier's 400 malformed, said as such.
if pawctl_admin events --device 'bad/id' >"$WORK/bad.out" 2>&1; then die "pawctl events --device bad/id succeeded"; fi
grep -q malformed "$WORK/bad.out" || die "pawctl events --device bad/id: $(cat "$WORK/bad.out")"
echo "ok: pawctl events --device bad/id is refused (malformed)"
echo "PASS: console_test"
