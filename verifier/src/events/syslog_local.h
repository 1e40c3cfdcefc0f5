// syslog_local.h — events in the local syslog form of /dev/log.
//
// systemd-journald's /dev/log (and rsyslog's imuxsock with its default
// special parser) read the BSD header glibc's syslog(3) writes, not RFC
// 5424's: sent an RFC 5424 message, journald keeps "1 2026-… host
// paw-verifier …" as the message text and no SYSLOG_IDENTIFIER. So for a
// unix: destination paw writes (events-syslog-format, docs/operations.md):
//
//   <PRI>Mmm dd hh:mm:ss paw-verifier[PID]: {"event_id":…,"type":…,…,"detail":{…}}
//
// PRI as in RFC 5424 (facility × 8 + severity: warning for alerts); the
// timestamp is the event's time in local time, day space-padded, as glibc
// writes it (journald and imuxsock ignore it by default: they stamp the
// arrival); no hostname (a local message has none); TAG[PID] becomes
// SYSLOG_IDENTIFIER and SYSLOG_PID. The structured data go in the message
// as the event's JSON line (syslog_format.h event_json_line), the same
// object the events-file has, so one parser reads both.
//
// Pure function, no I/O. At most max(|max_bytes|, kSyslogMinMax) bytes,
// valid UTF-8, no line break: a JSON line that does not fit loses its
// detail ("detail":{} and "truncated":true, still one JSON object); only if
// even that does not fit is the text cut at a character boundary.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "store/store.h"
#include "syslog_format.h"

namespace paw::verifier {

// format_syslog_local renders |e| (an |alert|: severity warning) with
// |procid| (digits; anything else becomes "-") for a clock |utc_offset|
// seconds east of UTC.
std::string format_syslog_local(const EventRecord& e, bool alert, SyslogFacility facility,
                                const std::string& procid, std::int64_t utc_offset, std::size_t max_bytes);

// local_utc_offset is the local time zone's offset from UTC at |unix_s| (localtime_r).
std::int64_t local_utc_offset(std::int64_t unix_s);

}  // namespace paw::verifier
