// Fuzz target: the policy document parser (admin API input) and the storage
// parsers of device records, device states and appraisal records.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "paw/attest/appraisal.h"
#include "paw/attest/policy.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto policy = paw::parse_policy(text);
  if (policy.ok()) {
    // Whatever parses is valid and round-trips exactly.
    if (!paw::validate_policy(*policy).ok()) __builtin_trap();
    auto again = paw::parse_policy(paw::serialize_policy(*policy));
    if (!again.ok() || !(*again == *policy)) __builtin_trap();
  }
  auto rec = paw::parse_device_record(text);
  if (rec.ok()) {
    auto again = paw::parse_device_record(paw::serialize_device_record(*rec));
    if (!again.ok() || !(*again == *rec)) __builtin_trap();
  }
  auto st = paw::parse_device_state(text);
  if (st.ok()) {
    auto again = paw::parse_device_state(paw::serialize_device_state(*st));
    if (!again.ok() || !(*again == *st)) __builtin_trap();
  }
  (void)paw::parse_appraisal_record(text);
  return 0;
}
