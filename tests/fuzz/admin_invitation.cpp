// Fuzz target: the admin invitation token (verifier/src/api/invitation.h),
// read from an unauthenticated caller before its MAC is checked. A token
// that parses must write back to the same text.
#include <cstddef>
#include <cstdint>
#include <string>

#include "api/invitation.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  auto inv = paw::verifier::parse_invitation(text);
  if (!inv.ok()) return 0;
  if (inv->nonce.size() != paw::verifier::kInvitationNonceSize || inv->name.empty() || inv->name.size() > 64)
    __builtin_trap();
  if (paw::verifier::encode_invitation(inv->nonce, inv->payload) != text) __builtin_trap();
  return 0;
}
