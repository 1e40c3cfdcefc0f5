// tpm_internal.h — private helpers shared by the TPM-structure sources.
#pragma once

#include <string>

#include "paw/attest/error.h"
#include "paw/attest/tpm.h"

namespace paw::detail {

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
