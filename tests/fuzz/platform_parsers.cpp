// Fuzz target: the agent's parsers of machine files and TPM NV contents
// (paw/platform/parse.h): EK certificate DER length in NV, os-release,
// /proc/mounts, the SecureBoot EFI variable, the saved EK context (ek.ctx). All are bytes the agent reads
// from the machine or the TPM and must survive whatever they hold.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "paw/platform/parse.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const paw::ByteView bytes(data, size);
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  // A DER length never points past the input.
  if (auto n = paw::platform::der_length(bytes); n.ok() && (*n > size || *n < 2)) __builtin_trap();
  (void)paw::platform::os_release_pretty_name(text);
  // The root source never grows beyond the input it came from.
  if (auto root = paw::platform::mounts_root_source(text); root && root->size() > size) __builtin_trap();
  if (paw::platform::secure_boot_from_efivar(text).has_value() != (size == 5)) __builtin_trap();
  (void)paw::platform::trim(std::string(text));
  // The saved EK context: what parses encodes back to the same bytes.
  if (auto ek = paw::platform::parse_ek_context_file(bytes); ek.ok()) {
    if (ek->name.size() > paw::platform::kMaxEkNameSize || ek->context.size() > paw::platform::kMaxEkContextSize)
      __builtin_trap();
    if (paw::platform::encode_ek_context_file(*ek) != paw::Bytes(data, data + size)) __builtin_trap();
  }
  return 0;
}
