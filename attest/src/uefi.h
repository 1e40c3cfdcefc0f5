// uefi.h — decoding the UEFI structures event logs carry (private to attest).
#pragma once

#include <cstdint>
#include <string>

#include "paw/attest/bytes.h"

namespace paw::uefi {

// guid_text renders a 16-byte EFI_GUID (mixed endian) as 8-4-4-4-12 lowercase hex.
std::string guid_text(ByteView guid);

// utf16_text decodes UTF-16LE to UTF-8, stopping at a NUL; unpaired surrogates
// become U+FFFD. An odd trailing byte is ignored.
std::string utf16_text(ByteView utf16);

// ascii_text decodes a byte string up to its first NUL, replacing bytes outside
// printable ASCII with '?'.
std::string ascii_text(ByteView bytes);

// looks_utf16 says whether |data| is most plausibly UTF-16LE text (even size,
// NUL high bytes, ends with a UTF-16 NUL or not at all).
bool looks_utf16(ByteView data);

// VariableData is a decoded UEFI_VARIABLE_DATA (PFP 1.05, 10.2.3); views into the input.
struct VariableData {
  ByteView guid;
  std::string name;
  ByteView value;
};
// parse_variable_data decodes UEFI_VARIABLE_DATA; |strict| refuses bytes after
// the value (GCE's EV_EFI_VARIABLE_AUTHORITY carries one). Errc::eventlog_malformed.
Result<VariableData> parse_variable_data(ByteView data, bool strict);

// device_path_text renders an EFI_DEVICE_PATH_PROTOCOL list as UEFI's text form
// for the common nodes ("PciRoot(0x0)/Pci(0x1,0x1)/Sata(0x0,0xFFFF,0x0)/
// HD(1,GPT,<guid>)/\EFI\BOOT\BOOTX64.EFI"), "Path(t,s)" for others. Returns
// an error for a node whose length runs past the input.
Result<std::string> device_path_text(ByteView path);

// kGlobalVariable is EFI_GLOBAL_VARIABLE; kImageSecurityDatabase is
// EFI_IMAGE_SECURITY_DATABASE_GUID (UEFI 2.9, 3.3 and 32.6.1), as guid_text prints them.
inline constexpr std::string_view kGlobalVariable = "8be4df61-93ca-11d2-aa0d-00e098032b8c";
inline constexpr std::string_view kImageSecurityDatabase = "d719b2cb-3d3a-4596-a3bc-dad00e67656f";

}  // namespace paw::uefi
