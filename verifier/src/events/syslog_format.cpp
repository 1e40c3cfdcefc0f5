#include "syslog_format.h"

#include <Poco/JSON/Object.h>

#include <algorithm>
#include <cstdio>

#include "paw/attest/json.h"
#include "paw/attest/log.h"

namespace paw::verifier {
namespace {

constexpr std::string_view kBom = "\xEF\xBB\xBF";
constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD

// utf8_char_len: the length of the well-formed UTF-8 sequence at |s[i]|
// (RFC 3629: no overlong forms, no surrogates, nothing above U+10FFFF), 0 if
// it is not one.
std::size_t utf8_char_len(std::string_view s, std::size_t i) {
  const auto b = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char c = b(i);
  if (c < 0x80) return 1;
  std::size_t n = 0;
  unsigned char lo = 0x80, hi = 0xBF;  // the allowed range of the second byte
  if (c >= 0xC2 && c <= 0xDF)
    n = 2;
  else if (c == 0xE0)
    n = 3, lo = 0xA0;
  else if (c == 0xED)
    n = 3, hi = 0x9F;
  else if (c >= 0xE1 && c <= 0xEF)
    n = 3;
  else if (c == 0xF0)
    n = 4, lo = 0x90;
  else if (c >= 0xF1 && c <= 0xF3)
    n = 4;
  else if (c == 0xF4)
    n = 4, hi = 0x8F;
  else
    return 0;
  if (s.size() - i < n) return 0;
  if (b(i + 1) < lo || b(i + 1) > hi) return 0;
  for (std::size_t k = 2; k < n; ++k) {
    if (b(i + k) < 0x80 || b(i + k) > 0xBF) return 0;
  }
  return n;
}

// clean_text: valid UTF-8 without control characters (see the header), cut
// to at most |cap| bytes at a character boundary; |controls| false keeps
// control characters (for text that JSON escapes anyway).
std::string clean_text(std::string_view s, std::size_t cap = std::string::npos, bool controls = true) {
  std::string out;
  out.reserve(std::min(s.size(), cap));
  for (std::size_t i = 0; i < s.size();) {
    const std::size_t n = utf8_char_len(s, i);
    std::string_view piece;
    char buf[8];
    if (n == 0) {
      piece = kReplacement;
      i += 1;
    } else if (controls && n == 1 && (static_cast<unsigned char>(s[i]) < 0x20 || s[i] == 0x7F)) {
      std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(static_cast<unsigned char>(s[i])));
      piece = std::string_view(buf, 6);
      i += 1;
    } else {
      piece = s.substr(i, n);
      i += n;
    }
    if (out.size() + piece.size() > cap) break;
    out += piece;
  }
  return out;
}

// header_field: PRINTUSASCII only (others become '_'), at most |cap| bytes, "-" if empty.
std::string header_field(std::string_view s, std::size_t cap) {
  std::string out;
  for (char ch : s.substr(0, cap)) out += (ch >= 33 && ch <= 126) ? ch : '_';
  return out.empty() ? "-" : out;
}

std::string render_param(std::string_view name, std::string_view value, std::size_t cap) {
  std::string r = " ";
  r += name;
  r += "=\"";
  r += sd_param_escape(clean_text(value, cap));
  r += '"';
  return r;
}

}  // namespace

bool syslog_facility_from_name(std::string_view name, SyslogFacility& out) {
  static const std::pair<std::string_view, SyslogFacility> kNames[] = {
      {"user", SyslogFacility::user},     {"daemon", SyslogFacility::daemon},
      {"auth", SyslogFacility::auth},     {"authpriv", SyslogFacility::authpriv},
      {"local0", SyslogFacility::local0}, {"local1", SyslogFacility::local1},
      {"local2", SyslogFacility::local2}, {"local3", SyslogFacility::local3},
      {"local4", SyslogFacility::local4}, {"local5", SyslogFacility::local5},
      {"local6", SyslogFacility::local6}, {"local7", SyslogFacility::local7}};
  for (const auto& [n, f] : kNames) {
    if (n == name) {
      out = f;
      return true;
    }
  }
  return false;
}

bool is_sd_name(std::string_view s) {
  if (s.empty() || s.size() > 32) return false;
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return c >= 33 && c <= 126 && c != '=' && c != ']' && c != '"'; });
}

std::string sd_param_escape(std::string_view value) {
  const std::string clean = clean_text(value);
  std::string out;
  out.reserve(clean.size());
  for (char c : clean) {
    if (c == '"' || c == '\\' || c == ']') out += '\\';
    out += c;
  }
  return out;
}

