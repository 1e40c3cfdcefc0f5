#!/usr/bin/env bash
# paw-agent run: keeps the token file fresh at a short interval, attests on
# SIGUSR1, reloads its settings on SIGHUP, survives the verifier being down
# for a while with capped exponential back-off (attempts counted in its log:
# no busy loop), recovers when it is back, and exits 0 on SIGTERM. Prints the
# daemon's resident memory in a steady state (VmRSS).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib.sh
source "$here/lib.sh"
paw_setup
paw_start_swtpm
paw_verifier_init
paw_verifier_start 0
paw_demo_policy 600
paw_agent_config 2
cat >>"$WORK/agent.conf" <<CONF
retry-min = 1
retry-max = 3
CONF
paw_enroll daemon-test

log=$WORK/daemon.log
"$PAW_AGENT_BIN" run --config "$WORK/agent.conf" 2>"$log" &
DAEMON=$!
paw_track "$DAEMON"
count() { grep -c -- "$1" "$log" || true; }

# 1. attests at start and writes the token file (mode 0640)
wait_for 20 test -s "$WORK/run/token" || die "no token file after start"
mode=$(stat -c %a "$WORK/run/token")
[ "$mode" = 640 ] || die "token file mode $mode, expected 640"
echo "ok: token file written at start (mode $mode)"

# 2. keeps it fresh: a new token within a few intervals
first=$(cat "$WORK/run/token")
wait_for 15 bash -c '[ "$(cat "$1")" != "$2" ]' _ "$WORK/run/token" "$first" || die "token not renewed"
echo "ok: token renewed at the interval ($(count 'attest: healthy') healthy rounds so far)"

# 3. SIGUSR1 attests now
kill -USR1 "$DAEMON"
wait_for 10 grep -q 'SIGUSR1: attesting now' "$log" || die "SIGUSR1 ignored"
echo "ok: SIGUSR1 → attest now"

# 4. SIGHUP reloads the settings (new interval)
sed -i 's/^interval = .*/interval = 3/' "$WORK/agent.conf"
kill -HUP "$DAEMON"
wait_for 10 grep -q 'settings reloaded (interval 3 s)' "$log" || die "SIGHUP did not reload: $(tail -3 "$log")"
echo "ok: SIGHUP → settings reloaded"
# a broken config on SIGHUP keeps the old settings
cp "$WORK/agent.conf" "$WORK/agent.conf.good"
echo "bogus-key = 1" >>"$WORK/agent.conf"
kill -HUP "$DAEMON"
wait_for 10 grep -q 'keeping the old settings' "$log" || die "a bad config on SIGHUP was not refused"
cp "$WORK/agent.conf.good" "$WORK/agent.conf"
kill -0 "$DAEMON" || die "daemon died on a bad config"
echo "ok: SIGHUP with a bad config → old settings kept, still running"

# 5. steady-state memory
sleep 1
rss=$(awk '/^VmRSS/ {print $2}' "/proc/$DAEMON/status")
anon=$(awk '/^RssAnon/ {print $2}' "/proc/$DAEMON/status")
echo "paw-agent run steady-state VmRSS: $rss kB (RssAnon $anon kB; the rest is shared libraries)"
[ "$rss" -lt 65536 ] || die "the daemon uses $rss kB: more than 64 MB"

# 6. the verifier goes down for 8 s: back-off, not a busy loop
paw_verifier_stop
before=$(count 'attest failed')
down_at=$(date +%s)
sleep 8
after=$(count 'attest failed')
attempts=$((after - before))
echo "attempts while the verifier was down for 8 s: $attempts"
[ "$attempts" -ge 2 ] || die "only $attempts attempts in 8 s (does it retry?)"
[ "$attempts" -le 7 ] || die "$attempts attempts in 8 s: back-off not working"
grep 'attest failed (network)' "$log" | tail -3 | grep -q 'retry [0-9]* in 3 s' ||
  grep 'attest failed (network)' "$log" | tail -3 | grep -q 'retry [0-9]* in [23] s' ||
  die "back-off did not reach its cap: $(grep 'attest failed' "$log" | tail -3)"
[ -s "$WORK/run/token" ] || die "the still-valid token was dropped while the verifier was down"
echo "ok: capped exponential back-off, token kept"

# 7. the verifier comes back on the same port: the daemon recovers by itself
paw_verifier_start "$VERIFIER_PORT"
healthy_before=$(count 'attest: healthy')
wait_for 15 bash -c '[ "$(grep -c "attest: healthy" "$1")" -gt "$2" ]' _ "$log" "$healthy_before" ||
  die "no recovery after the verifier came back: $(tail -3 "$log")"
echo "ok: recovered $(( $(date +%s) - down_at )) s after the outage began"
expect_rc 0 agent status --json
grep -q '"last_verdict":"healthy"' "$WORK/last.out" || die "status after recovery: $(cat "$WORK/last.out")"

# 8. a token file that cannot be written: `paw-agent attest` does not say success
expect_rc 2 "$PAW_AGENT_BIN" attest --config "$WORK/agent.conf" --token-file /proc/paw-no-such-dir/token
grep -q "the verdict could not be kept" "$WORK/last.err" || die "attest with an unwritable token file: $(cat "$WORK/last.err")"
echo "ok: attest with an unwritable token file → exit 2, says why"

# 9. revoked: the daemon removes the token, says so and stops attesting (no retries)
pawctl_admin devices revoke "$DEVICE_ID" --yes >/dev/null 2>>"$WORK/pawctl.log" || die "pawctl devices revoke failed"
kill -USR1 "$DAEMON"
wait_for 15 grep -q 'revoked or deleted' "$log" || die "the daemon did not notice the revocation: $(tail -3 "$log")"
[ ! -e "$WORK/run/token" ] || die "the token file is still there after the revocation"
rounds=$(grep -c 'paw-agent: attest' "$log" || true)
sleep 5  # interval 3 s, retry-min 1 s: several rounds would have come
[ "$(grep -c 'paw-agent: attest' "$log" || true)" = "$rounds" ] || die "the daemon kept attesting after the revocation: $(tail -3 "$log")"
kill -0 "$DAEMON" || die "the daemon exited on the revocation (systemd would restart it into a loop)"
expect_rc 2 agent attest
grep -q "could not attest (device revoked or deleted)" "$WORK/last.err" || die "attest after revocation: $(cat "$WORK/last.err")"
grep -q "enroll again" "$WORK/last.err" || die "attest after revocation gives no next step: $(cat "$WORK/last.err")"
echo "ok: revoked → token removed, the daemon stops attesting and stays up; attest says enroll again"

# 10. SIGTERM: clean exit 0
kill -TERM "$DAEMON"
rc=0
wait "$DAEMON" || rc=$?
[ "$rc" = 0 ] || die "daemon exited $rc on SIGTERM"
grep -q 'stopping on SIGTERM' "$log" || die "no stop message"
echo "ok: SIGTERM → exit 0"
echo "daemon_test: ok"
