// deb_release.h — a Debian archive's signed InRelease, for pawctl refs
// import-deb --release FILE --keyring FILE: the Packages index given with
// --packages must be listed, by SHA-256 and size, in the part of the
// InRelease that gpgv verified against the archive's key. The signature is
// checked by gpgv (Debian package gpgv), never by paw: only the text gpgv
// writes out as signed is read, so lines outside the signed part count for
// nothing.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "paw/attest/bytes.h"
#include "paw/attest/error.h"

namespace pawctl {

inline constexpr std::size_t kMaxReleaseSize = 16u << 20;  // Debian 12's InRelease: ~150 KiB

// ReleaseFile is one line of the Release file's SHA256 field.
struct ReleaseFile {
  paw::Bytes sha256;
  std::uint64_t size = 0;
  std::string path;  // "main/binary-amd64/Packages.xz"
};

// verified_release runs `gpgv --keyring KEYRING --output - RELEASE` and
// returns the signed text it writes (at most kMaxReleaseSize bytes).
// Errc::bad_signature naming gpgv's complaint when the signature does not
// verify with a key of |keyring|; Errc::io_error when gpgv cannot be run
// (naming the Debian package gpgv when it is not installed).
paw::Result<std::string> verified_release(const std::string& release, const std::string& keyring);

// release_sha256 reads the SHA256 field of a Release text (deb822: its
// continuation lines " <64 hex> <size> <path>"). Errc::malformed naming the
// line when an entry is not of that form or the field is missing.
paw::Result<std::vector<ReleaseFile>> release_sha256(std::string_view text);

// listed_in_release returns the entry of |files| with |sha256| and |size|;
// Errc::not_found otherwise.
paw::Result<ReleaseFile> listed_in_release(const std::vector<ReleaseFile>& files, paw::ByteView sha256,
                                           std::uint64_t size);

}  // namespace pawctl
