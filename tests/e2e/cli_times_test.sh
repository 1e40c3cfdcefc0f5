#!/usr/bin/env bash
# cli_times_test.sh — every time pawctl prints for people is RFC 3339 UTC
# (docs/pawctl.md "Times"), table-driven over the commands that print one,
# against a real verifier with an enrolled, attested device (swtpm + the
# software FIDO2 key):
#   - each command exits 0; those that show a time print at least one
#     YYYY-MM-DDTHH:MM:SSZ, and none prints a bare unix time (10 digits) or
#     the old "YYYY-MM-DD HH:MM:SSZ" form — event details included;
#   - --json keeps the API's numeric time fields (scripts do not parse dates).
# cli_conventions_test.sh covers the rest of the conventions without a verifier.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib.sh
source "$here/lib.sh"
paw_setup
paw_start_swtpm
paw_verifier_init
paw_verifier_start 0
paw_demo_policy 600
paw_agent_config 300
paw_enroll ws-times
expect_rc 0 agent attest

pawctl_admin rp-credential create --label rp-times --expire 1d --json >"$WORK/rp.json" || die "rp-credential create"
(umask 077; json_get "$WORK/rp.json" credential >"$WORK/rp.cred")
pawctl_admin token create --ttl 10m --label to-revoke >/dev/null || die "token create"
tok_id=$(pawctl_admin token list --json |
  python3 -c 'import json,sys; print([t["id"] for t in json.load(sys.stdin)["tokens"] if t["label"] == "to-revoke"][0])')

# command | what it must show: "time" (at least one RFC 3339 time) or "-" (no time to show)
cases=(
  "devices list|time"
  "devices show $DEVICE_ID|time"
  "events --limit 500|time"
  "token create --ttl 10m --label times|time"
  "token list|time"
  "token revoke $tok_id --yes|time"
  "credentials create --scope read --expire 1d --label times|time"
  "credentials list|time"
  "rp-credential create --label times --expire 1d|time"
  "health $DEVICE_ID --rp-credential-file $WORK/rp.cred|time"
  "policy show|time"
  "policy explain $DEVICE_ID|time"
  "token verify $WORK/run/token|time"
  "admin list|-"
  "refs pending|-"
  "keys rotate --yes|-"
)
rfc3339='[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z'
n=0
for c in "${cases[@]}"; do
  cmd=${c%|*}
  want=${c##*|}
  if [ "${cmd#token verify}" != "$cmd" ]; then  # offline: no admin credential taken
    # shellcheck disable=SC2086
    expect_rc 0 "$PAWCTL_BIN" $cmd --verifier "$VERIFIER_URL" --ca-file "$VERIFIER_CA"
  else
    # shellcheck disable=SC2086
    expect_rc 0 pawctl_admin $cmd
  fi
  out=$WORK/last.out
  if [ "$want" = time ]; then
    grep -Eq "(^|[^0-9A-Za-z])$rfc3339" "$out" || die "pawctl $cmd: no RFC 3339 time in: $(cat "$out")"
  fi
  # A unix time now is 10 digits starting 1 (2001–2033); not inside an id or a token.
  if grep -Eqn '(^|[^0-9A-Za-z_.-])1[0-9]{9}([^0-9A-Za-z_.-]|$)' "$out"; then
    die "pawctl $cmd: a bare unix time in: $(grep -En '(^|[^0-9A-Za-z_.-])1[0-9]{9}([^0-9A-Za-z_.-]|$)' "$out")"
  fi
  if grep -Eq '[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}' "$out"; then
    die "pawctl $cmd: a time without the T of RFC 3339 in: $(cat "$out")"
  fi
  n=$((n + 1))
done
ok "$n commands print RFC 3339 UTC times and no bare unix time"

# The events' JSON details in text: time members rendered too (the token events carry expires_at).
pawctl_admin events --limit 500 >"$WORK/events.txt"
grep -Eq "\"expires_at\":\"$rfc3339\"" "$WORK/events.txt" || die "no rendered expires_at in the events: $(cat "$WORK/events.txt")"
ok "time members inside event details are RFC 3339 in text"

# --json: the API's numbers, unchanged.
pawctl_admin devices list --json >"$WORK/devices.json"
python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))["devices"][0]
assert isinstance(d["last_attested_at"], int) and d["last_attested_at"] > 1600000000, d
assert isinstance(d["created_at"], int), d' "$WORK/devices.json" || die "devices list --json: times are no longer numbers"
pawctl_admin events --limit 5 --json | python3 -c '
import json, sys
for l in sys.stdin:
    e = json.loads(l); assert isinstance(e["time"], int), e' || die "events --json: time is no longer a number"
ok "--json keeps the numeric time fields"
echo "cli_times_test: ok"
