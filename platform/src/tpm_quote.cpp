// tpm_quote.cpp — TPM2_Quote (TPM 2.0 Part 3, 18.4).
#include <algorithm>

#include "paw/platform/quote.h"
#include "tpm_internal.h"

namespace paw::platform {

Result<Quote> quote(Tpm& tpm, const Ak& ak, ByteView qualifying_data, const PcrSelection& selection) {
  TPM2B_DATA extra{};
  if (qualifying_data.size() > sizeof(extra.buffer))
    return make_error(Errc::too_large, "qualifying data longer than TPM2B_DATA");
  extra.size = static_cast<UINT16>(qualifying_data.size());
  std::copy(qualifying_data.begin(), qualifying_data.end(), extra.buffer);
  PAW_TRY(const TPML_PCR_SELECTION pcr_select, to_tpml_selection(selection));
  const TPMT_SIG_SCHEME scheme{TPM2_ALG_NULL, {}};  // the restricted key's own scheme
  TPM2B_ATTEST* quoted_raw = nullptr;
  TPMT_SIGNATURE* sig_raw = nullptr;
  const TSS2_RC rc = detail::call_with_retry([&] {
    return Esys_Quote(tpm.esys(), ak.handle.get(), ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, &extra, &scheme,
                      &pcr_select, &quoted_raw, &sig_raw);
  });
  if (rc != TSS2_RC_SUCCESS) return tpm_error("TPM2_Quote", rc);
  detail::EsysPtr<TPM2B_ATTEST> quoted(quoted_raw);
  detail::EsysPtr<TPMT_SIGNATURE> sig(sig_raw);
  Quote q;
  // attestationData is the TPMS_ATTEST the TPM signed, byte for byte.
  q.attest.assign(quoted->attestationData, quoted->attestationData + quoted->size);
  PAW_TRY(q.signature, detail::marshal(*sig, Tss2_MU_TPMT_SIGNATURE_Marshal, "marshal TPMT_SIGNATURE"));
  return q;
}

Result<Bytes> quoted_pcr_digest(ByteView attest) {
  PAW_TRY(const TPMS_ATTEST a, detail::unmarshal<TPMS_ATTEST>(attest, Tss2_MU_TPMS_ATTEST_Unmarshal, "TPMS_ATTEST"));
  if (a.type != TPM2_ST_ATTEST_QUOTE) return make_error(Errc::bad_type, "TPMS_ATTEST is not a quote");
  const TPM2B_DIGEST& d = a.attested.quote.pcrDigest;
  return Bytes(d.buffer, d.buffer + d.size);
}

Result<Bytes> pcr_digest(HashAlg hash, const PcrSelection& selection, const PcrValues& pcrs) {
  Bytes concat;
  for (const auto& entry : selection) {
    const auto bank = pcrs.find(entry.bank);
    for (const std::uint32_t i : entry.indices) {
      if (bank == pcrs.end() || bank->second.count(i) == 0)
        return make_error(Errc::malformed, "PCR " + std::string(hash_name(entry.bank)) + ":" + std::to_string(i) +
                                               " missing");
      const Bytes& v = bank->second.at(i);
      concat.insert(concat.end(), v.begin(), v.end());
    }
  }
  return digest(hash, concat);
}

}  // namespace paw::platform
