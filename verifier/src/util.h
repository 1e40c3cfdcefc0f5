// util.h — small helpers of the verifier: random ids, hashes, logging.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

#include "paw/attest/bytes.h"
#include "paw/attest/error.h"

namespace paw::verifier {

// random_hex returns |n| random bytes as lowercase hex (Errc::internal if the CSPRNG fails).
Result<std::string> random_hex(std::size_t n);
// sha256_hex returns the lowercase hex SHA-256 of |data|.
std::string sha256_hex(std::string_view data);
std::string sha256_hex(ByteView data);

// LogField is one key=value of a structured log line.
using LogField = std::pair<std::string_view, std::string>;
// log_line writes one line of paw's log (paw/attest/log.h: text, JSON lines or
// syslog, as --log-format / --log-target say) at |level| ("error", "warn",
// "info", "debug"). Thread-safe. Never pass secrets.
void log_line(std::string_view level, std::string_view msg, std::initializer_list<LogField> fields = {});
// set_log_quiet suppresses info lines (tests, paw-scale): the level becomes warning.
void set_log_quiet(bool quiet);

}  // namespace paw::verifier
