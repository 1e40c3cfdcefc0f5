// Fuzz target: TPMS_ATTEST decoding and the tpm2-tools file formats
// (PCR file, credential file) pawctl reads.
#include <cstddef>
#include <cstdint>

#include "paw/attest/makecredential.h"
#include "paw/attest/quote.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const paw::ByteView bytes(data, size);
  if (auto a = paw::parse_attest(bytes); a.ok()) {
    for (const auto& e : a->pcr_select) {
      for (auto i : e.indices) {
        if (i >= paw::kPcrCount) __builtin_trap();
      }
    }
  }
  if (auto p = paw::parse_tpm2_tools_pcrs(bytes); p.ok()) {
    if (!paw::validate_pcr_values(*p).ok()) __builtin_trap();
  }
  if (auto c = paw::parse_tpm2_tools_credential_file(bytes); c.ok()) {
    if (paw::tpm2_tools_credential_file(*c) != paw::Bytes(bytes.begin(), bytes.end())) __builtin_trap();
  }
  return 0;
}
