// Fuzz target: the config-file grammar of every paw program
// (parse_config_lines, attest/cli.h): `name = value` lines.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "paw/attest/cli.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto lines = paw::parse_config_lines(text, "fuzz");
  if (!lines.ok()) return 0;
  // Every name and value is trimmed text of the input, and lines come in order.
  int last = 0;
  for (const auto& l : *lines) {
    if (l.line <= last || l.name.size() + l.value.size() > size) __builtin_trap();
    if (!l.name.empty() && (l.name.front() == ' ' || l.name.back() == ' ')) __builtin_trap();
    last = l.line;
  }
  return 0;
}
