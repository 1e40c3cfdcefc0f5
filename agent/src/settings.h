// settings.h — the agent's settings for enroll/attest/run/status: the config
// file (/etc/paw/agent.conf or --config FILE; `name = value` lines, the names
// being the long options without dashes), then the command-line flags, which win.
//
// Keys: verifier, ca-file, tcti, fido-device, state-dir, interval,
// token-file, event-log, ima-log, retry-min, retry-max, fido-timeout, ek, ak-alg
// (the last two as agent/src/config.h reads them), log-level, log-format, log-target.
// Unknown keys and bad values are Errc::config_error naming file and line.
#pragma once

#include <set>
#include <string>
#include <vector>

#include "attest_round.h"
#include "paw/attest/cli.h"
#include "paw/attest/error.h"

namespace paw::agent {

inline constexpr const char* kDefaultConfigFile = "/etc/paw/agent.conf";

// LoadedSettings is the resolved settings plus the parsed command line.
struct LoadedSettings {
  AgentSettings settings;
  Args args;
  std::string config_file;   // the file read ("" if the default was absent)
};

// load_settings parses |words| (the words after the subcommand) with the
// setting flags plus |options| / |switches| of the command, reads the config
// file, and applies the flags over it. A missing --config FILE is an error;
// a missing default file is not (defaults apply).
Result<LoadedSettings> load_settings(const std::vector<std::string>& words, std::set<std::string> options,
                                     std::set<std::string> switches = {});

// apply_setting sets one key (exposed for tests).
Status apply_setting(AgentSettings& s, const std::string& key, const std::string& value);

}  // namespace paw::agent
