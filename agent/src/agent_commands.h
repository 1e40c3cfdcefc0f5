// agent_commands.h — the user-facing paw-agent commands (enroll, attest, run,
// status). Each takes the words after its name and returns the exit status.
#pragma once

#include <string>
#include <vector>

namespace paw::agent {

// enroll --verifier URL --token TOKEN [--ca-file PEM] [settings…]: exit 0
// enrolled (or pending approval), 2 failed (the reason says TPM, FIDO2 key,
// network or verifier).
int cmd_enroll(const std::vector<std::string>& words);
// attest [--json] [settings…]: exit 0 healthy, 1 unhealthy, 2 could not attest.
int cmd_attest(const std::vector<std::string>& words);
// run [settings…]: the daemon (SIGUSR1 attest now, SIGHUP reload, SIGTERM stop).
int cmd_run(const std::vector<std::string>& words);
// status [--json] [settings…]: exit 0 enrolled, 1 not enrolled, 2 bad settings.
int cmd_status(const std::vector<std::string>& words);
// ssh-agent [--socket PATH] [settings…]: serve the login key and its SSH
// certificate to ssh (ssh_agent_server.h) until SIGTERM/SIGINT.
int cmd_ssh_agent(const std::vector<std::string>& words);
// ssh-cert [--json] [settings…]: the certificate file and its validity; exit
// 0 valid now, 1 none or not valid now, 2 unreadable.
int cmd_ssh_cert(const std::vector<std::string>& words);
// proof --method M --url URL [settings…]: prints a DPoP proof (RFC 9449) for
// that request, signed by the TPM login key over the current token; exit 2 on failure.
int cmd_proof(const std::vector<std::string>& words);
// curl [settings…] URL [curl arguments…]: runs curl with "Authorization: DPoP
// <token>" and a fresh proof for URL (method from -X/--request, -I, else GET).
int cmd_curl(const std::vector<std::string>& words);

}  // namespace paw::agent
