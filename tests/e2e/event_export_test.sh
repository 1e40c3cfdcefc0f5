#!/usr/bin/env bash
# event_export_test.sh — events as JSON lines to a file and as RFC 5424
# syslog over UDP (docs/verifier.md "Exporting events"), and /metrics behind a
# credential, with the real verifier, swtpm, the software FIDO2 key and a UDP
# listener:
#   - an enrollment and an attestation land in both outputs; every syslog
#     datagram is parsed strictly as RFC 5424 (PRI from the facility and
#     severity, RFC 3339 UTC timestamp with a fraction and Z, APP-NAME,
#     MSGID = the event type, the SD element's params unescaped, the MSG the
#     same JSON as the file's line) and the event ids match `pawctl events`;
#   - the file is created 0600; after a rename (logrotate) a new file is
#     created and the next event goes there;
#   - a path that cannot be written does not hold up requests, the event is
#     in the store, and it reaches the file once the path is writable again;
#   - --metrics-auth credential: curl without a credential is 401, with an
#     admin credential 200 with the export counters.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib.sh
source "$here/lib.sh"
paw_setup
paw_start_swtpm
paw_verifier_init

# The UDP collector: each datagram as one line of hex in $WORK/udp.txt.
python3 -u - "$WORK/udp.port" "$WORK/udp.txt" <<'PY' 2>>"$WORK/udp.log" &
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 0))
open(sys.argv[1] + ".tmp", "w").write(str(s.getsockname()[1]))
import os; os.rename(sys.argv[1] + ".tmp", sys.argv[1])
with open(sys.argv[2], "a") as out:
    while True:
        data, _ = s.recvfrom(65535)
        out.write(data.hex() + "\n")
        out.flush()
PY
paw_track $!
wait_for 10 test -s "$WORK/udp.port" || die "the UDP listener did not start"
udp_port=$(cat "$WORK/udp.port")

mkdir -p "$WORK/log"
events_file=$WORK/log/events.jsonl
paw_verifier_start 0 --events-file "$events_file" --events-syslog "udp://127.0.0.1:$udp_port" \
  --events-syslog-facility local3 --metrics-auth credential
[ "$(stat -c %a "$events_file")" = 600 ] || die "events file mode $(stat -c %a "$events_file"), expected 600"
# Events from before the start (init) are not exported: the baseline is the newest then.
store_since() { pawctl_admin events --after "$1" --limit 1000 --json >"$WORK/store.jsonl"; }
store_since 0
base=$(python3 -c 'import json,sys; print(max([json.loads(l)["id"] for l in open(sys.argv[1]) if l.strip()] or [0]))' "$WORK/store.jsonl")
ok "verifier started with both outputs; the events file is 0600"
paw_demo_policy 600
paw_agent_config 300
paw_enroll ws-export
expect_rc 0 agent attest

# check_outputs: every event since the start is in the file and in syslog, parsed.
cat >"$WORK/check.py" <<'PY'
import json, re, sys
file_path, udp_path, store_path = sys.argv[1:4]
want_types = set(sys.argv[4].split(","))
lines = [json.loads(l) for l in open(file_path, encoding="utf-8")]
by_id = {l["event_id"]: l for l in lines}
assert len(by_id) == len(lines), "an event written twice to the file"
for l in lines:
    assert set(l) == {"event_id", "type", "device_id", "time", "time_rfc3339", "detail"}, l
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", l["time_rfc3339"]), l

HDR = re.compile(rb"<(\d{1,3})>1 (\S+) (\S+) (\S+) (\S+) (\S+) ")
def parse_sd(b, i):
    # One SD element: [ID name="value" ...] with \" \\ \] unescaped (RFC 5424 6.3.3).
    assert b[i:i+1] == b"[", b[i:]
    j = b.index(b" ", i)
    sd_id = b[i+1:j].decode(); params = []
    i = j
    while b[i:i+1] == b" ":
        k = b.index(b'="', i)
        name = b[i+1:k].decode(); i = k + 2; v = bytearray()
        while True:
            c = b[i:i+1]
            assert c, "unterminated PARAM-VALUE"
            if c == b"\\" and b[i+1:i+2] in (b'"', b"\\", b"]"):
                v += b[i+1:i+2]; i += 2; continue
            if c == b'"': i += 1; break
            assert c != b"]", "unescaped ] in a PARAM-VALUE"
            v += c; i += 1
        params.append((name, v.decode("utf-8")))
    assert b[i:i+1] == b"]", b[i:]
    return sd_id, params, i + 1

syslog = {}
for h in open(udp_path):
    b = bytes.fromhex(h.strip())
    assert len(b) <= 2048 and b"\n" not in b, b
    m = HDR.match(b)
    assert m, b
    pri, ts, host, app, procid, msgid = m.groups()
    assert app == b"paw-verifier", app
    assert re.fullmatch(rb"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{1,6}Z", ts), ts
    sd_id, params, i = parse_sd(b, m.end())
    assert sd_id == "paw@32473", sd_id
    names = [n for n, _ in params]
    assert names[:4] == ["event_id", "type", "device_id", "time"], names
    p = dict(params)
    assert msgid.decode() == p["type"], (msgid, p)
    assert ts.decode() == p["time"]
    alert = p["type"] in ("enrollment", "verdict_change", "attestation_failed", "revocation", "stale",
                          "enrollment_failed", "enrollment_refused", "device_replaced")
    assert int(pri) == 19 * 8 + (4 if alert else 6), (pri, p["type"])  # local3
    assert b[i:i+4] == b" \xef\xbb\xbf", "MSG must be UTF-8 with a BOM"
    msg = json.loads(b[i+4:].decode("utf-8"))
    syslog[int(p["event_id"])] = (p, msg)

