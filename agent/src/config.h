// config.h — what the TPM-facing subcommands need from the configuration:
// which TPM (TCTI), where the AK lives (state folder), which EK and AK type;
// and open_agent_tpm, which yields a TPM with the EK created and the AK loaded.
//
// Precedence: --tcti flag > TPM2TOOLS_TCTI > `tcti =` in the config file >
// device:/dev/tpmrm0; --state-dir > `state-dir =` > /var/lib/paw-agent.
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <string>

#include "paw/attest/cli.h"
#include "paw/attest/error.h"
#include "paw/platform/ak.h"
#include "paw/platform/ek.h"
#include "paw/platform/tpm.h"

namespace paw::agent {

inline constexpr const char* kAgentVersion = "0.1.0";
inline constexpr const char* kConfigFile = "/etc/paw/agent.conf";
inline constexpr const char* kStateDir = "/var/lib/paw-agent";

// TpmConfig is the resolved TPM part of the configuration.
struct TpmConfig {
  std::string tcti;
  std::filesystem::path state_dir = kStateDir;
  platform::EkType ek_type = platform::EkType::rsa2048;  // the AK's parent; RSA EKs are on every TPM
  platform::AkAlg ak_alg = platform::AkAlg::ecc_p256;
};

// kTpmOptions are the flags resolve_tpm_config reads (add them to a command's options).
inline const std::set<std::string> kTpmOptions = {"tcti", "state-dir", "config", "ek", "ak-alg"};

// read_config_file parses `name = value` lines ('#' comments, blank lines).
// A missing file is an empty map when |must_exist| is false. Errc::config_error
// naming file and line for a line without '='; Errc::io_error if unreadable.
Result<std::map<std::string, std::string>> read_config_file(const std::filesystem::path& path, bool must_exist);

// resolve_tpm_config applies the precedence above to |args| (--config FILE
// must exist; the default file may be absent). Errc::config_error for an
// unknown --ek / --ak-alg.
Result<TpmConfig> resolve_tpm_config(const Args& args);

// AgentTpm is an open TPM with the EK created and the AK loaded (or created,
// or re-created after a TPM clear — see |ak.origin| and |ak.note|). Members are
// destroyed in reverse order: the AK and EK are flushed before the TPM closes.
struct AgentTpm {
  platform::Tpm tpm;
  platform::Ek ek;
  platform::EnsuredAk ak;
};
// open_agent_tpm opens |c.tcti|, creates the EK of |c.ek_type| and ensures the AK in |c.state_dir|.
Result<AgentTpm> open_agent_tpm(const TpmConfig& c);

}  // namespace paw::agent
