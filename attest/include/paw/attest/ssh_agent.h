// paw/attest/ssh_agent.h — the messages of the ssh-agent protocol
// (draft-miller-ssh-agent) that `paw-agent ssh-agent` speaks: list
// identities and sign; every other request is answered SSH_AGENT_FAILURE.
// Pure code: framing and parsing of untrusted bytes from the socket.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "paw/attest/bytes.h"
#include "paw/attest/error.h"

namespace paw::ssh {

// kMaxAgentMessage bounds one incoming message (length prefix excluded);
// larger lengths are refused before anything is read.
inline constexpr std::uint32_t kMaxAgentMessage = 256u << 10;

inline constexpr std::uint8_t kAgentFailure = 5;
inline constexpr std::uint8_t kAgentSuccess = 6;
inline constexpr std::uint8_t kRequestIdentities = 11;
inline constexpr std::uint8_t kIdentitiesAnswer = 12;
inline constexpr std::uint8_t kSignRequest = 13;
inline constexpr std::uint8_t kSignResponse = 14;

// AgentRequest is one parsed request. For kSignRequest, key_blob, data and
// flags are set; for other types only |type| (their contents are not read).
struct AgentRequest {
  std::uint8_t type = 0;
  Bytes key_blob;
  Bytes data;
  std::uint32_t flags = 0;
};

// parse_agent_request parses one message body (after the u32 length):
// Errc::too_large above kMaxAgentMessage, Errc::malformed (empty, truncated
// sign request), Errc::trailing_data (bytes after a sign request or an
// identities request).
Result<AgentRequest> parse_agent_request(ByteView body);

// check_userauth_request accepts |data| only if it is what an SSH client
// signs to log in with one of |own| — the blobs this agent offers (RFC 4252
// §7: string session id (at most 64 bytes), byte SSH_MSG_USERAUTH_REQUEST,
// string user, string service, string "publickey" — or OpenSSH's
// "publickey-hostbound-v00@openssh.com" followed by the server's host key —
// boolean TRUE, string algorithm, string key blob ∈ |own|). ssh signs for a
// certificate with the plain key when the agent offers both, so the blob in
// |data| may be the certificate while the request names the key. The login
// key also signs other things (the attestation proof, DPoP proofs); an agent
// that signed any bytes would let whoever reaches its socket make those too.
// Errc::policy_violation otherwise.
Status check_userauth_request(ByteView data, const std::vector<Bytes>& own);

// frame prefixes |body| with its u32 length.
Bytes frame(ByteView body);
// failure_message / identities_answer / sign_response build framed answers.
Bytes failure_message();
Bytes identities_answer(const std::vector<std::pair<Bytes, std::string>>& keys);
Bytes sign_response(ByteView signature_blob);

}  // namespace paw::ssh
