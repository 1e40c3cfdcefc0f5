// Fuzz target: the small protocol messages (protocol.h). The verifier decodes
// the requests from anyone; the agent decodes the answers. Whatever decodes
// must encode and decode back to the same value.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "paw/attest/protocol.h"

namespace {

template <typename Decode>
void round_trip(std::string_view text, Decode decode) {
  auto m = decode(text);
  if (!m.ok()) return;
  auto again = decode(paw::protocol::encode(*m));
  if (!again.ok() || !(*again == *m)) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace p = paw::protocol;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  round_trip(text, p::decode_info);
  round_trip(text, p::decode_enrollment_answer);
  round_trip(text, p::decode_activation_request);
  round_trip(text, p::decode_activation_answer);
  round_trip(text, p::decode_challenge_request);
  round_trip(text, p::decode_challenge);
  round_trip(text, p::decode_attestation_answer);
  round_trip(text, p::decode_login_key_answer);
  const p::ErrorAnswer e = p::decode_error_answer(text);
  if (e.error.size() > 4096 || e.message.size() > 4096) __builtin_trap();
  return 0;
}
