// tpm_internal.h — private helpers shared by the TPM-structure sources.
#pragma once

#include <openssl/err.h>

#include <string>

#include "paw/attest/error.h"
#include "paw/attest/tpm.h"

namespace paw::detail {

// openssl_error drains OpenSSL's error queue into a short text (for details only;
// success is always decided by the call's documented return value).
inline std::string openssl_error() {
  std::string out;
  unsigned long e = 0;
  while ((e = ERR_get_error()) != 0) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof(buf));
    if (!out.empty()) out += "; ";
    out += buf;
  }
  return out.empty() ? std::string("no OpenSSL error") : out;
}

// crypto_error fails with |code|, the |what| and the drained OpenSSL queue.
inline Error crypto_error(Errc code, const std::string& what) {
  return make_error(code, what + " (" + openssl_error() + ")");
}

// SignedAttest is a TPMS_ATTEST whose signature, magic and type checked out.
struct SignedAttest {
  Attest attest;
  Signature signature;
};

// verify_signed_attest is the first half of every TPMS_ATTEST check (quote and
// certify alike): sizes → signature over the raw bytes by |ak_public| (or, if
// null, |ak_key|) → parse → magic TPM_GENERATED_VALUE → type == |type|.
// Errc::too_large, bad_signature, malformed, trailing_data, unsupported,
// bad_magic, bad_type.
Result<SignedAttest> verify_signed_attest(const EVP_PKEY* ak_key, const TpmPublic* ak_public, ByteView attest,
                                          ByteView signature, std::uint16_t type);

}  // namespace paw::detail
