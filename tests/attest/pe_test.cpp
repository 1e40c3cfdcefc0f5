// pe_test.cpp — Authenticode digests of real EFI images (pe.h), read out of
// real Debian packages (tools/pawctl/debian, libarchive), checked against what an
// independent implementation (pesign) computed; the parser against
// truncated and rewritten images; Debian version order as dpkg defines it.
#include <doctest/doctest.h>

#include <string>

#include "deb_images.h"
#include "paw/attest/debian_version.h"
#include "paw/attest/pe.h"
#include "test_data.h"

using namespace paw;

namespace {

// tests/data/debian/README.md: pesign -h -i on the extracted files.
const char* const kShimDigest = "80a66d53a945d2286fcadd780fae1c225aa732079cd67b5225dc78aaab4e2ff8";
const char* const kSdBootDigest = "7843e376e57323bcdfebcffc8d5109eb39721c83d8bedab1dfd6431596875c2c";
const char* const kStubDigest = "28fd6b9a39b745449fa2389a31045900804eae49ea7edb0f8c152a131df0002c";
const char* const kShimFile = "usr/lib/shim/shimx64.efi.signed";

std::string shim_deb() { return paw::test::test_data("debian/shim-signed_amd64.deb").string(); }
std::string sdboot_deb() { return paw::test::test_data("debian/systemd-boot-efi_amd64.deb").string(); }

Bytes shim() {
  auto b = pawctl::read_deb_file(shim_deb(), kShimFile);
  REQUIRE_MESSAGE(b.ok(), b.error().what());
  return std::move(b).value();
}

std::string digest_hex(const Bytes& image) {
  auto d = authenticode_digest(image);
  REQUIRE_MESSAGE(d.ok(), d.error().what());
  return hex(*d);
}

void put32(Bytes& b, std::size_t at, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) b[at + i] = static_cast<std::uint8_t>(v >> (8 * i));
}
std::uint32_t get32(const Bytes& b, std::size_t at) {
  return b[at] | (b[at + 1] << 8) | (b[at + 2] << 16) | (static_cast<std::uint32_t>(b[at + 3]) << 24);
}

}  // namespace

TEST_CASE("pe: Authenticode digests of real Debian EFI images match pesign's") {
  auto shim_pkg = pawctl::read_deb(shim_deb());
  REQUIRE_MESSAGE(shim_pkg.ok(), shim_pkg.error().what());
  CHECK(shim_pkg->package == "shim-signed");
  CHECK(shim_pkg->version == "1.51~1+deb12u1+16.1-2~deb12u1");
  CHECK(shim_pkg->architecture == "amd64");
  REQUIRE(shim_pkg->images.size() == 1);
  CHECK(shim_pkg->images[0].file == kShimFile);
  CHECK(shim_pkg->images[0].kind == "boot_loader");
  CHECK(shim_pkg->images[0].package == "shim-signed");
  CHECK(hex(shim_pkg->images[0].sha256) == kShimDigest);

  auto sd = pawctl::read_deb(sdboot_deb());
  REQUIRE_MESSAGE(sd.ok(), sd.error().what());
  REQUIRE(sd->images.size() == 1);  // linuxx64.efi.stub and .elf.stub are not boot images by name
  CHECK(sd->images[0].file == "usr/lib/systemd/boot/efi/systemd-bootx64.efi");
  CHECK(hex(sd->images[0].sha256) == kSdBootDigest);
  auto stub = pawctl::read_deb_file(sdboot_deb(), "usr/lib/systemd/boot/efi/linuxx64.efi.stub");
  REQUIRE(stub.ok());
  CHECK(digest_hex(*stub) == kStubDigest);

  const Bytes image = shim();
  auto layout = pe_layout(image);
  REQUIRE(layout.ok());
  CHECK(layout->pe32_plus);
  CHECK(layout->machine == 0x8664);
  CHECK(layout->subsystem == 10);  // EFI application
  CHECK(layout->certificate_table_size > 0);
  // Not the file's plain SHA-256: the signature is left out.
  CHECK(hex(sha256(image)) != kShimDigest);
}

TEST_CASE("pe: what the digest covers and what it leaves out") {
  const Bytes image = shim();
  const std::size_t pe = get32(image, 0x3c);
  const std::size_t opt = pe + 24;
  const std::size_t cert_entry = opt + 112 + 8 * 4;
  SUBCASE("the checksum, the certificate table's entry and the signature itself are not covered") {
    Bytes b = image;
    b[opt + 64] ^= 0xff;                 // CheckSum
    b[b.size() - 1] ^= 0xff;             // inside the certificate table (last in the file)
    CHECK(digest_hex(b) == kShimDigest);
  }
  SUBCASE("a byte of code changes it") {
    Bytes b = image;
    const std::size_t headers = get32(image, opt + 60);
    b[headers + 100] ^= 0x01;
    CHECK(digest_hex(b) != kShimDigest);
  }
  SUBCASE("a header byte outside the skipped fields changes it") {
    Bytes b = image;
    b[opt + 68] ^= 0x01;  // Subsystem
    CHECK(digest_hex(b) != kShimDigest);
  }
  SUBCASE("truncated anywhere: a clear error, never a read outside") {
    for (std::size_t n : {std::size_t{0}, std::size_t{2}, std::size_t{0x3f}, pe + 3, opt + 10, cert_entry,
                          image.size() / 2, image.size() - 1}) {
      auto r = authenticode_digest(ByteView(image).subspan(0, n));
      CHECK_MESSAGE(r.code() == Errc::malformed, n);
    }
  }
  SUBCASE("offsets pointing outside the file are refused") {
    Bytes b = image;
    put32(b, 0x3c, 0xfffffff0);  // e_lfanew
    CHECK(authenticode_digest(b).code() == Errc::malformed);
    b = image;
    b[pe + 6] = 0xff;  // NumberOfSections: 255
    CHECK(authenticode_digest(b).code() == Errc::malformed);
    b = image;
    put32(b, opt + 60, static_cast<std::uint32_t>(image.size() + 1));  // SizeOfHeaders
    CHECK(authenticode_digest(b).code() == Errc::malformed);
    b = image;
    put32(b, cert_entry + 4, 0xfffffff0);  // certificate table size
    CHECK(authenticode_digest(b).code() == Errc::malformed);
    b = image;
    b.push_back(0);  // the certificate table is no longer last
    CHECK(authenticode_digest(b).code() == Errc::malformed);
    b = image;
    b[pe] = 'X';
    CHECK(authenticode_digest(b).code() == Errc::malformed);
    b = image;
    b[opt] = 0x07;  // ROM image magic
    CHECK(authenticode_digest(b).code() == Errc::unsupported);
  }
}

