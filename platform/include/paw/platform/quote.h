// paw/platform/quote.h — TPM2_Quote and the PCR digest it signs.
#pragma once

#include "paw/attest/bytes.h"
#include "paw/attest/error.h"
#include "paw/attest/tpm.h"
#include "paw/platform/ak.h"
#include "paw/platform/tpm.h"

namespace paw::platform {

// Quote is what TPM2_Quote returned.
struct Quote {
  Bytes attest;     // the marshalled TPMS_ATTEST exactly as the TPM produced it
  Bytes signature;  // the marshalled TPMT_SIGNATURE (the TPM's, re-marshalled by tss2-mu)
};

// quote signs |selection| with |ak| (its own scheme) and |qualifying_data| as
// extraData (at most 64 bytes: TPM2B_DATA). Errc::tpm_error, Errc::too_large.
Result<Quote> quote(Tpm& tpm, const Ak& ak, ByteView qualifying_data, const PcrSelection& selection);

// quoted_pcr_digest extracts pcrDigest from a quote's TPMS_ATTEST (Errc::malformed).
Result<Bytes> quoted_pcr_digest(ByteView attest);
// pcr_digest computes H_hash(PCR values of |selection| in order) — what a
// quote's pcrDigest must be for |pcrs|. Errc::malformed if a PCR is missing.
Result<Bytes> pcr_digest(HashAlg hash, const PcrSelection& selection, const PcrValues& pcrs);

}  // namespace paw::platform
