// Fuzz target: the evidence envelope and body parsers (untrusted network input).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "paw/attest/evidence.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const paw::ByteView bytes(data, size);
  auto body = paw::parse_body(bytes);
  if (body.ok()) {
    // Whatever parses must serialize and parse back to the same value.
    auto again = paw::parse_body(paw::serialize_body(*body));
    if (!again.ok() || !(*again == *body)) __builtin_trap();
  }
  auto env = paw::parse_envelope(std::string_view(reinterpret_cast<const char*>(data), size));
  if (env.ok()) {
    auto again = paw::parse_envelope(paw::serialize_envelope(*env));
    if (!again.ok() || !(*again == *env)) __builtin_trap();
  }
  return 0;
}
