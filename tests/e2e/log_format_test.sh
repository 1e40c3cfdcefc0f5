#!/usr/bin/env bash
# log_format_test.sh — one log format for paw-verifier and paw-agent run
# (paw/attest/log.h), read as an operator's tools read it:
#   - text (default): "RFC3339-UTC level program: msg key=value", a value with
#     spaces quoted; --log-level drops lower lines;
#   - json: every line of the verifier's log is one JSON object with ts (RFC
#     3339 UTC), level, program, msg and the fields;
#   - under the journal (JOURNAL_STREAM names stderr): "<N>" priority, no time;
#   - syslog: datagrams on /dev/log, facility daemon, the program as ident;
#   - the agent's daemon writes the same format;
#   - a bad value is a usage error (exit 2) naming the allowed values.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib.sh
source "$here/lib.sh"
paw_setup
paw_start_swtpm   # the verifier trusts its EK CA (paw_verifier_start); no device attests here
paw_verifier_init

ts_re='[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z'
hook=http://127.0.0.1:9/hook   # never called here: its start-up warning is the line we read
refused() { curl -s -o /dev/null --cacert "$VERIFIER_CA" "$VERIFIER_URL/v1/admin/devices"; }

step "text (default): time, level, program, message, fields; --log-level"
: >"$WORK/verifier.log"
paw_verifier_start 0 --webhook "$hook"
refused
wait_for 5 grep -q 'request refused' "$WORK/verifier.log" || die "no 'request refused' line at info"
grep -Eq "^$ts_re warning paw-verifier: webhook without secret-file: its alerts are not signed url=$hook\$" \
  "$WORK/verifier.log" || die "the start-up warning is not in the text format: $(head -3 "$WORK/verifier.log")"
grep -Eq "^$ts_re info paw-verifier: request refused route=\"GET /v1/admin/devices\" status=401 remote=127\.0\.0\.1 detail=" \
  "$WORK/verifier.log" || die "the refused request is not logged as text: $(grep refused "$WORK/verifier.log")"
paw_verifier_stop
: >"$WORK/verifier.log"
paw_verifier_start 0 --webhook "$hook" --log-level warning
refused
sleep 0.3
grep -q 'webhook without secret-file' "$WORK/verifier.log" || die "--log-level warning dropped a warning"
if grep -q 'request refused' "$WORK/verifier.log"; then die "--log-level warning kept an info line"; fi
paw_verifier_stop
ok "text lines with RFC 3339 UTC time; --log-level warning drops info, keeps warnings"

step "json: every line is one object with the same fields"
: >"$WORK/verifier.log"
paw_verifier_start 0 --webhook "$hook" --log-format json
refused
wait_for 5 grep -q 'request refused' "$WORK/verifier.log" || die "no 'request refused' line in JSON"
paw_verifier_stop
python3 - "$WORK/verifier.log" "$ts_re" <<'PY' || die "the JSON log does not hold: $(head -3 "$WORK/verifier.log")"
import json, re, sys
lines = [l for l in open(sys.argv[1]) if l.strip()]
assert lines, "empty log"
seen = set()
for l in lines:
    o = json.loads(l)
    assert re.fullmatch(sys.argv[2], o["ts"]), o
    assert o["level"] in ("debug", "info", "warning", "error"), o
    assert o["program"] == "paw-verifier", o
    seen.add(o["msg"])
    if o["msg"] == "request refused":
        assert o["status"] == "401" and o["level"] == "info", o
assert "request refused" in seen and "webhook without secret-file: its alerts are not signed" in seen, seen
PY
ok "$(wc -l <"$WORK/verifier.log") JSON lines, each with ts/level/program/msg"

step "journal: priority prefix, no time"
: >"$WORK/verifier.log"
JOURNAL_STREAM=$(stat -c '%d:%i' "$WORK/verifier.log") paw_verifier_start 0 --webhook "$hook"
wait_for 5 grep -q 'webhook without' "$WORK/verifier.log" || die "no line under JOURNAL_STREAM"
grep -q "^<4>warning paw-verifier: webhook without secret-file" "$WORK/verifier.log" ||
  die "no <4> priority prefix under JOURNAL_STREAM: $(head -2 "$WORK/verifier.log")"
paw_verifier_stop
ok "under the journal: <4>warning paw-verifier: …"

