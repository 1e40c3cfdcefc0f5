// Fuzz target: the SSH certificate decoder (round trip: what decodes
// re-encodes to the same bytes), the public key and signature blob parsers,
// the one-line text form, the ssh-agent request parser and the userauth
// request check.
#include "paw/attest/ssh_cert.h"

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "paw/attest/result_token.h"
#include "paw/attest/ssh_agent.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const paw::ByteView bytes(data, size);
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  if (auto c = paw::ssh::decode(bytes); c.ok()) {
    if (paw::ssh::encode(*c) != paw::Bytes(bytes.begin(), bytes.end())) __builtin_trap();
    (void)paw::ssh::verify(*c, {});
  }
  if (auto k = paw::ssh::parse_public_key_blob(bytes); k.ok()) {
    auto again = paw::ssh::public_key_blob(k->get());
    if (!again.ok() || *again != paw::Bytes(bytes.begin(), bytes.end())) __builtin_trap();
    (void)paw::ssh::verify_blob(k->get(), bytes, bytes);
  }
  (void)paw::ssh::parse_line(text, paw::ssh::kCertType);
  (void)paw::ssh::signature_blob_from_tpm(bytes);
  (void)paw::ssh::check_userauth_request(bytes, {paw::Bytes(bytes.begin(), bytes.begin() + size / 2)});
  if (auto r = paw::ssh::parse_agent_request(bytes); r.ok()) {
    if (r->type == paw::ssh::kSignRequest && r->key_blob.size() + r->data.size() + 13 != size)
      __builtin_trap();
  }
  return 0;
}
