// host_facts.cpp — OS release, kernel, disk encryption, Secure Boot.
#include "paw/platform/host_facts.h"

#include <algorithm>
#include <fstream>

#include "paw/platform/parse.h"

namespace paw::platform {
namespace {
namespace fs = std::filesystem;

std::optional<std::string> read_small(const fs::path& p, std::size_t max = 64 * 1024) {
  std::ifstream in(p, std::ios::binary);
  if (!in) return std::nullopt;
  // In chunks: files under /proc have no size, and a buffer of |max| (1 MiB
  // for /proc/mounts) zeroed up front costs more than reading a few KiB.
  std::string s;
  char buf[4096];
  while (s.size() < max && in.read(buf, static_cast<std::streamsize>(std::min(sizeof buf, max - s.size())))) {
    s.append(buf, static_cast<std::size_t>(in.gcount()));
  }
  if (s.size() < max) s.append(buf, static_cast<std::size_t>(in.gcount()));
  return s;
}

// dm_name_for resolves a mount source to "dm-N", or "" if it is not device-mapper.
std::string dm_name_for(const HostRoots& roots, const std::string& source) {
  fs::path p(source);
  if (source.rfind("/dev/", 0) == 0) p = roots.dev / source.substr(5);
  std::error_code ec;
  fs::path target = p;
  if (fs::is_symlink(p, ec)) {
    target = fs::read_symlink(p, ec);
    if (ec) return "";
    if (target.is_relative()) target = p.parent_path() / target;
  }
  const std::string name = target.filename().string();
  if (name.rfind("dm-", 0) == 0) return name;
  // /dev/mapper/NAME without a symlink (fake trees): look NAME up in sys/block/dm-*/dm/name.
  if (p.parent_path().filename() == "mapper") {
    for (const auto& entry : fs::directory_iterator(roots.sys / "block", ec)) {
      const std::string dm = entry.path().filename().string();
      if (dm.rfind("dm-", 0) != 0) continue;
      const auto n = read_small(entry.path() / "dm" / "name");
      if (n && trim(*n) == p.filename().string()) return dm;
    }
  }
  return "";
}

}  // namespace

std::optional<std::string> os_pretty_name(const HostRoots& roots) {
  auto text = read_small(roots.os_release);
  if (!text) text = read_small(roots.os_release_fallback);
  if (!text) return std::nullopt;
  return os_release_pretty_name(*text);
}

std::optional<bool> root_on_dm_crypt(const HostRoots& roots) {
  const auto mounts = read_small(roots.proc / "mounts", 1 << 20);
  if (!mounts) return std::nullopt;
  const std::string root_source = mounts_root_source(*mounts).value_or("");
  if (root_source.empty() || root_source.front() != '/') return std::nullopt;  // overlay, tmpfs, …: cannot tell
  const std::string dm = dm_name_for(roots, root_source);
  if (dm.empty()) return false;  // a plain block device
  const auto uuid = read_small(roots.sys / "block" / dm / "dm" / "uuid");
  if (!uuid) return std::nullopt;
  if (trim(*uuid).rfind("CRYPT-", 0) == 0) return true;
  // LVM on LUKS: a dm device whose slave is a crypt device.
  std::error_code ec;
  for (const auto& slave : fs::directory_iterator(roots.sys / "block" / dm / "slaves", ec)) {
    const auto su = read_small(roots.sys / "block" / slave.path().filename() / "dm" / "uuid");
    if (su && trim(*su).rfind("CRYPT-", 0) == 0) return true;
  }
  return false;
}

std::optional<bool> secure_boot_enabled(const HostRoots& roots) {
  const fs::path efivars = roots.sys / "firmware" / "efi" / "efivars";
  std::error_code ec;
  if (!fs::is_directory(efivars, ec)) return std::nullopt;  // not booted with UEFI
  const auto v = read_small(efivars / kSecureBootVar, 64);
  if (!v) return false;  // UEFI without the variable: Secure Boot is not supported, so off
  return secure_boot_from_efivar(*v);
}

HostFacts collect_host_facts(const HostRoots& roots) {
  HostFacts h;
  h.os_release = os_pretty_name(roots).value_or("");
  h.kernel = trim(read_small(roots.proc / "sys" / "kernel" / "osrelease").value_or(""));
  h.disk_encrypted = root_on_dm_crypt(roots);
  h.secure_boot = secure_boot_enabled(roots);
  return h;
}

}  // namespace paw::platform
