// Fuzz target: the EFI_SIGNATURE_LIST decoder (the measured dbx a policy's
// "boot.dbx" rule judges; its bytes come from the event log in the evidence).
// Inside an event log a fuzzer rarely reaches it (the event's digest must
// match its data), so it is fuzzed on its own.
#include <cstddef>
#include <cstdint>

#include "paw/attest/bootfacts.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto entries = paw::parse_efi_signature_lists(paw::ByteView(data, size));
  if (!entries.ok()) return 0;
  // Every SHA-256 entry is a digest, and no entry is read from outside the input
  // (each takes at least 17 bytes of it, after a 28-byte list header).
  for (const auto& d : entries->sha256) {
    if (d.size() != 32) __builtin_trap();
  }
  if ((entries->sha256.size() + entries->other) * 17 > size) __builtin_trap();
  return 0;
}
