// paw/platform/host_facts.h — what the agent reports about the machine
// (paw::HostFacts, covered by the quote through the evidence body).
#pragma once

#include <filesystem>

#include "paw/attest/evidence.h"

namespace paw::platform {

// HostRoots are the file-system roots host facts are read from; tests point
// them into a fake tree in a temp folder.
struct HostRoots {
  std::filesystem::path os_release = "/etc/os-release";   // falls back to /usr/lib/os-release
  std::filesystem::path os_release_fallback = "/usr/lib/os-release";
  std::filesystem::path proc = "/proc";                    // proc/mounts, proc/sys/kernel/osrelease
  std::filesystem::path sys = "/sys";                      // sys/block/dm-*/dm/uuid, sys/firmware/efi/efivars
  std::filesystem::path dev = "/dev";                      // to resolve /dev/mapper/* links
};

// kSecureBootVar is the EFI global variable SecureBoot (UEFI 2.x, 3.3).
inline constexpr const char* kSecureBootVar = "SecureBoot-8be4df61-93ca-11d2-aa0d-e0398c4e2c8c";

// collect_host_facts never fails: what cannot be determined is empty/nullopt.
//  os_release     PRETTY_NAME from os-release (unquoted), "" if unknown
//  kernel         proc/sys/kernel/osrelease (what `uname -r` prints)
//  disk_encrypted root ("/") mount source is a device-mapper device whose
//                 sys/block/dm-N/dm/uuid starts with "CRYPT-" → true; another
//                 block device → false; cannot tell → nullopt
//  secure_boot    efivars SecureBoot: 4 attribute bytes + 1 data byte (1 = on);
//                 no efivars folder (not UEFI) → nullopt
HostFacts collect_host_facts(const HostRoots& roots = {});

// Pieces, for tests.
std::optional<std::string> os_pretty_name(const HostRoots& roots);
std::optional<bool> root_on_dm_crypt(const HostRoots& roots);
std::optional<bool> secure_boot_enabled(const HostRoots& roots);

}  // namespace paw::platform
