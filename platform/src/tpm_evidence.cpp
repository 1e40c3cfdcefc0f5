// tpm_evidence.cpp — the evidence round (see paw/platform/evidence.h).
#include <algorithm>

#include "paw/platform/evidence.h"
#include "tpm_internal.h"

namespace paw::platform {

Result<Envelope> make_evidence(Tpm& tpm, const Ak& ak, EvidenceBody body, const PcrSelection& selection) {
  // The protocol orders PCRs bank by TPM_ALG_ID then index (PcrValues order);
  // quote in the same order so the digest is over the same sequence.
  PcrSelection sel = selection;
  std::sort(sel.begin(), sel.end(), [](const auto& a, const auto& b) { return a.bank < b.bank; });
  for (auto& e : sel) std::sort(e.indices.begin(), e.indices.end());
  PAW_TRY(const TpmPublic ak_pub, parse_public(ak.public_tpm2b));
  const HashAlg sign_hash = ak_pub.is_ecc() ? static_cast<HashAlg>(ak_pub.pub.parameters.eccDetail.scheme.details.anySig.hashAlg)
                                            : static_cast<HashAlg>(ak_pub.pub.parameters.rsaDetail.scheme.details.anySig.hashAlg);
  for (int attempt = 0; attempt <= kTpmRetries; ++attempt) {
    PAW_TRY(body.pcrs, read_pcrs(tpm, sel));
    Bytes body_bytes = serialize_body(body);
    PAW_TRY(Quote q, quote(tpm, ak, qualifying_data(body_bytes), sel));
    PAW_TRY(const Bytes quoted, quoted_pcr_digest(q.attest));
    PAW_TRY(const Bytes expected, pcr_digest(sign_hash, sel, body.pcrs));
    if (ct_equal(quoted, expected))
      return envelope_for(body, std::move(body_bytes), std::move(q.attest), std::move(q.signature));
    // A PCR was extended between read and quote: read again.
  }
  return make_error(Errc::pcr_digest_mismatch, "PCRs kept changing between PCR read and quote");
}

}  // namespace paw::platform
