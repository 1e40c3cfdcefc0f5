#include "util.h"

#include <atomic>
#include <cstdio>
#include <mutex>

#include "paw/attest/digest.h"
#include "paw/attest/log.h"
#include "paw/attest/secure.h"

namespace paw::verifier {
Result<std::string> random_hex(std::size_t n) {
  PAW_TRY(Bytes b, random_bytes(n));
  return hex(b);
}

std::string sha256_hex(std::string_view data) { return hex(sha256(as_bytes(data))); }
std::string sha256_hex(ByteView data) { return hex(sha256(data)); }

void set_log_quiet(bool quiet) {
  auto s = log::current();
  s.level = quiet ? log::Level::warning : log::Level::info;
  log::configure(s);
}

void log_line(std::string_view level, std::string_view msg, std::initializer_list<LogField> fields) {
  const log::Level l = level == "error"                     ? log::Level::error
                       : level == "warn" || level == "warning" ? log::Level::warning
                       : level == "debug"                   ? log::Level::debug
                                                            : log::Level::info;
  log::write(l, msg, fields);
}

}  // namespace paw::verifier
