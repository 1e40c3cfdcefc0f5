// tpm_attest.cpp — TPMS_ATTEST decoding (quote and certify).
#include <tss2/tss2_mu.h>

#include <algorithm>
#include <string>

#include "paw/attest/tpm.h"

namespace paw {
namespace {

Bytes copy2b(const std::uint8_t* data, std::size_t size) { return Bytes(data, data + size); }

Result<PcrSelection> decode_selection(const TPML_PCR_SELECTION& list) {
  PcrSelection out;
  for (std::uint32_t i = 0; i < list.count; ++i) {
    const TPMS_PCR_SELECTION& s = list.pcrSelections[i];
    const auto bank = hash_from_id(s.hash);
    if (!bank) return make_error(Errc::unsupported, "PCR selection names an unknown hash bank");
    if (std::any_of(out.begin(), out.end(), [&](const PcrSelectionEntry& e) { return e.bank == *bank; })) {
      // A TPM lists a bank once; a repeated bank would make the digest ambiguous.
      return make_error(Errc::malformed, "PCR selection lists bank " + std::string(hash_name(*bank)) + " twice");
    }
    PcrSelectionEntry entry{*bank, {}};
    for (std::uint32_t bit = 0; bit < s.sizeofSelect * 8u; ++bit) {
      if ((s.pcrSelect[bit / 8] & (1u << (bit % 8))) == 0) continue;
      if (bit >= kPcrCount) return make_error(Errc::malformed, "PCR selection index beyond PCR 23");
      entry.indices.push_back(bit);
    }
    out.push_back(std::move(entry));
  }
  return out;
}

}  // namespace

Result<Attest> parse_attest(ByteView attest) {
  TPMS_ATTEST a{};
  std::size_t offset = 0;
  // TPM 2.0 Part 2, 10.12.8 TPMS_ATTEST (tss2-mu selects the union by |type|
  // and fails on an unknown one).
  if (Tss2_MU_TPMS_ATTEST_Unmarshal(attest.data(), attest.size(), &offset, &a) != TSS2_RC_SUCCESS) {
    return make_error(Errc::malformed, "TPMS_ATTEST does not unmarshal");
  }
  if (offset != attest.size()) return make_error(Errc::trailing_data, "bytes after TPMS_ATTEST");
  Attest out;
  out.magic = a.magic;
  out.type = a.type;
  out.qualified_signer = copy2b(a.qualifiedSigner.name, a.qualifiedSigner.size);
  out.extra_data = copy2b(a.extraData.buffer, a.extraData.size);
  out.clock_info = ClockInfo{a.clockInfo.clock, a.clockInfo.resetCount, a.clockInfo.restartCount,
                             a.clockInfo.safe == TPM2_YES};
  if (a.clockInfo.safe > TPM2_YES) return make_error(Errc::malformed, "clockInfo.safe is not a TPMI_YES_NO");
  out.firmware_version = a.firmwareVersion;
  if (a.type == TPM2_ST_ATTEST_QUOTE) {
    PAW_TRY(out.pcr_select, decode_selection(a.attested.quote.pcrSelect));
    out.pcr_digest = copy2b(a.attested.quote.pcrDigest.buffer, a.attested.quote.pcrDigest.size);
  } else if (a.type == TPM2_ST_ATTEST_CERTIFY) {
    out.certified_name = copy2b(a.attested.certify.name.name, a.attested.certify.name.size);
    out.certified_qualified_name =
        copy2b(a.attested.certify.qualifiedName.name, a.attested.certify.qualifiedName.size);
  }
  return out;
}

}  // namespace paw
