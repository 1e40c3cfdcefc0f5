#include "syslog_local.h"

#include <algorithm>
#include <cstdio>
#include <ctime>

namespace paw::verifier {
namespace {

// bsd_timestamp: "Mmm dd hh:mm:ss" (RFC 3164 §4.1.2: C-locale month, day
// padded with a space) of |t| seconds since the epoch, already shifted to the
// local clock.
std::string bsd_timestamp(std::int64_t t) {
  static const char* const kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                        "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  // Keep time_t and the year in range whatever the event says (years 1..9999).
  t = std::clamp<std::int64_t>(t, -62135596800LL, 253402300799LL);
  const auto tt = static_cast<std::time_t>(t);
  std::tm tm{};
  if (::gmtime_r(&tt, &tm) == nullptr) return "Jan  1 00:00:00";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%s %2d %02d:%02d:%02d", kMonths[std::clamp(tm.tm_mon, 0, 11)], tm.tm_mday,
                tm.tm_hour, tm.tm_min, tm.tm_sec);
  return buf;
}

// cut_utf8 cuts |s| to at most |n| bytes without splitting a UTF-8 sequence
// (|s| is valid UTF-8: event_json_line's).
std::string cut_utf8(const std::string& s, std::size_t n) {
  if (s.size() <= n) return s;
  while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
  return s.substr(0, n);
}

}  // namespace

std::string format_syslog_local(const EventRecord& e, bool alert, SyslogFacility facility,
                                const std::string& procid, std::int64_t utc_offset, std::size_t max_bytes) {
  max_bytes = std::max(max_bytes, kSyslogMinMax);
  const int pri = static_cast<int>(facility) * 8 + (alert ? 4 : 6);
  const bool digits = !procid.empty() && procid.size() <= 10 &&
                      std::all_of(procid.begin(), procid.end(), [](char c) { return c >= '0' && c <= '9'; });
  const std::int64_t offset = std::clamp<std::int64_t>(utc_offset, -86400, 86400);
  // Clamped before the sum: no signed overflow whatever time the record holds.
  const std::int64_t when = std::clamp<std::int64_t>(e.time, -62135596800LL, 253402300799LL) + offset;
  const std::string head = "<" + std::to_string(pri) + ">" + bsd_timestamp(when) + " paw-verifier[" +
                           (digits ? procid : "-") + "]: ";
  std::string msg = event_json_line(e);
  if (head.size() + msg.size() > max_bytes) {
    // The detail goes first; the line stays one JSON object and says it was cut.
    EventRecord bare = e;
    bare.detail = "{}";
    msg = event_json_line(bare);
    if (!msg.empty() && msg.back() == '}') msg.insert(msg.size() - 1, ",\"truncated\":true");
  }
  return head + cut_utf8(msg, max_bytes - head.size());
}

std::int64_t local_utc_offset(std::int64_t unix_s) {
  const auto tt = static_cast<std::time_t>(unix_s);
  std::tm tm{};
  if (::localtime_r(&tt, &tm) == nullptr) return 0;
  return tm.tm_gmtoff;
}

}  // namespace paw::verifier
