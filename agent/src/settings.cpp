#include "settings.h"

#include <charconv>
#include <cstdlib>
#include <sstream>

#include "paw/attest/bytes.h"
#include "paw/platform/ak.h"
#include "paw/platform/ek.h"
#include "paw/platform/tcti.h"

namespace paw::agent {
namespace {

const std::set<std::string> kSettingKeys = {"verifier",   "ca-file",   "tcti",      "fido-device",
                                            "state-dir",  "interval",  "token-file", "event-log",
                                            "ima-log",    "retry-min", "retry-max", "fido-timeout",
                                            "ek",         "ak-alg",    "log-level", "log-format",
                                            "log-target"};

Status parse_seconds(const std::string& key, const std::string& value, std::int64_t& out, std::int64_t min,
                     std::int64_t max) {
  std::int64_t v = 0;
  const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), v);
  if (ec != std::errc() || end != value.data() + value.size() || v < min || v > max) {
    return make_error(Errc::config_error, key + " must be a number of seconds in [" + std::to_string(min) + ", " +
                                              std::to_string(max) + "], got '" + value + "'");
  }
  out = v;
  return ok_status();
}

std::string trim(const std::string& s) {
  const auto b = s.find_first_not_of(" \t\r");
  if (b == std::string::npos) return {};
  const auto e = s.find_last_not_of(" \t\r");
  return s.substr(b, e - b + 1);
}

Status parse_file(const std::string& path, AgentSettings& s, std::string& tcti_from_file) {
  PAW_TRY(Bytes data, read_file(path, 1u << 20));
  std::istringstream in(std::string(data.begin(), data.end()));
  std::string line;
  int n = 0;
  while (std::getline(in, line)) {
    ++n;
    line = trim(line);
    if (line.empty() || line[0] == '#') continue;
    const auto eq = line.find('=');
    const std::string where = path + ":" + std::to_string(n) + ": ";
    if (eq == std::string::npos) return make_error(Errc::config_error, where + "expected 'name = value'");
    const std::string key = trim(line.substr(0, eq));
    const std::string value = trim(line.substr(eq + 1));
    if (key == "tcti") tcti_from_file = value;
    if (auto st = apply_setting(s, key, value); !st.ok()) return make_error(Errc::config_error, where + st.error().detail);
  }
  return ok_status();
}

}  // namespace

Status apply_setting(AgentSettings& s, const std::string& key, const std::string& value) {
  if (key == "verifier") {
    s.verifier = value;
    while (!s.verifier.empty() && s.verifier.back() == '/') s.verifier.pop_back();
    if (!s.verifier.empty() && s.verifier.rfind("https://", 0) != 0 && s.verifier.rfind("http://", 0) != 0) {
      return make_error(Errc::config_error, "verifier must be an https:// URL, got '" + value + "'");
    }
  } else if (key == "ca-file") {
    s.ca_file = value;
  } else if (key == "tcti") {
    s.tcti = value;
  } else if (key == "fido-device") {
    s.fido_device = value;
  } else if (key == "state-dir") {
    if (value.empty()) return make_error(Errc::config_error, "state-dir must not be empty");
    s.state_dir = value;
  } else if (key == "token-file") {
    if (value.empty()) return make_error(Errc::config_error, "token-file must not be empty");
    s.token_file = value;
  } else if (key == "interval") {
    return parse_seconds(key, value, s.interval_seconds, 1, 86400);
  } else if (key == "retry-min") {
    return parse_seconds(key, value, s.retry_min_seconds, 1, 3600);
  } else if (key == "retry-max") {
    return parse_seconds(key, value, s.retry_max_seconds, 1, 86400);
  } else if (key == "fido-timeout") {
    std::int64_t secs = 0;
    PAW_CHECK(parse_seconds(key, value, secs, 1, 120));
    s.fido_timeout_ms = static_cast<int>(secs * 1000);
  } else if (key == "ek") {
    if (!platform::ek_type_from_name(value)) return make_error(Errc::config_error, "ek must be rsa2048, ecc-p256 or ecc-p384");
    s.ek_type = value;
  } else if (key == "ak-alg") {
    if (!platform::ak_alg_from_name(value)) return make_error(Errc::config_error, "ak-alg must be ecc-p256 or rsa2048");
    s.ak_alg = value;
  } else if (key == "event-log") {
    s.event_log = value;
  } else if (key == "ima-log") {
    s.ima_log = value;
  } else if (key == "log-level") {
    PAW_TRY(s.log.level, log::parse_level(value));
  } else if (key == "log-format") {
    PAW_TRY(s.log.format, log::parse_format(value));
  } else if (key == "log-target") {
    PAW_TRY(s.log.target, log::parse_target(value));
  } else {
    return make_error(Errc::config_error, "unknown setting '" + key + "'");
  }
  return ok_status();
}

Result<LoadedSettings> load_settings(const std::vector<std::string>& words, std::set<std::string> options,
                                     std::set<std::string> switches) {
  // tpm2-tss logs its own warnings to stderr (e.g. every refused TCTI
  // connection); paw reports TPM failures itself, once, with their category.
  // TSS2_LOG set by the user still wins.
  ::setenv("TSS2_LOG", "all+none", 0);
  options.insert(kSettingKeys.begin(), kSettingKeys.end());
  options.insert("config");
  auto args = Args::parse(words, options, switches);
  if (!args.ok()) return make_error(Errc::config_error, args.error().detail + " (see paw-agent --help)");
  LoadedSettings out{AgentSettings{}, std::move(*args), ""};
  std::string tcti_from_file;
  if (auto cf = out.args.get("config")) {
    std::error_code ec;
    if (!std::filesystem::exists(*cf, ec)) return make_error(Errc::config_error, "config file " + *cf + " does not exist");
    PAW_CHECK(parse_file(*cf, out.settings, tcti_from_file));
    out.config_file = *cf;
  } else if (std::error_code ec; std::filesystem::exists(kDefaultConfigFile, ec)) {
    PAW_CHECK(parse_file(kDefaultConfigFile, out.settings, tcti_from_file));
    out.config_file = kDefaultConfigFile;
  }
  for (const auto& key : kSettingKeys) {
    if (auto v = out.args.get(key)) PAW_CHECK(apply_setting(out.settings, key, *v));
  }
  if (out.settings.retry_max_seconds < out.settings.retry_min_seconds) {
    return make_error(Errc::config_error, "retry-max must not be smaller than retry-min");
  }
  // TCTI: flag > TPM2TOOLS_TCTI > config file > device:/dev/tpmrm0.
  out.settings.tcti = platform::resolve_tcti(out.args.get("tcti"),
                                             tcti_from_file.empty() ? std::nullopt
                                                                    : std::optional<std::string>(tcti_from_file));
  return out;
}

}  // namespace paw::agent
