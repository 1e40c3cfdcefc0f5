// quote_tpm2tools.cpp — the PCR file tpm2-tools 5.x writes with `tpm2_quote -o`.
//
// tpm2-tools' pcr_fwrite_serialized dumps its in-memory structs (x86-64/ARM
// little-endian layout, with the compiler's padding):
//   TPML_PCR_SELECTION  UINT32 count; 16 × TPMS_PCR_SELECTION
//     TPMS_PCR_SELECTION  UINT16 hash; UINT8 sizeofSelect; BYTE pcrSelect[4]; 1 pad byte
//   UINT32 count of TPML_DIGEST that follow
//   count × TPML_DIGEST  UINT32 count; 8 × TPM2B_DIGEST { UINT16 size; BYTE buffer[64] }
// The digests fill the selected PCRs in selection order, index ascending.
#include <string>

#include "paw/attest/quote.h"

namespace paw {
namespace {

constexpr std::size_t kSelections = 16;      // TPM2_NUM_PCR_BANKS
constexpr std::size_t kSelectionBytes = 8;   // 2 + 1 + 4 + 1 pad
constexpr std::size_t kPcrSelectMax = 4;     // TPM2_PCR_SELECT_MAX
constexpr std::size_t kDigestsPerList = 8;   // TPML_DIGEST holds 8
constexpr std::size_t kDigestBuffer = 64;    // sizeof(TPMU_HA)
constexpr std::size_t kMaxLists = 16;        // tpm2_pcrs.pcr_values[] length
static_assert(2 + 1 + kPcrSelectMax + 1 == kSelectionBytes, "TPMS_PCR_SELECTION dump layout");

struct Sel {
  HashAlg bank;
  std::uint32_t mask;
};

Result<std::vector<Sel>> read_selection(Reader& r) {
  std::uint32_t count = 0;
  if (!r.u32le(count)) return make_error(Errc::malformed, "PCR file: short selection count");
  if (count > kSelections) return make_error(Errc::malformed, "PCR file: more than 16 banks");
  std::vector<Sel> out;
  for (std::size_t i = 0; i < kSelections; ++i) {
    std::uint16_t hash = 0;
    std::uint8_t size = 0;
    ByteView select;
    if (!r.u16le(hash) || !r.u8(size) || !r.bytes(kPcrSelectMax, select) || !r.skip(1)) {
      return make_error(Errc::malformed, "PCR file: short selection");
    }
    if (i >= count) continue;  // unused slots are whatever was in memory
    if (size > kPcrSelectMax) return make_error(Errc::malformed, "PCR file: sizeofSelect > 4");
    const auto bank = hash_from_id(hash);
    if (!bank) return make_error(Errc::unsupported, "PCR file: unknown bank");
    std::uint32_t mask = 0;
    for (std::size_t b = 0; b < size; ++b) mask |= static_cast<std::uint32_t>(select[b]) << (8 * b);
    out.push_back({*bank, mask});
  }
  return out;
}

struct Digests {
  std::vector<Bytes> values;
};

Result<Digests> read_digests(Reader& r) {
  std::uint32_t lists = 0;
  if (!r.u32le(lists)) return make_error(Errc::malformed, "PCR file: short digest list count");
  if (lists > kMaxLists) return make_error(Errc::malformed, "PCR file: too many digest lists");
  Digests out;
  for (std::uint32_t l = 0; l < lists; ++l) {
    std::uint32_t count = 0;
    if (!r.u32le(count)) return make_error(Errc::malformed, "PCR file: short digest count");
    if (count > kDigestsPerList) return make_error(Errc::malformed, "PCR file: more than 8 digests in a list");
    for (std::size_t d = 0; d < kDigestsPerList; ++d) {
      std::uint16_t size = 0;
      ByteView buffer;
      if (!r.u16le(size) || !r.bytes(kDigestBuffer, buffer)) return make_error(Errc::malformed, "PCR file: short digest");
      if (d >= count) continue;
      if (size > kDigestBuffer) return make_error(Errc::malformed, "PCR file: digest size > 64");
      out.values.emplace_back(buffer.begin(), buffer.begin() + size);
    }
  }
  return out;
}

}  // namespace

Result<PcrValues> parse_tpm2_tools_pcrs(ByteView file) {
  Reader r(file);
  PAW_TRY(const std::vector<Sel> sels, read_selection(r));
  PAW_TRY(Digests digests, read_digests(r));
  if (!r.done()) return make_error(Errc::trailing_data, "PCR file: bytes after the digests");
  PcrValues out;
  std::size_t next = 0;
  for (const auto& s : sels) {
    for (std::uint32_t i = 0; i < 32; ++i) {
      if ((s.mask & (1u << i)) == 0) continue;
      if (next >= digests.values.size()) return make_error(Errc::malformed, "PCR file: fewer digests than PCRs");
      if (out[s.bank].count(i) != 0) return make_error(Errc::malformed, "PCR file: bank listed twice");
      out[s.bank][i] = std::move(digests.values[next++]);
    }
  }
  if (next != digests.values.size()) return make_error(Errc::malformed, "PCR file: more digests than PCRs");
  PAW_CHECK(validate_pcr_values(out));
  return out;
}

}  // namespace paw
