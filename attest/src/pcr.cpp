#include "paw/attest/pcr.h"

namespace paw {

Status validate_pcr_values(const PcrValues& pcrs) {
  for (const auto& [alg, bank] : pcrs) {
    const std::size_t size = hash_size(alg);
    if (size == 0) return make_error(Errc::unsupported, "unknown PCR bank");
    for (const auto& [index, value] : bank) {
      if (index >= kPcrCount) {
        return make_error(Errc::malformed, std::string(hash_name(alg)) + " PCR index " +
                                               std::to_string(index) + " out of range");
      }
      if (value.size() != size) {
        return make_error(Errc::malformed, std::string(hash_name(alg)) + " PCR " + std::to_string(index) +
                                               " has " + std::to_string(value.size()) + " bytes, want " +
                                               std::to_string(size));
      }
    }
  }
  return ok_status();
}

}  // namespace paw
