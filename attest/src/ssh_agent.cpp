// ssh-agent protocol messages (draft-miller-ssh-agent §4, §5). See ssh_agent.h.
#include "paw/attest/ssh_agent.h"

#include "paw/attest/ssh_cert.h"

namespace paw::ssh {

Result<AgentRequest> parse_agent_request(ByteView body) {
  if (body.size() > kMaxAgentMessage)
    return make_error(Errc::too_large, "ssh-agent: message larger than 256 KiB");
  Reader r(body);
  AgentRequest req;
  if (!r.u8(req.type)) return make_error(Errc::malformed, "ssh-agent: empty message");
  if (req.type == kRequestIdentities) {
    if (!r.done()) return make_error(Errc::trailing_data, "ssh-agent: bytes after the identities request");
  } else if (req.type == kSignRequest) {
    ByteView key, data;
    if (!read_string(r, key) || !read_string(r, data) || !r.u32be(req.flags)) {
      return make_error(Errc::malformed, "ssh-agent: truncated sign request");
    }
    if (!r.done()) return make_error(Errc::trailing_data, "ssh-agent: bytes after the sign request");
    req.key_blob.assign(key.begin(), key.end());
    req.data.assign(data.begin(), data.end());
  }
  return req;
}

Status check_userauth_request(ByteView data, const std::vector<Bytes>& own) {
  constexpr std::uint8_t kUserauthRequest = 50;
  const auto refuse = [](const char* why) {
    return make_error(Errc::policy_violation, std::string("ssh-agent: not an SSH login: ") + why);
  };
  Reader r(data);
  ByteView session, user, service, method, alg, key;
  std::uint8_t type = 0, has_sig = 0;
  if (!read_string(r, session) || session.empty() || session.size() > 64) return refuse("session id");
  if (!r.u8(type) || type != kUserauthRequest) return refuse("message type");
  if (!read_string(r, user) || !read_string(r, service) || !read_string(r, method))
    return refuse("truncated");
  const std::string_view m(reinterpret_cast<const char*>(method.data()), method.size());
  const bool hostbound = m == "publickey-hostbound-v00@openssh.com";
  if (m != "publickey" && !hostbound) return refuse("method");
  if (!r.u8(has_sig) || has_sig != 1) return refuse("boolean");
  if (!read_string(r, alg) || !read_string(r, key)) return refuse("truncated");
  bool mine = false;
  for (const auto& b : own) mine = mine || ct_equal(key, b);
  if (!mine) return refuse("another key");
  if (hostbound) {
    ByteView host_key;
    if (!read_string(r, host_key)) return refuse("host key");
  }
  if (!r.done()) return refuse("trailing bytes");
  return ok_status();
}

Bytes frame(ByteView body) {
  Writer w;
  w.string(body);
  return w.take();
}

Bytes failure_message() {
  const Bytes body{kAgentFailure};
  return frame(body);
}

Bytes identities_answer(const std::vector<std::pair<Bytes, std::string>>& keys) {
  Writer w;
  Bytes out{kIdentitiesAnswer};
  w.u32(static_cast<std::uint32_t>(keys.size()));
  for (const auto& [blob, comment] : keys) {
    w.string(ByteView(blob));
    w.string(std::string_view(comment));
  }
  out.insert(out.end(), w.bytes().begin(), w.bytes().end());
  return frame(out);
}

Bytes sign_response(ByteView signature_blob) {
  Writer w;
  Bytes out{kSignResponse};
  w.string(signature_blob);
  out.insert(out.end(), w.bytes().begin(), w.bytes().end());
  return frame(out);
}

}  // namespace paw::ssh
