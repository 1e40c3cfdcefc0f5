// logs.cpp — binary_bios_measurements and binary_runtime_measurements.
#include "paw/platform/logs.h"

#include <cerrno>
#include <cstring>
#include <fstream>

#include "paw/attest/evidence.h"

namespace paw::platform {

Result<std::optional<Bytes>> read_log(const std::filesystem::path& path, std::size_t max_size) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return std::optional<Bytes>{};
  // securityfs reports st_size 0: read until EOF, bounded.
  std::ifstream in(path, std::ios::binary);
  if (!in) return make_error(Errc::io_error, "cannot read " + path.string() + ": " + std::strerror(errno));
  Bytes out;
  char buf[65536];
  while (in) {
    in.read(buf, sizeof(buf));
    const auto n = static_cast<std::size_t>(in.gcount());
    if (out.size() + n > max_size) return make_error(Errc::too_large, path.string() + " is larger than the limit");
    out.insert(out.end(), buf, buf + n);
  }
  if (in.bad()) return make_error(Errc::io_error, "error reading " + path.string());
  return std::optional<Bytes>(std::move(out));
}

Result<Logs> read_logs(const LogPaths& paths) {
  Logs logs;
  PAW_TRY(logs.event_log, read_log(paths.event_log, kMaxEventLogSize));
  PAW_TRY(logs.ima_log, read_log(paths.ima_log, kMaxImaLogSize));
  return logs;
}

}  // namespace paw::platform
