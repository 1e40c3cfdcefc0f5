// log.cpp — see paw/attest/log.h.
#include "paw/attest/log.h"

#include <sys/stat.h>
#include <syslog.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <mutex>

namespace paw::log {
namespace {

std::mutex g_mu;  // guards g_settings' strings and the writes
Settings g_settings;
std::atomic<int> g_level{static_cast<int>(Level::info)};
bool g_journal = false;  // stderr is the systemd journal (JOURNAL_STREAM)
bool g_syslog_open = false;

int syslog_priority(Level l) {
  switch (l) {
    case Level::debug: return LOG_DEBUG;
    case Level::info: return LOG_INFO;
    case Level::warning: return LOG_WARNING;
    case Level::error: return LOG_ERR;
  }
  return LOG_INFO;
}

// A text value goes bare when it is a plain ASCII word, else quoted with JSON's escapes.
bool needs_quotes(std::string_view v) {
  if (v.empty()) return true;
  for (const char c : v) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || c == '"' || c == '=' || c == '\\' || u >= 0x7f) return true;
  }
  return false;
}

// utf8_length is the length of the well-formed UTF-8 sequence at v[i] (RFC
// 3629: no overlong forms, no surrogates, at most U+10FFFF), 0 if there is none.
std::size_t utf8_length(std::string_view v, std::size_t i) {
  const auto b = [&](std::size_t k) { return static_cast<unsigned char>(v[i + k]); };
  const auto cont = [&](std::size_t k) { return i + k < v.size() && (b(k) & 0xC0) == 0x80; };
  const unsigned char c = b(0);
  if (c < 0x80) return 1;
  if (c >= 0xC2 && c <= 0xDF) return cont(1) ? 2 : 0;
  if (c >= 0xE0 && c <= 0xEF) {
    if (!cont(1) || !cont(2)) return 0;
    if ((c == 0xE0 && b(1) < 0xA0) || (c == 0xED && b(1) > 0x9F)) return 0;
    return 3;
  }
  if (c >= 0xF0 && c <= 0xF4) {
    if (!cont(1) || !cont(2) || !cont(3)) return 0;
    if ((c == 0xF0 && b(1) < 0x90) || (c == 0xF4 && b(1) > 0x8F)) return 0;
    return 4;
  }
  return 0;
}

// append_escaped writes |v| with JSON's string escapes (RFC 8259): quote,
// backslash and control characters escaped; a byte that is not well-formed
// UTF-8 becomes U+FFFD, so every line is valid UTF-8 and valid JSON.
void append_escaped(std::string& out, std::string_view v) {
  static constexpr char kHex[] = "0123456789abcdef";
  for (std::size_t i = 0; i < v.size();) {
    const auto c = static_cast<unsigned char>(v[i]);
    if (c >= 0x80) {
      const std::size_t n = utf8_length(v, i);
      if (n == 0) {
        out += "\\ufffd";
        ++i;
      } else {
        out.append(v.substr(i, n));
        i += n;
      }
      continue;
    }
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20 || c == 0x7f) {
          out += "\\u00";
          out += kHex[c >> 4];
          out += kHex[c & 0xf];
        } else {
          out += static_cast<char>(c);
        }
    }
    ++i;
  }
}

void append_text_value(std::string& out, std::string_view v) {
  if (!needs_quotes(v)) {
    out += v;
    return;
  }
  out += '"';
  append_escaped(out, v);
  out += '"';
}

void append_json_string(std::string& out, std::string_view v) {
  out += '"';
  append_escaped(out, v);
  out += '"';
}

// stderr is the journal when JOURNAL_STREAM's "dev:inode" is stderr's (systemd.exec(5)).
bool stderr_is_journal() {
  const char* js = std::getenv("JOURNAL_STREAM");
  if (js == nullptr) return false;
  unsigned long long dev = 0, ino = 0;
  if (std::sscanf(js, "%llu:%llu", &dev, &ino) != 2) return false;
  struct stat st {};
  if (fstat(2, &st) != 0) return false;
  return static_cast<unsigned long long>(st.st_dev) == dev && static_cast<unsigned long long>(st.st_ino) == ino;
}

}  // namespace