step "syslog: datagrams on /dev/log, facility daemon"
# A listener on /dev/log as a syslog daemon has one. Where the machine has one
# already, the verifier runs in its own mount namespace with ours bound there.
python3 - "$WORK/syslog.sock" "$WORK/syslog.out" <<'PY' &
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
with open(sys.argv[2], "a", buffering=1) as out:
    while True:
        out.write(s.recv(8192).decode(errors="replace").rstrip("\n") + "\n")
PY
paw_track $!
wait_for 5 test -S "$WORK/syslog.sock" || die "syslog listener did not start"
port=$(paw_free_port)
if [ -e /dev/log ]; then
  command -v unshare >/dev/null || die "/dev/log exists and unshare is missing: cannot give the verifier a private /dev/log"
  unshare -m sh -c 'mount --bind "$1" /dev/log && shift && exec "$@"' sh "$WORK/syslog.sock" \
    "$PAW_VERIFIER_BIN" run --state "$WORK/verifier" --listen "127.0.0.1:$port" --webhook "$hook" \
    --log-target syslog >"$WORK/verifier.out" 2>"$WORK/verifier-syslog.err" &
else
  ln -s "$WORK/syslog.sock" /dev/log
  PAW_EXTRA_DIRS+=(/dev/log)
  "$PAW_VERIFIER_BIN" run --state "$WORK/verifier" --listen "127.0.0.1:$port" --webhook "$hook" \
    --log-target syslog >"$WORK/verifier.out" 2>"$WORK/verifier-syslog.err" &
fi
pid=$!
paw_track "$pid"
wait_for 10 grep -q 'webhook without secret-file' "$WORK/syslog.out" ||
  die "no syslog datagram: $(cat "$WORK/syslog.out" "$WORK/verifier-syslog.err")"
# <28> = facility daemon (3) * 8 + warning (4); the ident and pid follow the time stamp.
grep -Eq "^<28>.*paw-verifier\[$pid\]: warning paw-verifier: webhook without secret-file: its alerts are not signed url=$hook" \
  "$WORK/syslog.out" || die "syslog line not as documented: $(head -2 "$WORK/syslog.out")"
if grep -q 'webhook without' "$WORK/verifier-syslog.err"; then die "--log-target syslog also wrote to stderr"; fi
paw_kill "$pid"
ok "syslog: <28>… paw-verifier[$pid]: warning paw-verifier: …, nothing on stderr"

step "paw-agent run: the same format"
mkdir -m 700 "$WORK/agent-state"
"$PAW_AGENT_BIN" run --config /dev/null --state-dir "$WORK/agent-state" --token-file "$WORK/agent-token" \
  --verifier https://127.0.0.1:9 --ca-file "$VERIFIER_CA" --retry-min 60 --log-format json 2>"$WORK/agent.log" &
apid=$!
paw_track "$apid"
wait_for 10 grep -q 'attest failed' "$WORK/agent.log" || die "the agent logged no failed round: $(cat "$WORK/agent.log")"
paw_kill "$apid"
python3 - "$WORK/agent.log" "$ts_re" <<'PY' || die "the agent's JSON log does not hold: $(cat "$WORK/agent.log")"
import json, re, sys
lines = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
for o in lines:
    assert re.fullmatch(sys.argv[2], o["ts"]) and o["program"] == "paw-agent", o
assert any(o["level"] == "info" and o["msg"].startswith("started:") for o in lines), lines
assert any(o["level"] == "warning" and o["msg"].startswith("attest failed (not enrolled)") for o in lines), lines
PY
ok "paw-agent run --log-format json: started (info), attest failed (warning)"

step "bad values are usage errors"
expect_rc 2 "$PAW_VERIFIER_BIN" run --state "$WORK/verifier" --log-level loud
out=$("$PAW_VERIFIER_BIN" run --state "$WORK/verifier" --log-format xml 2>&1 || true)
grep -q "use text or json" <<<"$out" || die "a bad --log-format does not name the allowed values: $out"
expect_rc 2 "$PAW_AGENT_BIN" run --config /dev/null --state-dir "$WORK/agent-state" --log-target file
ok "--log-level loud, --log-format xml, --log-target file: exit 2 naming the allowed values"
say "log format: all checks passed"
