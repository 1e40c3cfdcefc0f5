// Fuzz target: the PE/COFF reader behind Authenticode digests (pe.h), which
// reads files an admin names (pawctl refs import-deb). Seed: the headers of
// a real EFI image (systemd-bootx64.efi, tests/data/debian/README.md).
#include <cstddef>
#include <cstdint>

#include "paw/attest/pe.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const paw::ByteView image(data, size);
  auto layout = paw::pe_layout(image);
  if (!layout.ok()) return 0;
  // Every hashed range lies inside the input.
  for (const auto& r : layout->hashed) {
    if (r.data() < data || r.data() + r.size() > data + size) __builtin_trap();
  }
  auto d = paw::authenticode_digest(image);
  if (!d.ok() || d->size() != 32) __builtin_trap();
  return 0;
}
