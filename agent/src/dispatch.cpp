#include "dispatch.h"

#include "agent_commands.h"

#include <cstdio>

#include "paw/attest/cli.h"

#include "paw/version.h"

namespace paw::agent {

const std::vector<AgentCommand>& agent_commands() {
  static const std::vector<AgentCommand> table = {
      {"enroll", "enroll --verifier URL --token TOKEN [--ca-file PEM] | enroll --add-login-key   enroll this workstation (TPM AK, login key, FIDO2 key)",
       cmd_enroll},
      {"attest", "attest [--json]        attest now: exit 0 healthy, 1 unhealthy, 2 could not attest", cmd_attest},
      {"run", "run                    the daemon: attest every --interval and on SIGUSR1, keep the token file",
       cmd_run},
      {"status", "status [--json]        enrollment, last verdict, token expiry, TPM and FIDO2 key", cmd_status},
      {"ssh-agent", "ssh-agent [--socket PATH]   serve the TPM login key and its SSH certificate to ssh (ssh-agent protocol)",
       cmd_ssh_agent},
      {"ssh-cert", "ssh-cert [--json]      where the SSH certificate is and until when it is valid", cmd_ssh_cert},
      {"proof", "proof --method GET --url URL   a DPoP proof for that request, signed by the TPM login key", cmd_proof},
      {"curl", "curl URL [curl args…]  curl with the token (Authorization: DPoP) and a fresh DPoP proof", cmd_curl},
      {"tpm", "tpm info [--tcti T] [--config FILE]            what the TPM is (JSON)", cmd_tpm},
      {"ak-public", "ak-public [--format pem|tss] [--out FILE] [--ak-alg ecc-p256|rsa2048] [--ek rsa2048|ecc-p256|ecc-p384] [--tcti T] [--state-dir DIR] [--config FILE]",
       cmd_ak_public},
      {"evidence", "evidence --nonce HEX [--device-id ID] [--event-log PATH|none] [--ima-log PATH|none] [AK/TPM options]   the evidence envelope (JSON)",
       cmd_evidence},
  };
  return table;
}

int fail(const std::string& message, int code) {
  std::fprintf(stderr, "paw-agent: %s\n", message.c_str());
  return code;
}

int run_agent(int argc, char** argv) {
  cli::Program p;
  p.name = "paw-agent";
  p.version = kVersion;
  for (const auto& c : agent_commands()) {
    // The table's usage line starts with the command's name.
    p.commands.push_back({c.name, c.usage, c.run});
  }
  // The file and state options every command reads may also stand before the
  // command; they go in front of its words (curl passes what follows its URL on).
  p.globals_help = "global options (before or after the command): --config FILE, --state-dir DIR\n";
  p.global_options = {"config", "state-dir"};
  p.globals_first = true;
  p.fail = [](const std::string&, const std::string& message, int code, const std::vector<std::string>&) {
    return fail(message, code);
  };
  return cli::dispatch(p, std::vector<std::string>(argv + 1, argv + argc));
}

}  // namespace paw::agent
