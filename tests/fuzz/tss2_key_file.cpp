// Fuzz target: the TSS2 PRIVATE KEY PEM decoder (the agent's login-key.pem);
// whatever it accepts must encode back to a PEM that decodes to the same blob.
#include <cstddef>
#include <cstdint>

#include "paw/platform/login_key.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const paw::ByteView bytes(data, size);
  if (auto b = paw::platform::decode_tss2_private_key(bytes); b.ok()) {
    const std::string pem = paw::platform::encode_tss2_private_key(*b);
    auto again = paw::platform::decode_tss2_private_key(paw::as_bytes(pem));
    if (!again.ok() || !(*again == *b)) __builtin_trap();
  }
  return 0;
}
