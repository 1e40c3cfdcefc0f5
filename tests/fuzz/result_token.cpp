// Fuzz target: result-token and JWKS parsers (relying parties read both from the network).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "paw/attest/result_token.h"

namespace {
// One fixed key: tokens the fuzzer mutates from the seeds may carry its kid.
const paw::Jwks& fixed_jwks() {
  static const paw::Jwks jwks = [] {
    auto key = paw::generate_signing_key();
    if (!key.ok()) __builtin_trap();
    auto jwk = paw::public_jwk(*key);
    if (!jwk.ok()) __builtin_trap();
    auto set = paw::parse_jwks(paw::build_jwks({*jwk}));
    if (!set.ok()) __builtin_trap();
    return std::move(*set);
  }();
  return jwks;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto claims = paw::decode_result_token(text);
  (void)claims;
  auto verified = paw::verify_result_token(text, fixed_jwks(), 1'800'000'000, "paw-verifier");
  if (verified.ok()) __builtin_trap();  // nothing unsigned by the fixed key may verify
  auto jwks = paw::parse_jwks(text);
  if (jwks.ok()) {
    for (const auto& [kid, key] : jwks->keys) {
      if (kid.empty() && key == nullptr) __builtin_trap();
    }
  }
  auto one = paw::jwk_to_key(text);
  (void)one;
  return 0;
}
