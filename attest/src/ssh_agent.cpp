// ssh-agent protocol messages (draft-miller-ssh-agent §4, §5). See ssh_agent.h.
#include "paw/attest/ssh_agent.h"

#include "paw/attest/ssh_cert.h"

namespace paw::ssh {

Result<AgentRequest> parse_agent_request(ByteView body) {
  if (body.size() > kMaxAgentMessage) return make_error(Errc::too_large, "ssh-agent: message larger than 256 KiB");
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
