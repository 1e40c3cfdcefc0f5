#include "paw/platform/tcti.h"

#include <cstdlib>

namespace paw::platform {
namespace {
bool set(const std::optional<std::string>& s) { return s.has_value() && !s->empty(); }
}  // namespace

std::string resolve_tcti(const std::optional<std::string>& flag, const std::optional<std::string>& env,
                         const std::optional<std::string>& config) {
  if (set(flag)) return *flag;
  if (set(env)) return *env;
  if (set(config)) return *config;
  return std::string(kDefaultTcti);
}

std::string resolve_tcti(const std::optional<std::string>& flag, const std::optional<std::string>& config) {
  const char* env = std::getenv(kTctiEnvVar);  // NOLINT(concurrency-mt-unsafe): read once at start-up
  return resolve_tcti(flag, env != nullptr ? std::optional<std::string>(env) : std::nullopt, config);
}

}  // namespace paw::platform
