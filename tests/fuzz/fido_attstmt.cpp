// Fuzz target: FIDO2 attestation statements (CBOR) and CBOR-wrapped authData,
// as paw reads them from authenticator output. A statement that parses must
// re-encode to bytes that parse to the same statement.
#include <cstddef>
#include <cstdint>

#include "paw/attest/fido.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const paw::ByteView in(data, size);
  auto st = paw::attest::parse_fido_attestation_statement(in);
  if (st.ok()) {
    const paw::Bytes again = paw::attest::encode_fido_attestation_statement(*st);
    auto back = paw::attest::parse_fido_attestation_statement(again);
    if (!back.ok() || back->alg != st->alg || back->sig != st->sig || back->x5c != st->x5c) __builtin_trap();
  }
  auto raw = paw::attest::unwrap_fido_cbor_bytes(in);
  if (raw.ok()) (void)paw::attest::parse_fido_auth_data(*raw);
  return 0;
}
