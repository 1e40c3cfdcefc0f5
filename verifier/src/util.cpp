#include "util.h"

#include <Poco/JSON/Object.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <mutex>

#include "paw/attest/digest.h"
#include "paw/attest/json.h"
#include "paw/attest/secure.h"

namespace paw::verifier {
namespace {
std::mutex g_log_mu;
std::atomic<bool> g_quiet{false};
}  // namespace

std::int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

Result<std::string> random_hex(std::size_t n) {
  PAW_TRY(Bytes b, random_bytes(n));
  return hex(b);
}

std::string sha256_hex(std::string_view data) { return hex(sha256(as_bytes(data))); }
std::string sha256_hex(ByteView data) { return hex(sha256(data)); }

void set_log_quiet(bool quiet) { g_quiet = quiet; }

void log_line(std::string_view level, std::string_view msg, std::initializer_list<LogField> fields) {
  if (g_quiet && level == "info") return;
  Poco::JSON::Object::Ptr o = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
  const auto t = std::chrono::duration_cast<std::chrono::milliseconds>(
                     std::chrono::system_clock::now().time_since_epoch())
                     .count();
  o->set("ts", static_cast<double>(t) / 1000.0);
  o->set("level", std::string(level));
  o->set("msg", std::string(msg));
  for (const auto& [k, v] : fields) o->set(std::string(k), v);
  const std::string line = json::stringify(o) + "\n";
  std::lock_guard lock(g_log_mu);
  std::fwrite(line.data(), 1, line.size(), stderr);
  std::fflush(stderr);
}

}  // namespace paw::verifier
