#include "dispatch.h"

#include "agent_commands.h"

#include <cstdio>
#include <exception>
#include <string_view>

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

namespace {
void usage(std::FILE* out) {
  std::fprintf(out, "usage: paw-agent <command> [options]\n\ncommands:\n");
  for (const auto& c : agent_commands()) std::fprintf(out, "  %s\n", c.usage);
}
}  // namespace

int run_agent(int argc, char** argv) {
  try {
    if (argc < 2) {
      usage(stderr);
      return 2;
    }
    const std::string_view name = argv[1];
    if (name == "--help" || name == "-h" || name == "help") {
      usage(stdout);
      return 0;
    }
    if (name == "--version" || name == "version") {
      std::printf("paw-agent %s\n", kVersion);
      return 0;
    }
    std::vector<std::string> words(argv + 2, argv + argc);
    for (const auto& c : agent_commands()) {
      if (name != c.name) continue;
      // COMMAND --help: that command's usage on stdout, exit 0.
      if (!words.empty() && (words[0] == "--help" || words[0] == "-h")) {
        std::printf("usage: paw-agent %s\n", c.usage);
        return 0;
      }
      return c.run(words);
    }
    usage(stderr);
    return fail("unknown command '" + std::string(name) + "'", 2);
  } catch (const std::exception& e) {
    return fail(std::string("unexpected error: ") + e.what(), 70);
  }
}

}  // namespace paw::agent
