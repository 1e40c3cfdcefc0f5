// ssh_agent_server.h — `paw-agent ssh-agent`: the ssh-agent protocol
// (draft-miller-ssh-agent) on a unix socket, so OpenSSH logs in with the TPM
// login key and the certificate the verifier issued for it. Debian 12 has no
// tpm2-pkcs11 tools to provision a PKCS#11 token, and OpenSSH cannot use a
// TSS2 key file itself; an agent is the one route ssh(1) takes unchanged
// (IdentityAgent / SSH_AUTH_SOCK). docs/login-integration.md, docs/agent.md.
#pragma once

#include <atomic>
#include <filesystem>
#include <string>

#include "paw/attest/error.h"

namespace paw::agent {

struct SshAgentOptions {
  std::filesystem::path socket;     // created mode 0600; an existing socket there is replaced
  std::filesystem::path state_dir;  // login-key.pem and login-key-cert.pub
  std::string tcti;                 // the TPM (opened per signature, so `paw-agent run` can share it)
};

// serve_ssh_agent listens on opts.socket until |stop| becomes true (checked
// at least twice a second) and answers: REQUEST_IDENTITIES with the
// certificate (when login-key-cert.pub holds one for this key; re-read when
// the file changes) and the plain key; SIGN_REQUEST for one of those two
// blobs over an SSH userauth request (ssh_agent.h check_userauth_request)
// with an ECDSA signature by the TPM login key; SSH_AGENT_FAILURE to
// everything else. Messages above 256 KiB close the connection. Returns an
// error when there is no login key or the socket cannot be made.
Status serve_ssh_agent(const SshAgentOptions& opts, const std::atomic<bool>& stop);

}  // namespace paw::agent