TEST_CASE("deb: which files are boot images, and what is not a package") {
  CHECK(pawctl::image_kind("./boot/vmlinuz-6.1.0-18-amd64") == "kernel");
  CHECK(pawctl::image_kind("boot/vmlinux-6.1.0-18-arm64") == "kernel");
  CHECK(pawctl::image_kind("./usr/lib/grub/x86_64-efi-signed/grubx64.efi.signed") == "boot_loader");
  CHECK(pawctl::image_kind("usr/lib/systemd/boot/efi/systemd-bootx64.efi") == "boot_loader");
  CHECK(pawctl::image_kind("usr/lib/systemd/boot/efi/linuxx64.efi.stub").empty());
  CHECK(pawctl::image_kind("boot/config-6.1.0-18-amd64").empty());
  CHECK(pawctl::image_kind("usr/lib/modules/6.1.0-18-amd64/kernel/fs/efivarfs.ko").empty());

  CHECK(pawctl::read_deb("/nonexistent/paw.deb").code() == Errc::io_error);
  const std::string text_s = "this is not an ar archive at all, just text\n";
  const Bytes text(text_s.begin(), text_s.end());
  CHECK(pawctl::read_deb_memory(text).code() == Errc::malformed);
  const Bytes deb = paw::test::load(paw::test::test_data("debian/systemd-boot-efi_amd64.deb"));
  for (std::size_t n : {std::size_t{8}, std::size_t{70}, std::size_t{200}, deb.size() / 2, deb.size() - 10}) {
    auto r = pawctl::read_deb_memory(ByteView(deb).subspan(0, n));
    CHECK_MESSAGE(!r.ok(), n);
    if (!r.ok()) CHECK_MESSAGE(r.code() == Errc::malformed, r.error().what());
  }
  auto whole = pawctl::read_deb_memory(deb);
  REQUIRE(whole.ok());
  CHECK(whole->version == "252.39-1~deb12u2");
  CHECK(pawctl::read_deb_file(sdboot_deb(), "usr/bin/none").code() == Errc::not_found);
}

TEST_CASE("debian versions: syntax and dpkg's order") {
  struct Case {
    const char* a;
    const char* b;
    int sign;
  };
  const Case cases[] = {
      {"6.1.76-1", "6.1.69-1", 1},          {"6.1.76-1", "6.1.76-1+deb12u1", -1}, {"1.0~rc1", "1.0", -1},
      {"1.0", "1.0+b1", -1},                {"1:0.9", "2.0", 1},                  {"1.0a", "1.0", 1},
      {"1.0-1", "1.0-1", 0},                {"1.001", "1.1", 0},                  {"1.0-1~bpo12+1", "1.0-1", -1},
      {"0:1.0", "1.0", 0},                  {"6.1.0-18", "6.1.0-9", 1},           {"2.0~~", "2.0~", -1},
      {"1.2.3", "1.2.3.0", -1},             {"10", "9", 1},                       {"1.0-a", "1.0-b", -1},
      {"4.18.0-305.3.1.el8", "4.18.0-305", 1},
  };
  for (const auto& c : cases) {
    REQUIRE(check_debian_version(c.a).ok());
    REQUIRE(check_debian_version(c.b).ok());
    const int ab = compare_debian_versions(c.a, c.b), ba = compare_debian_versions(c.b, c.a);
    CHECK_MESSAGE((ab > 0) - (ab < 0) == c.sign, c.a << " vs " << c.b);
    CHECK_MESSAGE((ba > 0) - (ba < 0) == -c.sign, c.b << " vs " << c.a);
  }
  for (const char* bad : {"", "a1.0", "1:", ":1.0", "1.0-", "1.0 1", "1.0_1", "x:1.0", "1.0-1:2", "1.0-a_b"}) {
    CHECK_MESSAGE(check_debian_version(bad).code() == Errc::malformed, bad);
  }
  CHECK(check_debian_version(std::string(129, '1')).code() == Errc::malformed);
  CHECK(valid_package_name("linux-image-6.1.0-18-amd64"));
  CHECK(valid_package_name("g++-12"));
  for (const char* bad : {"", "a", "Linux", "-x", ".x", "linux image", "linux_image", "l\x1b[31m"}) {
    CHECK_MESSAGE(!valid_package_name(bad), bad);
  }
}
