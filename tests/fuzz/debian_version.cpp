// Fuzz target: Debian version syntax and order (policy boot.min_kernel,
// package versions). The input is split at its first NUL into two versions.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "paw/attest/debian_version.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  const auto nul = in.find('\0');
  const std::string_view a = in.substr(0, nul), b = nul == std::string_view::npos ? "1.0" : in.substr(nul + 1);
  if (!paw::check_debian_version(a).ok() || !paw::check_debian_version(b).ok()) return 0;
  const int ab = paw::compare_debian_versions(a, b), ba = paw::compare_debian_versions(b, a);
  // An order: antisymmetric, and every version equals itself.
  if ((ab > 0) != (ba < 0) || (ab == 0) != (ba == 0)) __builtin_trap();
  if (paw::compare_debian_versions(a, a) != 0) __builtin_trap();
  return 0;
}
