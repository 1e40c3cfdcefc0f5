// Fuzz target: Debian packages as pawctl refs import-deb reads them
// (tools/pawctl/debian: ar, tar, compression through libarchive; the control file
// and the PE images inside by paw). Seeds: two real packages.
#include <cstddef>
#include <cstdint>

#include "deb_images.h"
#include "paw/attest/debian_version.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto deb = pawctl::read_deb_memory(paw::ByteView(data, size));
  if (!deb.ok()) return 0;
  // A package that reads has a name and a valid version, and every image a digest.
  if (!paw::valid_package_name(deb->package) || !paw::check_debian_version(deb->version).ok()) __builtin_trap();
  for (const auto& k : deb->images) {
    if (k.sha256.size() != 32 || k.version != deb->version) __builtin_trap();
  }
  return 0;
}
