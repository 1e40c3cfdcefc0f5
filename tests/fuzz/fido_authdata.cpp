// Fuzz target: FIDO2 authenticator data (and the COSE_Key inside it), as the
// verifier parses it from untrusted evidence.
#include <cstddef>
#include <cstdint>

#include "paw/attest/fido.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const paw::ByteView in(data, size);
  auto ad = paw::attest::parse_fido_auth_data(in);
  if (ad.ok() && ad->attested) {
    auto pk = paw::attest::parse_fido_cose_key(ad->public_key_cose);
    if (!pk.ok()) __builtin_trap();  // parse_fido_auth_data already accepted this key
    (void)paw::attest::fido_cose_key_to_spki(ad->public_key_cose);
  }
  (void)paw::attest::parse_fido_cose_key(in);
  return 0;
}
