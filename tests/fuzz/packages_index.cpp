// Fuzz target: the Packages index reader of pawctl refs import-deb
// (--packages, tools/pawctl/debian/deb_index.h), parsed and searched for a
// .deb. The Release reader (--release) has its own target, deb_release.cpp.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "deb_index.h"
#include "paw/attest/debian_version.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto index = pawctl::parse_packages_index(text);
  if (!index.ok()) return 0;
  for (const auto& e : *index) {
    // What the matcher relies on: every stanza has the fields it compares, valid.
    if (!paw::valid_package_name(e.package) || !paw::check_debian_version(e.version).ok() ||
        e.architecture.empty() || e.sha256.size() != 32) {
      __builtin_trap();
    }
  }
  const auto& first = index->front();
  pawctl::DebFile f{"x.deb", first.package, first.version, first.architecture, first.size, first.sha256};
  if (!pawctl::find_in_index(*index, f).ok()) __builtin_trap();  // a listed .deb is always found
  f.size += 1;
  (void)pawctl::find_in_index(*index, f);
  return 0;
}
