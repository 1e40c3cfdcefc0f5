// Fuzz target: shim's SbatLevel text as PCR 7 measures it (sbat.h), parsed
// and, when it decodes, judged against a minimum and printed.
#include <cstddef>
#include <cstdint>

#include "paw/attest/sbat.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto level = paw::parse_sbat_level(paw::ByteView(data, size));
  if (!level.ok()) return 0;
  // What the parser accepts is what the rule relies on: a datestamp of ten
  // digits and bounded, named components.
  if (!paw::valid_sbat_date(level->date) || level->components.size() > paw::kMaxSbatComponents) __builtin_trap();
  for (const auto& [name, gen] : level->components) {
    if (!paw::valid_sbat_component(name) || gen > paw::kMaxSbatGeneration) __builtin_trap();
  }
  const paw::SbatMinimum minimum{"2023012900", {{"shim", 2}, {"grub", 3}}};
  (void)paw::sbat_shortfalls(*level, minimum);
  // A level is never short of itself.
  if (!paw::sbat_shortfalls(*level, paw::SbatMinimum{level->date, level->components}).empty()) __builtin_trap();
  (void)paw::sbat_level_text(*level);
  return 0;
}
