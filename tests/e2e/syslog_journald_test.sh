#!/usr/bin/env bash
# syslog_journald_test.sh — events-syslog unix:/dev/log read by the real
# systemd-journald (docs/operations.md, "Events in the local journal"): a
# journald of its own namespace (its own /run/systemd/journal.NS/dev-log and
# journal files, nothing shared with the host's journal), the verifier sending
# to that dev-log with the default events-syslog-format (auto: the local form
# for a unix: destination). journalctl must then show each event with
# SYSLOG_IDENTIFIER paw-verifier, the verifier's pid, the facility and
# priority asked for, and the event's JSON line as MESSAGE — what an RFC 5424
# frame does not give (journald keeps its header as message text).
#
# Needs root (journald binds under /run/systemd and writes /var/log/journal)
# and /etc/machine-id; without them it exits 77, which ctest reports as
# skipped, never as passed.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib.sh
source "$here/lib.sh"
journald=/lib/systemd/systemd-journald
if [ ! -x "$journald" ] || ! command -v journalctl >/dev/null || [ "$(id -u)" != 0 ] || [ ! -s /etc/machine-id ]; then
  echo "SKIP: needs root, $journald, journalctl and /etc/machine-id (a real journald to read the messages)"
  exit 77
fi
paw_setup
ns=pawtest$$
sock=/run/systemd/journal.$ns/dev-log
store=/var/log/journal/$(cat /etc/machine-id).$ns
PAW_EXTRA_DIRS+=("/run/systemd/journal.$ns" "$store")
SYSTEMD_LOG_TARGET=console "$journald" "$ns" >"$WORK/journald.log" 2>&1 &
paw_track $!
wait_for 10 test -S "$sock" || die "systemd-journald $ns did not create $sock"
ok "systemd-journald (namespace $ns) listens on $sock"

paw_start_swtpm
paw_verifier_init
paw_verifier_start 0 --events-syslog "unix:$sock" --events-syslog-facility local2
paw_demo_policy 600
paw_agent_config 300
paw_enroll ws-journal
expect_rc 0 agent attest

# The attestation's event, as journald stored it.
read_journal() { journalctl --namespace="$ns" -o json --no-pager SYSLOG_IDENTIFIER=paw-verifier >"$WORK/journal.json"; }
has_attestation() { read_journal && grep -q '\\"type\\":\\"attestation\\"' "$WORK/journal.json"; }
wait_for 15 has_attestation || die "no attestation event in the journal: $(journalctl --namespace="$ns" -o json --no-pager | tail -3)"
python3 - "$WORK/journal.json" "$VERIFIER_PID" "$DEVICE_ID" <<'PY' || die "the journal entries are not what the verifier sent"
import json, sys
path, pid, device = sys.argv[1:4]
entries = [json.loads(l) for l in open(path) if l.strip()]
assert entries, "no entry"
seen = {}
for e in entries:
    assert e["_TRANSPORT"] == "syslog", e
    assert e["SYSLOG_IDENTIFIER"] == "paw-verifier", e
    assert e["SYSLOG_PID"] == pid, (e["SYSLOG_PID"], pid)
    assert e["SYSLOG_FACILITY"] == "18", e              # local2
    assert "SYSLOG_RAW" not in e, e                     # journald parsed the header
    msg = json.loads(e["MESSAGE"])                      # the event's JSON line, whole
    assert set(msg) == {"event_id", "type", "device_id", "time", "time_rfc3339", "detail"}, msg
    alerts = ("enrollment", "enrollment_failed", "attestation_failed", "verdict_change", "revocation", "stale",
              "enrollment_refused", "device_replaced")  # webhooks.cpp is_alert_type: severity warning
    assert e["PRIORITY"] == ("4" if msg["type"] in alerts else "6"), (e["PRIORITY"], msg["type"])
    seen[msg["type"]] = msg
att = seen["attestation"]
assert att["device_id"] == device, att
assert att["detail"]["verdict"] == "healthy", att
assert "enrollment" in seen, sorted(seen)
print("   journal: %d entries, types %s" % (len(entries), ", ".join(sorted(seen))))
PY
ok "journald stored each event with SYSLOG_IDENTIFIER=paw-verifier, SYSLOG_PID, facility local2 and the event's JSON as MESSAGE"
echo "PASS: syslog_journald_test"
