// Fuzz target: the IMA list parsers (binary, ASCII), replay and the allowlist
// parser (untrusted: the IMA list arrives in the evidence body).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "paw/attest/ima.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const paw::ByteView bytes(data, size);
  auto log = paw::parse_ima_list(bytes);
  if (log.ok()) {
    auto pcrs = paw::replay_ima(*log);
    if (pcrs.ok() && !paw::validate_pcr_values(*pcrs).ok()) __builtin_trap();
    paw::ImaAllowlist empty;
    const auto findings = paw::check_ima_allowlist(*log, empty);
    for (const auto& f : findings) {
      if (f.entry >= log->entries().size()) __builtin_trap();
    }
  }
  auto sha256_list = paw::parse_ima_binary(bytes, paw::HashAlg::sha256);
  (void)sha256_list;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto list = paw::parse_ima_allowlist(text);
  (void)list;
  return 0;
}
