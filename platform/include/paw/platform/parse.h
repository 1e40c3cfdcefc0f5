// paw/platform/parse.h — the agent's parsers of machine files and TPM NV
// contents, free of any TPM or file access so they can be fuzzed
// (tests/fuzz/platform_parsers.cpp). Every input is treated as untrusted:
// bounded, never read past its end.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "paw/attest/bytes.h"
#include "paw/attest/error.h"

namespace paw::platform {

// der_length returns the length of the DER element at the start of |data|
// (tag, length, contents), so NV padding after a certificate can be cut.
// Errc::malformed if |data| does not start with a complete DER SEQUENCE.
Result<std::size_t> der_length(ByteView data);

// os_release_pretty_name is PRETTY_NAME of an os-release(5) text, unquoted
// (shell-like quoting undone); nullopt when the key is absent.
std::optional<std::string> os_release_pretty_name(std::string_view text);

// mounts_root_source is the source of the last "/" mount in a /proc/mounts
// text (octal escapes such as \040 decoded); nullopt when "/" is not mounted.
std::optional<std::string> mounts_root_source(std::string_view text);

// secure_boot_from_efivar reads the SecureBoot EFI variable's file contents
// (4 attribute bytes, then 1 data byte: 1 = on); nullopt for any other size.
std::optional<bool> secure_boot_from_efivar(std::string_view contents);

// EkContextFile is the agent's saved EK context (ek.ctx in the state folder,
// paw/platform/ek_cache.h): the EK's Name when it was saved, and the
// TPMS_CONTEXT that TPM2_ContextSave gave (marshaled by ESAPI, opaque here).
// Layout: "PAWEKCTX" | version 1 | EK type (1 byte) | name length (2, big
// endian) | name | context length (4, big endian) | context.
struct EkContextFile {
  std::uint8_t type = 0;  // paw::platform::EkType as a number
  Bytes name;             // nameAlg (2 bytes) || digest
  Bytes context;          // marshaled TPMS_CONTEXT
};
inline constexpr std::size_t kMaxEkNameSize = 2 + 64;          // nameAlg || SHA-512 digest at most
inline constexpr std::size_t kMaxEkContextSize = 8 * 1024;     // a TPMS_CONTEXT is ~3 KiB
// encode_ek_context_file writes the layout above.
Bytes encode_ek_context_file(const EkContextFile& f);
// parse_ek_context_file reads it back: Errc::malformed for another magic or
// version, a name outside 3..66 bytes, an empty or oversized context, or a
// length past the end; Errc::trailing_data for bytes after the context.
Result<EkContextFile> parse_ek_context_file(ByteView data);

// trim drops trailing newlines/blanks and leading blanks.
std::string trim(std::string s);

}  // namespace paw::platform