store = [json.loads(l) for l in open(store_path) if l.strip()]
store_ids = {e["id"] for e in store}
assert store_ids, "no events in the store"
# Reading the store is audited: the outputs may already hold that newer event.
top = max(store_ids)
assert {i for i in by_id if i <= top} == store_ids, ("file", sorted(by_id), sorted(store_ids))
assert {i for i in syslog if i <= top} == store_ids, ("syslog", sorted(syslog), sorted(store_ids))
for e in store:
    l = by_id[e["id"]]
    p, msg = syslog[e["id"]]
    assert l["type"] == e["type"] == p["type"] and l["device_id"] == e.get("device_id", "") == p["device_id"], (l, e, p)
    assert l["time"] == e["time"] and l["detail"] == e.get("detail", {}), (l, e)
    assert msg == l, (msg, l)
    for k, v in l["detail"].items():
        if isinstance(v, str): assert p.get(k) == v, (k, v, p)
types = {e["type"] for e in store}
assert want_types <= types, (want_types, types)
print(len(store), "events:", ", ".join(sorted(types)))
PY

check_outputs() {
  python3 "$WORK/check.py" "$events_file" "$WORK/udp.txt" "$WORK/store.jsonl" enrollment,attestation,admin
}
# Events land asynchronously: wait until both outputs caught up with the store.
settled() { store_since "$base" && check_outputs; }
deadline=$((SECONDS + 20))  # by the clock: each try runs pawctl (wait_for counts tries)
until settled >/dev/null 2>&1; do
  [ $SECONDS -lt $deadline ] || { check_outputs || true; die "the outputs do not match the store"; }
  sleep 0.5
done
check_outputs
ok "file and RFC 5424 syslog carry every event of the store (parsed), enrollment and attestation included"

# --- logrotate: rename, and the next event goes to a new file
sleep 1  # the audit event of the last read is written before the rename
mv "$events_file" "$events_file.1"
rotated_lines=$(wc -l <"$events_file.1")
last=$(tail -n 1 "$WORK/store.jsonl" | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
expect_rc 0 agent attest
wait_for 10 grep -q '"type":"attestation"' "$events_file" || die "no new events file after the rename"
[ "$(stat -c %a "$events_file")" = 600 ] || die "the new events file is not 0600"
[ "$(wc -l <"$events_file.1")" = "$rotated_lines" ] || die "events went to the renamed file"
python3 -c 'import json,sys; ids=[json.loads(l)["event_id"] for l in open(sys.argv[1])]; assert min(ids) > int(sys.argv[2]), ids' \
  "$events_file" "$last" || die "the new file repeats old events"
ok "after a rename (logrotate) a new 0600 file gets the next events, the old one nothing more"

# --- an unwritable path: requests go on, the event waits, then arrives
mv "$events_file" "$events_file.2"
mkdir "$events_file"  # a directory where the file should be: open fails
t0=$(date +%s)
expect_rc 0 agent attest
[ $(($(date +%s) - t0)) -lt 20 ] || die "attest took over 20 s while the events file could not be written"
store_since "$last"
grep -q '"type":"attestation"' "$WORK/store.jsonl" || die "the attestation is not in the store"
sleep 2
code=$(curl -s -o "$WORK/metrics.txt" -w '%{http_code}' --cacert "$VERIFIER_CA" \
  -H "Authorization: Bearer $(cat "$WORK/admin.cred")" "$VERIFIER_URL/metrics")
[ "$code" = 200 ] || die "/metrics with the admin credential: $code"
grep -Eq '^paw_events_export_failures_total\{sink="file"\} [1-9]' "$WORK/metrics.txt" ||
  die "no file failure counted: $(grep paw_events "$WORK/metrics.txt")"
grep -Eq '^paw_events_exported_total\{sink="syslog"\} [1-9]' "$WORK/metrics.txt" || die "no syslog export counted"
grep -q "cannot export events" "$WORK/verifier.log" || die "the failure was not logged"
rmdir "$events_file"
wait_for 40 grep -q '"type":"attestation"' "$events_file" || die "the held-back event never reached the file"
ok "a failing file holds up no request; its events arrive once it can be written (failures counted, logged)"

# --- /metrics behind a credential
code=$(curl -s -o /dev/null -w '%{http_code}' --cacert "$VERIFIER_CA" "$VERIFIER_URL/metrics")
[ "$code" = 401 ] || die "/metrics without a credential: $code, expected 401"
code=$(curl -s -o /dev/null -w '%{http_code}' --cacert "$VERIFIER_CA" -H "Authorization: Bearer pawadm_wrong" \
  "$VERIFIER_URL/metrics")
[ "$code" = 401 ] || die "/metrics with a wrong credential: $code, expected 401"
ok "--metrics-auth credential: 401 without or with a wrong credential, 200 with an admin one"
echo "event_export_test: ok"