Result<Level> parse_level(std::string_view t) {
  if (t == "debug") return Level::debug;
  if (t == "info") return Level::info;
  if (t == "warning" || t == "warn") return Level::warning;
  if (t == "error") return Level::error;
  return make_error(Errc::config_error, "log level '" + std::string(t) + "': use debug, info, warning or error");
}

Result<Format> parse_format(std::string_view t) {
  if (t == "text") return Format::text;
  if (t == "json") return Format::json;
  return make_error(Errc::config_error, "log format '" + std::string(t) + "': use text or json");
}

Result<Target> parse_target(std::string_view t) {
  if (t == "stderr") return Target::stderr_stream;
  if (t == "syslog") return Target::syslog;
  return make_error(Errc::config_error, "log target '" + std::string(t) + "': use stderr or syslog");
}

std::string_view level_name(Level l) noexcept {
  switch (l) {
    case Level::debug: return "debug";
    case Level::info: return "info";
    case Level::warning: return "warning";
    case Level::error: return "error";
  }
  return "info";
}

std::string rfc3339_utc(std::int64_t unix_ms) {
  const std::time_t secs = static_cast<std::time_t>(unix_ms >= 0 ? unix_ms / 1000 : (unix_ms - 999) / 1000);
  const auto ms = static_cast<int>(unix_ms - static_cast<std::int64_t>(secs) * 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[64];  // room for any int year (-Wformat-truncation)
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                tm.tm_hour, tm.tm_min, tm.tm_sec, ms);
  return buf;
}

std::string format_line(Format f, bool with_time, std::int64_t unix_ms, Level l, std::string_view program,
                        std::string_view msg, std::initializer_list<Field> fields) {
  std::string out;
  out.reserve(96 + msg.size());
  if (f == Format::json) {
    out += '{';
    if (with_time) {
      out += "\"ts\":\"" + rfc3339_utc(unix_ms) + "\",";
    }
    out += "\"level\":\"";
    out += level_name(l);
    out += "\",\"program\":";
    append_json_string(out, program);
    out += ",\"msg\":";
    append_json_string(out, msg);
    for (const auto& [k, v] : fields) {
      out += ',';
      append_json_string(out, k);
      out += ':';
      append_json_string(out, v);
    }
    out += '}';
    return out;
  }
  if (with_time) {
    out += rfc3339_utc(unix_ms);
    out += ' ';
  }
  out += level_name(l);
  out += ' ';
  out += program;
  out += ": ";
  for (const char c : msg) out += (c == '\n' || c == '\r') ? ' ' : c;  // one event, one line
  for (const auto& [k, v] : fields) {
    out += ' ';
    out += k;
    out += '=';
    append_text_value(out, v);
  }
  return out;
}

void configure(const Settings& s) {
  std::lock_guard lock(g_mu);
  g_settings = s;
  g_level = static_cast<int>(s.level);
  g_journal = stderr_is_journal();
  if (s.target == Target::syslog) {
    if (g_syslog_open) closelog();
    // openlog keeps the ident pointer: g_settings.program outlives it (until the next configure).
    openlog(g_settings.program.c_str(), LOG_PID, LOG_DAEMON);
    g_syslog_open = true;
  }
}

Settings current() {
  std::lock_guard lock(g_mu);
  return g_settings;
}

bool enabled(Level l) noexcept { return static_cast<int>(l) >= g_level.load(std::memory_order_relaxed); }

void write(Level l, std::string_view msg, std::initializer_list<Field> fields) {
  if (!enabled(l)) return;
  const auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  std::lock_guard lock(g_mu);
  const Settings& s = g_settings;
  if (s.target == Target::syslog) {
    const std::string line = format_line(s.format, false, now, l, s.program, msg, fields);
    syslog(syslog_priority(l), "%s", line.c_str());
    return;
  }
  std::string line;
  if (s.format == Format::text && g_journal) {
    line = "<" + std::to_string(syslog_priority(l)) + ">" + format_line(s.format, false, now, l, s.program, msg, fields);
  } else {
    line = format_line(s.format, true, now, l, s.program, msg, fields);
  }
  line += '\n';
  std::fwrite(line.data(), 1, line.size(), stderr);
  std::fflush(stderr);
}

}  // namespace paw::log
