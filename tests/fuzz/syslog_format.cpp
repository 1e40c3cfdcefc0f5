// Fuzz target: an event rendered as an RFC 5424 message, a local /dev/log
// line and a JSON line (verifier/src/events/syslog_format.h, syslog_local.h). The detail is parsed as JSON and every
// field cleaned and escaped; whatever the input, the message must stay
// within its size limit, be valid UTF-8 without a line break or NUL, keep
// the event's id, and the JSON line must parse back.
// Input: the first byte picks the size limit, then newline-separated fields:
// type, device id, detail.
#include "events/syslog_format.h"
#include "events/syslog_local.h"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "paw/attest/json.h"

namespace {

bool valid_utf8(const std::string& s) {
  for (std::size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    const std::size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (n == 0 || i + n > s.size()) return false;
    for (std::size_t k = 1; k < n; ++k) {
      if ((static_cast<unsigned char>(s[i + k]) >> 6) != 2) return false;
    }
    i += n;
  }
  return true;
}

std::string next_field(const std::string& in, std::size_t& pos) {
  const auto nl = in.find('\n', pos);
  std::string f = in.substr(pos, nl == std::string::npos ? std::string::npos : nl - pos);
  pos = nl == std::string::npos ? in.size() : nl + 1;
  return f;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::size_t max = 300 + static_cast<std::size_t>(data[0]) * 16;  // 300 (→ 480) .. 4380
  const std::string in(reinterpret_cast<const char*>(data + 1), size - 1);
  std::size_t pos = 0;
  paw::verifier::EventRecord e;
  e.id = static_cast<std::int64_t>(size);
  e.time = static_cast<std::int64_t>(size) * 1000003;
  e.type = next_field(in, pos);
  e.device_id = next_field(in, pos);
  e.detail = in.substr(pos);
  const auto m = paw::verifier::event_syslog_message(
      e, (data[0] & 1) != 0, paw::verifier::SyslogFacility::authpriv, e.device_id, e.type);
  const std::string out = paw::verifier::format_rfc5424(m, max);
  if (out.size() > std::max<std::size_t>(max, paw::verifier::kSyslogMinMax)) std::abort();
  if (!valid_utf8(out) || out.find_first_of(std::string("\n\r\0", 3)) != std::string::npos) std::abort();
  if (out.find(" event_id=\"" + std::to_string(e.id) + "\"") == std::string::npos) std::abort();
  // The local /dev/log form (syslog_local.h): the same bounds, one header, a JSON object after it.
  const std::string local = paw::verifier::format_syslog_local(e, (data[0] & 1) != 0,
                                                               paw::verifier::SyslogFacility::local7, e.type,
                                                               static_cast<std::int64_t>(data[0]) * 600 - 76800, max);
  if (local.size() > std::max<std::size_t>(max, paw::verifier::kSyslogMinMax)) std::abort();
  if (!valid_utf8(local) || local.find_first_of(std::string("\n\r\0", 3)) != std::string::npos) std::abort();
  const auto gt = local.find('>');  // <PRI>, 15 characters of time, then the tag
  const auto body = local.find("]: {");
  if (local[0] != '<' || gt == std::string::npos || local.compare(gt + 16, 14, " paw-verifier[") != 0 ||
      body == std::string::npos) {
    std::abort();
  }
  // Only a line that did not fit even without its detail is cut (and then within 3 bytes of the limit).
  const std::size_t cap = std::max<std::size_t>(max, paw::verifier::kSyslogMinMax);
  if (local.size() + 4 <= cap && !paw::json::parse_object(local.substr(body + 3), 1 << 24).ok()) std::abort();
  const std::string line = paw::verifier::event_json_line(e);
  if (line.find('\n') != std::string::npos || !paw::json::parse_object(line, 1 << 24).ok()) std::abort();
  return 0;
}
