// tpm_pcr.cpp — PCR selections and TPM2_PCR_Read.
#include "paw/platform/tpm.h"
#include "tpm_internal.h"

namespace paw::platform {

Result<TPML_PCR_SELECTION> to_tpml_selection(const PcrSelection& selection) {
  TPML_PCR_SELECTION out{};
  if (selection.size() > TPM2_NUM_PCR_BANKS) return make_error(Errc::too_large, "too many PCR banks");
  for (const auto& entry : selection) {
    if (hash_size(entry.bank) == 0) return make_error(Errc::unsupported, "unknown PCR bank");
    TPMS_PCR_SELECTION& s = out.pcrSelections[out.count++];
    s.hash = static_cast<TPMI_ALG_HASH>(entry.bank);
    s.sizeofSelect = 3;  // 24 PCRs (TCG PC Client PTP)
    for (const std::uint32_t i : entry.indices) {
      if (i >= kPcrCount) return make_error(Errc::malformed, "PCR index out of range");
      s.pcrSelect[i / 8] = static_cast<BYTE>(s.pcrSelect[i / 8] | (1u << (i % 8)));
    }
  }
  return out;
}

PcrSelection from_tpml_selection(const TPML_PCR_SELECTION& selection) {
  PcrSelection out;
  for (UINT32 b = 0; b < selection.count && b < TPM2_NUM_PCR_BANKS; ++b) {
    const TPMS_PCR_SELECTION& s = selection.pcrSelections[b];
    const auto alg = hash_from_id(s.hash);
    if (!alg) continue;
    PcrSelectionEntry entry{*alg, {}};
    for (std::uint32_t i = 0; i < s.sizeofSelect * 8u && i < sizeof(s.pcrSelect) * 8u; ++i) {
      if ((s.pcrSelect[i / 8] >> (i % 8)) & 1u) entry.indices.push_back(i);
    }
    out.push_back(std::move(entry));
  }
  return out;
}

Result<PcrSelection> active_pcr_selection(Tpm& tpm) {
  TPMS_CAPABILITY_DATA* raw = nullptr;
  TPMI_YES_NO more = TPM2_NO;
  const TSS2_RC rc = detail::call_with_retry([&] {
    return Esys_GetCapability(tpm.esys(), ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, TPM2_CAP_PCRS, 0,
                              TPM2_NUM_PCR_BANKS, &more, &raw);
  });
  if (rc != TSS2_RC_SUCCESS) return tpm_error("TPM2_GetCapability(PCRS)", rc);
  detail::EsysPtr<TPMS_CAPABILITY_DATA> cap(raw);
  PcrSelection out;
  const TPML_PCR_SELECTION& banks = cap->data.assignedPCR;
  for (UINT32 b = 0; b < banks.count && b < TPM2_NUM_PCR_BANKS; ++b) {
    const TPMS_PCR_SELECTION& s = banks.pcrSelections[b];
    const auto alg = hash_from_id(s.hash);
    if (!alg || *alg == HashAlg::sm3_256) continue;  // paw hashes sha1/256/384/512 only
    bool any = false;
    for (UINT8 i = 0; i < s.sizeofSelect && i < sizeof(s.pcrSelect); ++i) any = any || s.pcrSelect[i] != 0;
    if (!any) continue;  // bank present but not allocated
    PcrSelectionEntry entry{*alg, {}};
    for (std::uint32_t i = 0; i < kPcrCount; ++i) entry.indices.push_back(i);
    out.push_back(std::move(entry));
  }
  if (out.empty()) return make_error(Errc::tpm_error, "the TPM has no active PCR bank paw knows");
  return out;
}

namespace {
bool any_selected(const TPML_PCR_SELECTION& s) {
  for (UINT32 b = 0; b < s.count; ++b)
    for (UINT8 i = 0; i < s.pcrSelections[b].sizeofSelect; ++i)
      if (s.pcrSelections[b].pcrSelect[i] != 0) return true;
  return false;
}

// take_values moves the digests of one TPM2_PCR_Read answer into |out| and
// clears what was answered from |remaining|; false if the answer is inconsistent.
bool take_values(const TPML_PCR_SELECTION& answered, const TPML_DIGEST& values, TPML_PCR_SELECTION& remaining,
                 PcrValues& out, std::size_t& taken) {
  UINT32 v = 0;
  for (UINT32 b = 0; b < answered.count && b < TPM2_NUM_PCR_BANKS; ++b) {
    const TPMS_PCR_SELECTION& s = answered.pcrSelections[b];
    const auto alg = hash_from_id(s.hash);
    if (!alg) return false;
    for (std::uint32_t i = 0; i < s.sizeofSelect * 8u && i < kPcrCount; ++i) {
      if (((s.pcrSelect[i / 8] >> (i % 8)) & 1u) == 0) continue;
      if (v >= values.count || values.digests[v].size != hash_size(*alg)) return false;
      out[*alg][i] = Bytes(values.digests[v].buffer, values.digests[v].buffer + values.digests[v].size);
      ++v;
      ++taken;
      for (UINT32 r = 0; r < remaining.count; ++r) {
        if (remaining.pcrSelections[r].hash == s.hash)
          remaining.pcrSelections[r].pcrSelect[i / 8] =
              static_cast<BYTE>(remaining.pcrSelections[r].pcrSelect[i / 8] & ~(1u << (i % 8)));
      }
    }
  }
  return v == values.count;
}
}  // namespace

Result<PcrValues> read_pcrs(Tpm& tpm, const PcrSelection& selection) {
  PAW_TRY(const TPML_PCR_SELECTION wanted, to_tpml_selection(selection));
  for (int attempt = 0; attempt <= kTpmRetries; ++attempt) {
    TPML_PCR_SELECTION remaining = wanted;
    PcrValues out;
    std::optional<UINT32> counter;
    bool restart = false;
    while (any_selected(remaining) && !restart) {
      UINT32 update_counter = 0;
      TPML_PCR_SELECTION* sel_raw = nullptr;
      TPML_DIGEST* val_raw = nullptr;
      const TSS2_RC rc = detail::call_with_retry([&] {
        return Esys_PCR_Read(tpm.esys(), ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &remaining, &update_counter,
                             &sel_raw, &val_raw);
      });
      if (rc != TSS2_RC_SUCCESS) return tpm_error("TPM2_PCR_Read", rc);
      detail::EsysPtr<TPML_PCR_SELECTION> answered(sel_raw);
      detail::EsysPtr<TPML_DIGEST> values(val_raw);
      if (counter && *counter != update_counter) {
        restart = true;  // a PCR changed between chunks: the set would be inconsistent
        break;
      }
      counter = update_counter;
      std::size_t taken = 0;
      if (!take_values(*answered, *values, remaining, out, taken))
        return make_error(Errc::tpm_error, "TPM2_PCR_Read answered an inconsistent selection");
      if (taken == 0) return make_error(Errc::tpm_error, "TPM2_PCR_Read made no progress (bank not allocated?)");
    }
    if (!restart) return out;
  }
  return make_error(Errc::tpm_error, "PCRs kept changing while being read");
}

}  // namespace paw::platform
