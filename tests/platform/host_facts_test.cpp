// Host facts and logs read from a fake sysfs/procfs tree in a temp folder.
#include <doctest/doctest.h>

#include <unistd.h>

#include <cstdlib>
#include <fstream>

#include "paw/platform/host_facts.h"
#include "paw/platform/logs.h"
#include "paw/platform/parse.h"
#include "paw/platform/tcti.h"
#include "test_data.h"

using namespace paw;
using namespace paw::platform;
namespace fs = std::filesystem;

namespace {
void put(const fs::path& p, std::string_view text) {
  fs::create_directories(p.parent_path());
  std::ofstream out(p, std::ios::binary);
  out << text;
  REQUIRE(out.good());
}

HostRoots roots_in(const fs::path& root) {
  HostRoots r;
  r.os_release = root / "etc/os-release";
  r.os_release_fallback = root / "usr/lib/os-release";
  r.proc = root / "proc";
  r.sys = root / "sys";
  r.dev = root / "dev";
  return r;
}
}  // namespace

TEST_CASE("host facts: LUKS root, Secure Boot on, quoted PRETTY_NAME") {
  test::TempDir t;
  put(t / "etc/os-release", "NAME=\"Debian GNU/Linux\"\nPRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nID=debian\n");
  put(t / "proc/sys/kernel/osrelease", "6.1.0-26-amd64\n");
  put(t / "proc/mounts",
      "sysfs /sys sysfs rw 0 0\n/dev/mapper/root_crypt / ext4 rw,relatime 0 0\n/dev/sda1 /boot ext4 rw 0 0\n");
  fs::create_directories(t / "dev/mapper");
  fs::create_symlink("../dm-0", t / "dev/mapper/root_crypt");
  put(t / "sys/block/dm-0/dm/uuid", "CRYPT-LUKS2-0a1b2c3d4e5f-root_crypt\n");
  put(t / "sys/firmware/efi/efivars/SecureBoot-8be4df61-93ca-11d2-aa0d-e0398c4e2c8c",
      std::string("\x06\x00\x00\x00\x01", 5));
  const HostFacts h = collect_host_facts(roots_in(t.path()));
  CHECK(h.os_release == "Debian GNU/Linux 12 (bookworm)");
  CHECK(h.kernel == "6.1.0-26-amd64");
  CHECK(h.disk_encrypted == std::optional<bool>(true));
  CHECK(h.secure_boot == std::optional<bool>(true));
}

TEST_CASE("host facts: plain disk, Secure Boot off, fallback os-release, LVM on LUKS") {
  test::TempDir t;
  put(t / "usr/lib/os-release", "PRETTY_NAME='Fedora Linux 40'\n");
  put(t / "proc/mounts", "/dev/nvme0n1p2 / btrfs rw 0 0\n");
  put(t / "sys/firmware/efi/efivars/SecureBoot-8be4df61-93ca-11d2-aa0d-e0398c4e2c8c",
      std::string("\x06\x00\x00\x00\x00", 5));
  HostFacts h = collect_host_facts(roots_in(t.path()));
  CHECK(h.os_release == "Fedora Linux 40");
  CHECK(h.kernel.empty());
  CHECK(h.disk_encrypted == std::optional<bool>(false));
  CHECK(h.secure_boot == std::optional<bool>(false));

  // LVM logical volume (dm-1, uuid LVM-…) whose slave dm-0 is a crypt device;
  // no /dev/mapper symlink: found through sys/block/dm-*/dm/name.
  put(t / "proc/mounts", "/dev/mapper/vg-root / ext4 rw 0 0\n");
  put(t / "sys/block/dm-1/dm/name", "vg-root\n");
  put(t / "sys/block/dm-1/dm/uuid", "LVM-abcdef\n");
  put(t / "sys/block/dm-0/dm/uuid", "CRYPT-LUKS2-1234-luks\n");
  fs::create_directories(t / "sys/block/dm-1/slaves/dm-0");
  CHECK(root_on_dm_crypt(roots_in(t.path())) == std::optional<bool>(true));
  // A dm device that is not crypt (plain LVM).
  fs::remove_all(t / "sys/block/dm-1/slaves");
  CHECK(root_on_dm_crypt(roots_in(t.path())) == std::optional<bool>(false));
}

