// deb_images.h — the boot images inside a Debian package (.deb), with their
// Authenticode digests, for pawctl refs import-deb and policy boot.images.
//
// A .deb is an ar archive (deb(5)): debian-binary ("2.0"), control.tar.*,
// then data.tar.* (gz, xz or zst). libarchive reads all of it; paw only
// decides which members are boot images and computes their digests (pe.h).
// The input is any file an admin names: limits bound every size and count,
// and a malformed package gives Errc::malformed saying where.
#pragma once

#include <string>
#include <vector>

#include "paw/attest/bytes.h"
#include "paw/attest/policy.h"

namespace pawctl {

inline constexpr std::size_t kMaxDebMembers = 500000;       // files of data.tar (a kernel package has ~6000)
inline constexpr std::size_t kMaxDebControlSize = 1u << 20;  // the control file

// DebPackage is what one .deb holds for boot policy.
struct DebPackage {
  std::string package;       // control "Package"
  std::string version;       // control "Version"
  std::string architecture;  // control "Architecture"
  // images: its kernels (boot/vmlinuz-*) and EFI boot loaders (*.efi,
  // *.efi.signed) that parse as PE images, in archive order.
  std::vector<paw::KnownImage> images;
  // skipped: candidates that are not PE images (a non-EFI kernel), with why.
  std::vector<std::string> skipped;
};

// read_deb reads the package at |path|. Errc::io_error when it cannot be
// opened; Errc::malformed when it is not a .deb, lacks a control file,
// Package or Version, or has an invalid Version; Errc::too_large past the limits.
paw::Result<DebPackage> read_deb(const std::string& path);
// read_deb_memory reads a package held in memory (the fuzz target's entry).
paw::Result<DebPackage> read_deb_memory(paw::ByteView data);

// read_deb_file returns the bytes of the regular file |file| of the
// package's data.tar ("usr/lib/shim/shimx64.efi.signed"), at most
// paw::kMaxPeImageSize; Errc::not_found if the package has no such file.
paw::Result<paw::Bytes> read_deb_file(const std::string& path, std::string_view file);

// image_kind says what |path| (as stored in data.tar, "./" allowed) would
// be if it is a PE image: "kernel" for boot/vmlinuz-* and boot/vmlinux-*,
// "boot_loader" for *.efi and *.efi.signed, "" for anything else.
std::string image_kind(std::string_view path);

}  // namespace pawctl
