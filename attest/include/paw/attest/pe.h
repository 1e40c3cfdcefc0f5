// paw/attest/pe.h — the Authenticode digest of a PE/COFF image (UEFI
// applications: shim, grub, systemd-boot, an EFI-stub Linux kernel).
//
// Firmware and shim measure a boot application into PCR 4 as this digest
// (TCG PC Client PFP 1.05, 10.4.4 EV_EFI_BOOT_SERVICES_APPLICATION), so paw
// computes it to recognise, in a verified event log, which packaged image
// was booted (pawctl refs import-deb, policy boot.min_kernel). The input is
// any bytes (an admin may point at any file): every offset is bounds-checked
// and a malformed image gives Errc::malformed naming the field.
#pragma once

#include <cstdint>
#include <vector>

#include "paw/attest/bytes.h"
#include "paw/attest/digest.h"

namespace paw {

inline constexpr std::size_t kMaxPeImageSize = 256u << 20;  // the largest EFI kernel seen is ~15 MiB
inline constexpr std::uint16_t kMaxPeSections = 96;         // the PE loader's own limit (PE/COFF spec, 3.3)

// PeLayout is what the Authenticode digest of an image covers
// ("Windows Authenticode Portable Executable Signature Format", 2008, as
// EDK2's DxeImageVerificationLib implements it): the headers without the
// checksum and the certificate-table directory entry, the sections in file
// order, then any data after them except the certificate table.
struct PeLayout {
  std::uint16_t machine = 0;    // COFF Machine (0x8664 x64, 0xaa64 arm64, …)
  std::uint16_t subsystem = 0;  // 10 EFI application, 11 boot service driver, …
  bool pe32_plus = false;
  std::uint32_t certificate_table_size = 0;  // 0 when unsigned
  std::vector<ByteView> hashed;              // the covered ranges, in hashing order (views into the image)
};

// pe_layout parses |image|. Errc::too_large over kMaxPeImageSize,
// Errc::malformed (not MZ/PE, a header, section or certificate table
// outside the file, too many sections), Errc::unsupported for a COFF object
// or ROM image (optional header magic other than PE32 / PE32+).
Result<PeLayout> pe_layout(ByteView image);

// authenticode_digest is |alg| over pe_layout(image).hashed.
Result<Bytes> authenticode_digest(ByteView image, HashAlg alg = HashAlg::sha256);

}  // namespace paw
