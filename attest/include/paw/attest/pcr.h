// paw/attest/pcr.h — PCR values by bank, shared by quote verification,
// event-log replay, evidence and policy.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "paw/attest/bytes.h"
#include "paw/attest/digest.h"

namespace paw {

// kPcrCount is the number of PCRs of a PC Client TPM (TCG PC Client PTP, 24 PCRs).
inline constexpr std::uint32_t kPcrCount = 24;

// PcrBank maps a PCR index (0..23) to its value (hash_size(bank) bytes).
using PcrBank = std::map<std::uint32_t, Bytes>;
// PcrValues maps a bank's hash algorithm to its PCRs. Ordered: iteration order
// (bank by TPM_ALG_ID, then index) is the order a TPM uses in a quote digest.
using PcrValues = std::map<HashAlg, PcrBank>;

// validate_pcr_values checks indices < kPcrCount and value sizes match the bank;
// Errc::malformed naming the first bad entry otherwise.
Status validate_pcr_values(const PcrValues& pcrs);

}  // namespace paw
