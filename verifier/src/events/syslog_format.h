// syslog_format.h — events as RFC 5424 syslog messages and as JSON lines.
//
// Pure functions, no I/O: event_export.cpp sends what they return.
//
// An event becomes (RFC 5424 §6):
//   <PRI>1 TIMESTAMP HOSTNAME paw-verifier PROCID MSGID [paw@32473 event_id="…" type="…"
//       device_id="…" time="…" KEY="…"…] BOM{"event_id":…,"detail":{…}}
// PRI is facility × 8 + severity (warning for alert types, info otherwise);
// TIMESTAMP is the event's time in RFC 3339 UTC with milliseconds and Z;
// MSGID is the event type; the SD element `paw@32473` carries the event's
// fields and then the detail's top-level members in the detail's order
// (objects and arrays as compact JSON); MSG is the event's JSON line
// (event_json_line), UTF-8 with the BOM §6.4 asks for. 32473 is the private enterprise number RFC 5612
// reserves for documentation: paw has none of its own, and the SD-ID only
// needs to be unique among what a collector receives.
//
// Every field is made legal rather than refused: header fields keep their
// PRINTUSASCII characters (others become '_', length capped, "-" if empty);
// SD-PARAM names that are not SD-NAMEs (§6.3.3) are skipped; values are
// escaped (`"` `\` `]` get a backslash), control characters become `\uXXXX`
// text (a line-based receiver never sees a line break) and invalid UTF-8
// bytes U+FFFD. A message longer than |max_bytes| is cut, in this order,
// until it fits: the MSG (at a character boundary), then the detail's
// SD-PARAMs from the last; a cut message carries truncated="true".
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "store/store.h"

namespace paw::verifier {

// Syslog facilities paw offers (RFC 5424 Table 1 codes).
enum class SyslogFacility : int {
  user = 1,
  daemon = 3,
  auth = 4,
  authpriv = 10,
  local0 = 16,
  local1 = 17,
  local2 = 18,
  local3 = 19,
  local4 = 20,
  local5 = 21,
  local6 = 22,
  local7 = 23
};
// syslog_facility_from_name reads "user", "daemon", "auth", "authpriv", "local0".."local7".
bool syslog_facility_from_name(std::string_view name, SyslogFacility& out);

// SyslogMessage: the parts of one RFC 5424 message before rendering.
struct SyslogMessage {
  int facility = 10;
  int severity = 6;          // 0 emergency .. 7 debug
  std::int64_t unix_ms = 0;  // TIMESTAMP
  std::string hostname;      // "" → "-"
  std::string app_name = "paw-verifier";
  std::string procid;  // "" → "-"
  std::string msgid;   // "" → "-"
  std::string sd_id = "paw@32473";
  std::vector<std::pair<std::string, std::string>> params;  // the SD element; none → "-"
  std::size_t fixed_params = 0;  // the first |fixed_params| params are never dropped when cutting
  std::string msg;               // "" → no MSG
};

// The RFC 5426 size every UDP receiver must take (the RFC 5424 minimum is 480).
constexpr std::size_t kSyslogDefaultMax = 2048;
constexpr std::size_t kSyslogMinMax = 480;

// format_rfc5424 renders |m| in at most max(|max_bytes|, kSyslogMinMax)
// bytes, valid UTF-8, no line break (see the top of this file).
std::string format_rfc5424(const SyslogMessage& m, std::size_t max_bytes);

// sd_param_escape escapes one PARAM-VALUE (§6.3.3) and cleans it as above.
std::string sd_param_escape(std::string_view value);

// is_sd_name says whether |s| may be an SD-NAME: 1–32 PRINTUSASCII except '=', ' ', ']', '"'.
bool is_sd_name(std::string_view s);

// event_syslog_message maps an event to its message: severity warning for
// an |alert| (webhooks.h is_alert_type), info otherwise.
SyslogMessage event_syslog_message(const EventRecord& e, bool alert, SyslogFacility facility,
                                   const std::string& hostname, const std::string& procid);

// event_json_line is the event as one line of JSON (no newline):
// {"event_id","type","device_id","time","time_rfc3339","detail"}; a detail
// that is not a JSON object (never written by paw) is kept as a string.
std::string event_json_line(const EventRecord& e);

}  // namespace paw::verifier
