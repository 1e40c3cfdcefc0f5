// deb_index.h — a Debian "Packages" index (deb822 stanzas, as an archive's
// dists/*/main/binary-*/Packages[.xz|.gz] or dpkg-scanpackages writes it),
// for pawctl refs import-deb --packages: each .deb imported must be the one
// the index names, by Package, Version, Architecture, Size and SHA256, so
// the package and version recorded in the policy are the archive's, not
// whatever a .deb's own control file claims.
//
// The index is any file an admin names: the text (after decompression) is
// bounded, every line and stanza is bounded, and a malformed one gives
// Errc::malformed naming its line.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "paw/attest/bytes.h"
#include "paw/attest/error.h"

namespace pawctl {

inline constexpr std::size_t kMaxPackagesSize = 512u << 20;     // Debian 12 main amd64: ~45 MiB
inline constexpr std::size_t kMaxPackagesStanzas = 1000000;     // ~64000 in Debian 12 main amd64
inline constexpr std::size_t kMaxPackagesLine = 1u << 20;       // one line (a long Description line)
inline constexpr std::size_t kMaxPackagesFields = 512;          // fields of one stanza

// PackagesEntry is one stanza of the index, the fields paw matches on.
struct PackagesEntry {
  std::size_t line = 0;        // where the stanza starts (1-based), for messages
  std::string package;         // "Package"
  std::string version;         // "Version"
  std::string architecture;    // "Architecture"
  std::string filename;        // "Filename" (a label; "" when absent)
  std::uint64_t size = 0;      // "Size", bytes of the .deb
  paw::Bytes sha256;           // "SHA256" of the .deb, 32 bytes
};

// parse_packages_index reads deb822 stanzas separated by blank lines:
// "Field: value" lines, continuation lines starting with a space or tab
// (part of the field before; paw reads none of those), "#" comment lines.
// A stanza must have Package, Version (check_debian_version), Architecture,
// Size (decimal) and SHA256 (64 hex digits); a field named twice in one
// stanza is refused. Errc::malformed naming the line, Errc::too_large past
// the limits above.
paw::Result<std::vector<PackagesEntry>> parse_packages_index(std::string_view text);

// read_packages_file reads |path| — plain text, or compressed with xz, gzip,
// bzip2 or zstd (libarchive finds out which) — at most kMaxPackagesSize
// bytes after decompression, and parses it. Errc::io_error when it cannot be
// read.
paw::Result<std::vector<PackagesEntry>> read_packages_file(const std::string& path);
// read_packages_memory is read_packages_file over the file's bytes (as
// read once, to be hashed for a signed Release too); |name| is for messages.
paw::Result<std::vector<PackagesEntry>> read_packages_memory(paw::ByteView data, const std::string& name);

// DebFile is what an imported .deb is, to be found in the index: its
// control's Package, Version and Architecture, and its size and SHA-256.
struct DebFile {
  std::string path;
  std::string package;
  std::string version;
  std::string architecture;
  std::uint64_t size = 0;
  paw::Bytes sha256;
};

inline constexpr std::size_t kMaxDebFileSize = 1u << 30;  // a kernel package is ~70 MB

// read_file_bytes returns the bytes of the file at |path|, at most |max|
// (Errc::too_large), read once: the bytes whose SHA-256 is compared with the
// index are the bytes whose images are read (read_deb_memory), so the file
// cannot change in between. Errc::io_error when it cannot be read.
paw::Result<paw::Bytes> read_file_bytes(const std::string& path, std::size_t max = kMaxDebFileSize);

// find_in_index returns the stanza of |index| that is |deb|: the same
// Package, Version and Architecture, Size and SHA256. Errc::not_found
// ("… is not in the Packages index") when no stanza names that package,
// version and architecture; Errc::malformed ("… differs from the index …",
// naming both digests) when one does but the size or digest differs: the
// .deb is not the archive's (tampered, or another build).
paw::Result<PackagesEntry> find_in_index(const std::vector<PackagesEntry>& index, const DebFile& deb);

}  // namespace pawctl