TEST_CASE("host facts: unknown stays unknown (not UEFI, overlay root, nothing readable)") {
  test::TempDir t;
  put(t / "proc/mounts", "overlay / overlay rw 0 0\n");
  HostFacts h = collect_host_facts(roots_in(t.path()));
  CHECK(h.os_release.empty());
  CHECK_FALSE(h.disk_encrypted.has_value());
  CHECK_FALSE(h.secure_boot.has_value());
  // UEFI without the variable: Secure Boot not supported, so off; a short variable is unknown.
  fs::create_directories(t / "sys/firmware/efi/efivars");
  CHECK(secure_boot_enabled(roots_in(t.path())) == std::optional<bool>(false));
  put(t / "sys/firmware/efi/efivars/SecureBoot-8be4df61-93ca-11d2-aa0d-e0398c4e2c8c", "\x01");
  CHECK_FALSE(secure_boot_enabled(roots_in(t.path())).has_value());
  // The real machine answers without crashing (values depend on the host).
  const HostFacts real = collect_host_facts();
  CHECK_FALSE(real.kernel.empty());
}

TEST_CASE("logs: absent logs are a clear state, present ones are read whole, limits hold") {
  test::TempDir t;
  auto none = read_logs({t / "no/binary_bios_measurements", t / "no/binary_runtime_measurements"});
  REQUIRE(none.ok());
  CHECK_FALSE(none->event_log.has_value());
  CHECK_FALSE(none->ima_log.has_value());
  const Bytes real = test::load(test::test_data("go-tpm-tools/internal/test/eventlogs/debian-10.bin"));
  put(t / "bios", std::string(real.begin(), real.end()));
  put(t / "ima", "");
  auto both = read_logs({t / "bios", t / "ima"});
  REQUIRE(both.ok());
  CHECK(both->event_log == real);
  REQUIRE(both->ima_log.has_value());
  CHECK(both->ima_log->empty());
  CHECK(read_log(t / "bios", 100).code() == Errc::too_large);
  if (::geteuid() != 0) {  // root reads anything: the permission case only means something for others
    fs::permissions(t / "bios", fs::perms::none);
    CHECK(read_log(t / "bios", 1 << 20).code() == Errc::io_error);
  }
}

TEST_CASE("tcti: flag > TPM2TOOLS_TCTI > config > device:/dev/tpmrm0") {
  CHECK(resolve_tcti(std::nullopt, std::nullopt, std::nullopt) == "device:/dev/tpmrm0");
  CHECK(resolve_tcti(std::nullopt, std::nullopt, std::string("tabrmd")) == "tabrmd");
  CHECK(resolve_tcti(std::nullopt, std::string("swtpm:port=1"), std::string("tabrmd")) == "swtpm:port=1");
  CHECK(resolve_tcti(std::string("device:/dev/tpm0"), std::string("swtpm:port=1"), std::string("tabrmd")) ==
        "device:/dev/tpm0");
  CHECK(resolve_tcti(std::string(""), std::string(""), std::string("tabrmd")) == "tabrmd");
  ::setenv(kTctiEnvVar, "swtpm:host=127.0.0.1,port=9", 1);
  CHECK(resolve_tcti(std::nullopt, std::string("tabrmd")) == "swtpm:host=127.0.0.1,port=9");
  ::unsetenv(kTctiEnvVar);
  CHECK(resolve_tcti(std::nullopt, std::string("tabrmd")) == "tabrmd");
}

TEST_CASE("host facts: the parsers on their own (the fuzz target's functions)") {
  CHECK(os_release_pretty_name("NAME=x\nPRETTY_NAME=\"Debian \\\"12\\\"\"\n") == std::optional<std::string>("Debian \"12\""));
  CHECK(os_release_pretty_name("PRETTY_NAME='single quoted'") == std::optional<std::string>("single quoted"));
  CHECK_FALSE(os_release_pretty_name("NAME=only").has_value());
  // The last "/" mount wins; \040 is a space; a truncated escape stays as it is.
  CHECK(mounts_root_source("/dev/sda2 / ext4 rw 0 0\n/dev/mapper/my\\040root / ext4 rw 0 0\n") ==
        std::optional<std::string>("/dev/mapper/my root"));
  CHECK(mounts_root_source("a\\04 / ext4\n") == std::optional<std::string>("a\\04"));
  CHECK_FALSE(mounts_root_source("proc /proc proc rw 0 0\n").has_value());
  CHECK_FALSE(mounts_root_source("").has_value());
  CHECK(secure_boot_from_efivar(std::string("\x06\x00\x00\x00\x01", 5)) == std::optional<bool>(true));
  CHECK(secure_boot_from_efivar(std::string("\x06\x00\x00\x00\x00", 5)) == std::optional<bool>(false));
  CHECK_FALSE(secure_boot_from_efivar(std::string("\x06\x00\x00\x00", 4)).has_value());
  CHECK(trim("  x y \t\r\n") == "x y");
}
