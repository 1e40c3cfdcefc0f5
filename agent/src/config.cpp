#include "config.h"

#include <fstream>
#include <iterator>

#include "paw/platform/tcti.h"

namespace paw::agent {

Result<std::map<std::string, std::string>> read_config_file(const std::filesystem::path& path, bool must_exist) {
  std::map<std::string, std::string> out;
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) {
    if (must_exist) return make_error(Errc::config_error, "config file " + path.string() + " does not exist");
    return out;
  }
  std::ifstream in(path);
  if (!in) return make_error(Errc::io_error, "cannot read " + path.string());
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  PAW_TRY(auto lines, parse_config_lines(text, path.string()));
  for (auto& l : lines) out[std::move(l.name)] = std::move(l.value);  // the last of a repeated name wins
  return out;
}

Result<TpmConfig> resolve_tpm_config(const Args& args) {
  const auto config_flag = args.get("config");
  PAW_TRY(const auto file, read_config_file(config_flag.value_or(kConfigFile), config_flag.has_value()));
  auto from_file = [&](const char* key) -> std::optional<std::string> {
    const auto it = file.find(key);
    return it == file.end() ? std::nullopt : std::optional<std::string>(it->second);
  };
  TpmConfig c;
  c.tcti = platform::resolve_tcti(args.get("tcti"), from_file("tcti"));
  if (auto dir = args.get("state-dir")) c.state_dir = *dir;
  else if (auto fdir = from_file("state-dir")) c.state_dir = *fdir;
  if (auto ek = args.get("ek")) {
    const auto t = platform::ek_type_from_name(*ek);
    if (!t) return make_error(Errc::config_error, "unknown --ek '" + *ek + "' (rsa2048, ecc-p256, ecc-p384)");
    c.ek_type = *t;
  }
  if (auto alg = args.get("ak-alg")) {
    const auto a = platform::ak_alg_from_name(*alg);
    if (!a) return make_error(Errc::config_error, "unknown --ak-alg '" + *alg + "' (ecc-p256, rsa2048)");
    c.ak_alg = *a;
  }
  return c;
}

Result<AgentTpm> open_agent_tpm(const TpmConfig& c) {
  PAW_TRY(platform::Tpm tpm, platform::Tpm::open(c.tcti));
  PAW_TRY(platform::Ek ek, platform::create_ek(tpm, c.ek_type));
  PAW_TRY(platform::EnsuredAk ak, platform::ensure_ak(tpm, ek, c.state_dir, c.ak_alg));
  return AgentTpm{std::move(tpm), std::move(ek), std::move(ak)};
}

}  // namespace paw::agent
