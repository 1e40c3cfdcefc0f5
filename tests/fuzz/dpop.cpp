// Fuzz target: DPoP proofs (RFC 9449) and htu normalisation — the DPoP header
// arrives from any client at GET /v1/authz.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "paw/attest/dpop.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  paw::DpopExpect e;
  e.method = "GET";
  e.url = "https://app.example/private/page";
  e.access_token = "a.b.c";
  e.jkt = "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I";  // no key the fuzzer can sign with
  e.now = 1'800'000'000;
  const paw::DpopCheck c = paw::verify_dpop_proof(text, e);
  if (c.ok()) __builtin_trap();  // nothing can prove a key whose private half nobody has
  auto n = paw::normalize_htu(text);
  if (n.ok()) {
    // normalising is idempotent
    auto again = paw::normalize_htu(*n);
    if (!again.ok() || *again != *n) __builtin_trap();
  }
  return 0;
}
