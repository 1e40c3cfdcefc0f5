// paw/attest/log.h — the one log format of paw's long-running programs
// (paw-verifier run, paw-agent run and its ssh-agent).
//
// Every line has the same fields: time (RFC 3339 UTC, milliseconds), level,
// program, msg, then the caller's key/value fields. Three ways out:
//   text (default)  `2026-12-07T05:20:01.123Z info paw-verifier: listening url=https://…`
//                   on stderr; when stderr is the systemd journal (JOURNAL_STREAM
//                   names it) the time is left to journald and the line starts
//                   with a `<N>` priority prefix so `journalctl -p` filters it.
//   json            one JSON object a line on stderr:
//                   {"ts":"2026-12-07T05:20:01.123Z","level":"info","program":"paw-verifier","msg":"listening","url":"…"}
//   syslog          syslog(3) (facility daemon), the text form without time:
//                   the local syslog daemon stamps and forwards it (RFC 5424
//                   when rsyslog is set to).
// Lines below the level are dropped. Thread-safe. Never pass secrets.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

#include "paw/attest/error.h"

namespace paw::log {

enum class Level { debug = 0, info = 1, warning = 2, error = 3 };
enum class Format { text, json };
enum class Target { stderr_stream, syslog };

struct Settings {
  std::string program = "paw";  // the name in every line (and syslog's ident)
  Level level = Level::info;
  Format format = Format::text;
  Target target = Target::stderr_stream;
};

// parse_level / parse_format / parse_target read the option values
// ("debug|info|warning|error", "text|json", "stderr|syslog"); Errc::config_error
// naming the allowed values otherwise.
Result<Level> parse_level(std::string_view text);
Result<Format> parse_format(std::string_view text);
Result<Target> parse_target(std::string_view text);
std::string_view level_name(Level l) noexcept;

// configure sets how every later line is written (call once at start, before
// threads; later calls replace it).
void configure(const Settings& s);
[[nodiscard]] Settings current();

// enabled says whether a line at |l| would be written.
[[nodiscard]] bool enabled(Level l) noexcept;

using Field = std::pair<std::string_view, std::string>;

// write emits one line at |l|.
void write(Level l, std::string_view msg, std::initializer_list<Field> fields = {});

// format_line renders a line as configure's text or json form would (no
// trailing newline): for tests and for writers other than stderr.
std::string format_line(Format f, bool with_time, std::int64_t unix_ms, Level l, std::string_view program,
                        std::string_view msg, std::initializer_list<Field> fields);

// rfc3339_utc renders unix milliseconds as "2026-12-07T05:20:01.123Z" (UTC).
std::string rfc3339_utc(std::int64_t unix_ms);

inline void debug(std::string_view msg, std::initializer_list<Field> f = {}) { write(Level::debug, msg, f); }
inline void info(std::string_view msg, std::initializer_list<Field> f = {}) { write(Level::info, msg, f); }
inline void warning(std::string_view msg, std::initializer_list<Field> f = {}) { write(Level::warning, msg, f); }
inline void error(std::string_view msg, std::initializer_list<Field> f = {}) { write(Level::error, msg, f); }

}  // namespace paw::log
