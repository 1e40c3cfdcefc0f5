#!/usr/bin/env bash
# Type=notify for both daemons, through a real notify socket as systemd
# gives it (NOTIFY_SOCKET, WATCHDOG_USEC): paw-verifier says READY=1 once it
# listens, pings the watchdog at half the interval while its connection edge
# runs, and says STOPPING=1 on SIGTERM; paw-agent run says READY=1, a STATUS
# after each round, pings while it waits between rounds, STOPPING=1 on SIGTERM.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib.sh
source "$here/lib.sh"
paw_setup
paw_start_swtpm

# listen SOCKET OUT: a datagram socket like systemd's, one line per message.
listen() {
  python3 - "$1" "$2" <<'PY' &
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
with open(sys.argv[2], "a", buffering=1) as out:
    while True:
        msg = s.recv(4096).decode()
        out.write(msg.replace("\n", " | ") + "\n")
PY
  paw_track $!
  wait_for 5 test -S "$1" || die "notify socket not created"
}
count() { grep -c -- "$1" "$2" || true; }

step "paw-verifier"
listen "$WORK/v.sock" "$WORK/v.notify"
NOTIFY_SOCKET=$WORK/v.sock WATCHDOG_USEC=400000 paw_verifier_init
NOTIFY_SOCKET=$WORK/v.sock WATCHDOG_USEC=400000 paw_verifier_start 0
wait_for 5 grep -q 'READY=1' "$WORK/v.notify" || die "no READY=1 from the verifier"
grep 'READY=1' "$WORK/v.notify" | grep -q "STATUS=listening on https://127.0.0.1:$VERIFIER_PORT" ||
  die "READY without the listening status: $(cat "$WORK/v.notify")"
ok "READY=1 once listening"
sleep 1.5
pings=$(count 'WATCHDOG=1' "$WORK/v.notify")
[ "$pings" -ge 4 ] || die "$pings watchdog pings in 1.5 s with WATCHDOG_USEC=400000 (expected about 7)"
ok "watchdog pinged $pings times in 1.5 s"
kill -TERM "$VERIFIER_PID"
wait "$VERIFIER_PID" || true
grep -q 'STOPPING=1' "$WORK/v.notify" || die "no STOPPING=1 from the verifier"
ok "STOPPING=1 on SIGTERM"

step "paw-agent run"
# The agent needs a verifier; this one runs without a notify socket.
paw_verifier_start 0
paw_demo_policy 600
paw_agent_config 60
paw_enroll notify-test
listen "$WORK/a.sock" "$WORK/a.notify"
NOTIFY_SOCKET=$WORK/a.sock WATCHDOG_USEC=1000000 "$PAW_AGENT_BIN" run --config "$WORK/agent.conf" 2>"$WORK/daemon.log" &
DAEMON=$!
paw_track "$DAEMON"
wait_for 10 grep -q 'READY=1' "$WORK/a.notify" || die "no READY=1 from the agent"
wait_for 20 grep -q 'STATUS=last round: healthy' "$WORK/a.notify" ||
  die "no status after the first round: $(cat "$WORK/a.notify"; tail -3 "$WORK/daemon.log")"
ok "READY=1, then the round's status"
before=$(count 'WATCHDOG=1' "$WORK/a.notify")
sleep 2.2
after=$(count 'WATCHDOG=1' "$WORK/a.notify")
[ $((after - before)) -ge 3 ] || die "$((after - before)) pings in 2.2 s between rounds with WATCHDOG_USEC=1000000"
ok "watchdog pinged $((after - before)) times in 2.2 s while waiting"
kill -TERM "$DAEMON"
rc=0
wait "$DAEMON" || rc=$?
[ "$rc" = 0 ] || die "agent exited $rc on SIGTERM"
grep -q 'STOPPING=1' "$WORK/a.notify" || die "no STOPPING=1 from the agent"
ok "STOPPING=1 on SIGTERM"
say "sd_notify: all checks passed"
