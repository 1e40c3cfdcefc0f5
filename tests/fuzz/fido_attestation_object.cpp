// Fuzz target: WebAuthn attestationObjects (CBOR {fmt, attStmt, authData}),
// as the console's browser registration posts them (console_invite.cpp),
// then read on as the verifier does: the statement and the authData.
#include <cstddef>
#include <cstdint>

#include "paw/attest/fido.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto obj = paw::attest::parse_fido_attestation_object(paw::ByteView(data, size));
  if (!obj.ok()) return 0;
  if (obj->fmt.empty() || obj->fmt.size() > 32 || obj->auth_data.size() > paw::attest::kFidoMaxAuthData ||
      obj->att_stmt.empty() || obj->att_stmt.size() > size)
    __builtin_trap();  // the parser's bounds
  (void)paw::attest::parse_fido_attestation_statement(obj->att_stmt);
  (void)paw::attest::parse_fido_auth_data(obj->auth_data);
  return 0;
}
