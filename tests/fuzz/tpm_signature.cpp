// Fuzz target: TPMT_SIGNATURE decoding and verification with a fixed key pair
// type per scheme (untrusted: signatures arrive in evidence).
#include <openssl/ec.h>
#include <openssl/evp.h>

#include <cstddef>
#include <cstdint>

#include "paw/attest/tpm.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static paw::EvpPkeyPtr ec(EVP_EC_gen("P-256"));
  const paw::ByteView bytes(data, size);
  auto sig = paw::parse_signature(bytes);
  if (!sig.ok()) return 0;
  if (sig->scheme == paw::SigScheme::ecdsa && (sig->ecc_r.empty() || sig->ecc_s.empty())) __builtin_trap();
  if (sig->scheme != paw::SigScheme::ecdsa && sig->rsa.empty()) __builtin_trap();
  // A fuzzed signature over a fixed message never verifies with a fresh key.
  static const std::uint8_t msg[] = {'p', 'a', 'w'};
  if (paw::verify_signature(ec.get(), msg, *sig).ok()) __builtin_trap();
  return 0;
}
