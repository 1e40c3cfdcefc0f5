// Fuzz target: the Release reader of pawctl refs import-deb --release
// (tools/pawctl/debian/deb_release.h). pawctl only ever reads the text gpgv
// wrote out as signed, but that text is the archive's: a hostile or broken
// mirror signs what it likes, so the reader is fuzzed like any other input.
// Seeds: a Release text as gpgv outputs it, the clear-signed InRelease it
// came from (its armour must not be taken for entries), Debian 12's shape.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "deb_release.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto files = pawctl::release_sha256(text);
  if (!files.ok()) return 0;
  for (const auto& f : *files) {
    // What read_index relies on: a whole digest, a bounded path, and every
    // entry found again by its own digest and size.
    if (f.sha256.size() != 32 || f.path.empty() || f.path.size() > 1024) __builtin_trap();
    if (!pawctl::listed_in_release(*files, f.sha256, f.size).ok()) __builtin_trap();
  }
  // The Release file is one stanza: nothing after a blank line counts, so a
  // second stanza (what an InRelease's armour would look like) changes nothing.
  if (!text.empty() && text.back() == '\n' && size < (1u << 20)) {
    std::string more(text);
    more += "\nSHA256:\n " + std::string(64, 'a') + " 1 main/binary-amd64/Packages\n";
    auto again = pawctl::release_sha256(more);
    if (!again.ok() || again->size() != files->size()) __builtin_trap();
  }
  // A digest of the wrong length is never listed.
  if (!files->empty()) {
    const auto& f = files->front();
    if (pawctl::listed_in_release(*files, paw::ByteView(f.sha256.data(), 31), f.size).ok()) __builtin_trap();
  }
  return 0;
}
