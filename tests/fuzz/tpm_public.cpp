// Fuzz target: TPM2B_PUBLIC / TPMT_PUBLIC parsing, names, key conversion and
// AK checks (untrusted: AK and EK public areas arrive in enrollment requests).
#include <cstddef>
#include <cstdint>

#include "paw/attest/ak.h"
#include "paw/attest/tpm.h"

namespace {
void exercise(const paw::TpmPublic& pub) {
  // A parsed public area re-parses to the same bytes.
  auto again = paw::parse_tpmt_public(pub.marshalled);
  if (!again.ok() || again->marshalled != pub.marshalled) __builtin_trap();
  auto name = paw::object_name(pub);
  if (name.ok() && name->size() != 2 + paw::hash_size(*pub.name_alg())) __builtin_trap();
  auto key = paw::to_evp_pkey(pub);
  if (key.ok() && !paw::public_matches(pub, key->get()).value()) __builtin_trap();
  (void)paw::check_ak_properties(pub);
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const paw::ByteView bytes(data, size);
  if (auto p = paw::parse_public(bytes); p.ok()) exercise(*p);
  if (auto p = paw::parse_tpmt_public(bytes); p.ok()) exercise(*p);
  (void)paw::parse_pem_public_key(bytes);
  return 0;
}
