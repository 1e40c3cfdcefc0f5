#!/usr/bin/env bash
# console_test.sh — the verifier's web console in a real browser (issue 19):
# swtpm, the real agent with the software FIDO2 key, the verifier with
# --console-origin, an admin registered with `pawctl admin add` (who also
# signs in with `pawctl login`), and headless Chromium driven by Selenium with
# a virtual WebAuthn authenticator holding that admin's credential
# (tests/e2e/console_browser.py): refused without signing in, signs in with
# the admin's FIDO2 key, sees the device healthy,
# then unhealthy after a PCR change, signs out.
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

/usr/bin/python3 "$here/console_browser.py" --url "$VERIFIER_URL" --ca "$VERIFIER_CA" --rp-id localhost \
  --admin-credential-file "$WORK/admin.cred" --admin alice --admin-key-state "$WORK/alice.fido" \
  --device "$DEVICE_ID" --pcr-change "bash $WORK/pcr-change.sh" \
  >"$WORK/browser.log" 2>&1 || { cat "$WORK/browser.log"; die "the console browser test failed"; }
cat "$WORK/browser.log"

# The verifier agrees with what the browser saw.
pawctl_admin devices show "$DEVICE_ID" --json >"$WORK/show.json" || die "pawctl devices show"
[ "$(json_get "$WORK/show.json" last_verdict)" = unhealthy ] || die "pawctl says $(json_get "$WORK/show.json" last_verdict)"
pawctl_admin events --limit 1000 --json >"$WORK/events.json" || die "pawctl events"
grep -q '"via":"console"' "$WORK/events.json" || die "no admin_login event with via console"
grep -q '"type":"admin_logout"' "$WORK/events.json" || die "no admin_logout event"
echo "PASS: console_test"
