// Fuzz target: EK certificate parsing (NV padding, PEM/DER) and validation
// against a store made of the input itself.
#include <cstddef>
#include <cstdint>

#include "paw/attest/ekcert.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const paw::ByteView bytes(data, size);
  if (auto t = paw::trim_der_padding(bytes); t.ok()) {
    if (t->size() > size) __builtin_trap();
  }
  auto cert = paw::parse_certificate(bytes);
  if (!cert.ok()) return 0;
  auto store = paw::EkCaStore::from_certificates({paw::Bytes(bytes.begin(), bytes.end())});
  if (!store.ok()) return 0;
  auto ek = paw::verify_ek_certificate(bytes, *store, 1735689600);
  if (ek.ok() && ek->chain.empty()) __builtin_trap();
  return 0;
}
