// paw/platform/evidence.h — one evidence round: read PCRs, serialize the body
// once, quote SHA-256(body bytes), check the quote covers exactly the PCR
// values in the body.
#pragma once

#include "paw/attest/evidence.h"
#include "paw/platform/ak.h"
#include "paw/platform/quote.h"
#include "paw/platform/tpm.h"

namespace paw::platform {

// make_evidence fills |body|.pcrs from the TPM (|selection|), serializes the
// body once, quotes qualifying_data(body bytes) and returns the envelope. If a
// PCR changed between the read and the quote (IMA extends PCR10 at any time)
// the quote would not match the body: it starts again, up to kTpmRetries times
// (then Errc::pcr_digest_mismatch).
Result<Envelope> make_evidence(Tpm& tpm, const Ak& ak, EvidenceBody body, const PcrSelection& selection);

}  // namespace paw::platform