std::string format_rfc5424(const SyslogMessage& m, std::size_t max_bytes) {
  max_bytes = std::max(max_bytes, kSyslogMinMax);
  const int pri = std::clamp(m.facility, 0, 23) * 8 + std::clamp(m.severity, 0, 7);
  // Caps that keep the header and the fixed params inside kSyslogMinMax.
  std::string head = "<" + std::to_string(pri) + ">1 " + log::rfc3339_utc(m.unix_ms) + " " +
                     header_field(m.hostname, 64) + " " + header_field(m.app_name, 48) + " " +
                     header_field(m.procid, 16) + " " + header_field(m.msgid, 32) + " ";
  const std::string sd_id = is_sd_name(m.sd_id) ? m.sd_id : "paw@32473";
  // Params whose name is no SD-NAME (or repeats one) are left out.
  std::vector<std::pair<std::string_view, std::string_view>> fixed, extra;
  std::vector<std::string_view> seen;
  for (std::size_t i = 0; i < m.params.size(); ++i) {
    const auto& [name, value] = m.params[i];
    if (!is_sd_name(name) || name == "truncated" || std::find(seen.begin(), seen.end(), name) != seen.end())
      continue;
    seen.push_back(name);
    (i < m.fixed_params ? fixed : extra).emplace_back(name, value);
  }
  std::vector<std::string> extra_r;
  for (const auto& [n, v] : extra) extra_r.push_back(render_param(n, v, std::string::npos));
  const std::string msg = clean_text(m.msg);

  // render: the message with |keep| extra params, the MSG cut to |msg_cap|
  // bytes, fixed values cut to |fixed_cap|, and truncated="true" if |cut|.
  auto render = [&](std::size_t keep, std::size_t msg_cap, std::size_t fixed_cap, bool cut) {
    std::string sd;
    for (const auto& [n, v] : fixed) sd += render_param(n, v, fixed_cap);
    if (cut) sd += " truncated=\"true\"";
    for (std::size_t i = 0; i < keep; ++i) sd += extra_r[i];
    std::string out = head + (sd.empty() ? std::string("-") : "[" + sd_id + sd + "]");
    if (!msg.empty() && msg_cap != 0) {
      out += ' ';
      out += kBom;
      out += msg_cap >= msg.size() ? msg : clean_text(msg, msg_cap);
    }
    return out;
  };
  std::string out = render(extra_r.size(), msg.size(), std::string::npos, false);
  if (out.size() <= max_bytes) return out;
  // The MSG first: it repeats the detail the params carry.
  const std::string bare = render(extra_r.size(), 0, std::string::npos, true);
  if (bare.size() + 1 + kBom.size() < max_bytes && !msg.empty()) {
    return render(extra_r.size(), max_bytes - bare.size() - 1 - kBom.size(), std::string::npos, true);
  }
  if (bare.size() <= max_bytes) return bare;
  // Then the detail's params from the last (their sizes add up).
  std::size_t size = bare.size(), keep = extra_r.size();
  while (keep > 0 && size > max_bytes) size -= extra_r[--keep].size();
  if (size <= max_bytes) return render(keep, 0, std::string::npos, true);
  // Last, the fixed values themselves (only an absurd event type or device id gets here).
  for (std::size_t cap = 64;; cap /= 2) {
    out = render(0, 0, cap, true);
    if (out.size() <= max_bytes || cap == 0) return out;
  }
}

SyslogMessage event_syslog_message(const EventRecord& e, bool alert, SyslogFacility facility,
                                   const std::string& hostname, const std::string& procid) {
  SyslogMessage m;
  m.facility = static_cast<int>(facility);
  m.severity = alert ? 4 : 6;
  m.unix_ms = e.time * 1000;
  m.hostname = hostname;
  m.procid = procid;
  m.msgid = e.type;
  m.params = {{"event_id", std::to_string(e.id)},
              {"type", e.type},
              {"device_id", e.device_id},
              {"time", log::rfc3339_utc(e.time * 1000)}};
  m.fixed_params = m.params.size();
  auto detail = json::parse_object(e.detail, 1 << 20);
  if (detail.ok()) {
    // Poco keeps insertion order only when asked; names() is sorted
    // otherwise, which at least makes the order stable.
    for (const auto& name : (*detail)->getNames()) {
      const Poco::Dynamic::Var v = (*detail)->get(name);
      std::string text;
      try {
        if (v.isString())
          text = v.extract<std::string>();
        else if (v.isEmpty())
          text = "null";
        else
          text = Poco::Dynamic::Var::toString(v);
      } catch (const std::exception&) {
        text = "?";
      }
      m.params.emplace_back(name, text);
    }
  }
  m.msg = event_json_line(e);
  return m;
}

std::string event_json_line(const EventRecord& e) {
  const auto line = [&](bool parsed_detail) {
    Poco::JSON::Object::Ptr o = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
    o->set("event_id", e.id);
    o->set("type", clean_text(e.type, std::string::npos, false));
    o->set("device_id", clean_text(e.device_id, std::string::npos, false));
    o->set("time", e.time);
    o->set("time_rfc3339", log::rfc3339_utc(e.time * 1000));
    auto detail = parsed_detail ? json::parse_object(e.detail, 1 << 20)
                                : Result<json::ObjectPtr>(make_error(Errc::malformed, ""));
    if (detail.ok())
      o->set("detail", *detail);
    else
      o->set("detail", clean_text(e.detail, std::string::npos, false));
    return json::stringify(o);
  };
  // A detail paw wrote always parses and prints back; anything else (the
  // parser let invalid UTF-8 through, say) is kept as a cleaned string, so
  // the line is always valid JSON in valid UTF-8.
  std::string out = line(true);
  if (!json::parse_object(out, 1u << 24).ok()) out = line(false);
  return out;
}

}  // namespace paw::verifier
