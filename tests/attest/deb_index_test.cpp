// deb_index_test.cpp — Debian Packages indexes (tools/pawctl/debian/deb_index.h)
// and the SHA256 list of a Release file (deb_release.h)
// against the real packages of tests/data/debian: an index written here from
// their real sizes and SHA-256 finds them, a tampered or unlisted .deb is
// refused, and malformed or oversized indexes are refused naming the line.
#include <doctest/doctest.h>

#include <string>

#include "deb_images.h"
#include "deb_index.h"
#include "deb_release.h"
#include "test_data.h"

using namespace paw;
using namespace pawctl;

namespace {

std::string shim_path() { return paw::test::test_data("debian/shim-signed_amd64.deb"); }

// stanza: what dpkg-scanpackages writes for |deb| (the fields paw reads, and
// a multi-line Description it skips).
std::string stanza(const DebPackage& d, const Bytes& bytes) {
  return "Package: " + d.package + "\nSource: shim-signed (1.51~1+deb12u1)\nVersion: " + d.version +
         "\nArchitecture: " + d.architecture + "\nFilename: pool/main/s/shim-signed/x.deb\nSize: " +
         std::to_string(bytes.size()) + "\nSHA256: " + hex(sha256(bytes)) +
         "\nDescription: Secure Boot chain-loading bootloader\n a continuation line\n .\n another\n";
}

}  // namespace

TEST_CASE("Packages index: the real shim-signed package is found by name, version, size and SHA-256") {
  auto bytes = read_file_bytes(shim_path());
  REQUIRE(bytes.ok());
  auto deb = read_deb_memory(*bytes);
  REQUIRE(deb.ok());
  const std::string other = "Package: grub-efi-amd64-signed\nVersion: 1+2.06+13+deb12u1\nArchitecture: amd64\n"
                            "Size: 1\nSHA256: " + std::string(64, 'a') + "\n";
  auto index = parse_packages_index(other + "\n" + stanza(*deb, *bytes));
  REQUIRE_MESSAGE(index.ok(), index.error().what());
  REQUIRE(index->size() == 2);
  CHECK((*index)[1].line == 7);
  CHECK((*index)[1].filename == "pool/main/s/shim-signed/x.deb");

  DebFile f{shim_path(), deb->package, deb->version, deb->architecture, bytes->size(), sha256(*bytes)};
  auto found = find_in_index(*index, f);
  REQUIRE_MESSAGE(found.ok(), found.error().what());
  CHECK(found->package == "shim-signed");
  CHECK(found->version == "1.51~1+deb12u1+16.1-2~deb12u1");

  // Tampered: one byte more, so another size and digest.
  Bytes tampered = *bytes;
  tampered.push_back(0);
  DebFile t{"t.deb", deb->package, deb->version, deb->architecture, tampered.size(), sha256(tampered)};
  auto refused = find_in_index(*index, t);
  CHECK(refused.code() == Errc::malformed);
  CHECK(refused.error().detail.find("differs from the Packages index (line 7)") != std::string::npos);
  CHECK(refused.error().detail.find(hex(sha256(*bytes))) != std::string::npos);
  // The same bytes claiming another version (a control file rewritten): not in the index.
  DebFile renamed = f;
  renamed.version = "1.52";
  CHECK(find_in_index(*index, renamed).code() == Errc::not_found);
  DebFile other_arch = f;
  other_arch.architecture = "arm64";
  CHECK(find_in_index(*index, other_arch).code() == Errc::not_found);
}

TEST_CASE("Packages index: malformed and oversized indexes are refused, naming the line") {
  const std::string ok = "Package: ab\nVersion: 1\nArchitecture: all\nSize: 3\nSHA256: " + std::string(64, 'b') + "\n";
  CHECK(parse_packages_index(ok).ok());
  CHECK(parse_packages_index("\n# comment\n" + ok + "\n\n").ok());
  CHECK(parse_packages_index("").code() == Errc::malformed);
  CHECK(parse_packages_index("\n\n").code() == Errc::malformed);
  auto missing = parse_packages_index("Package: ab\nVersion: 1\nArchitecture: all\nSize: 3\n");
  CHECK(missing.code() == Errc::malformed);
  CHECK(missing.error().detail.find("line 1: the stanza has no SHA256") != std::string::npos);
  CHECK(parse_packages_index(ok + "Package: b\n").code() == Errc::malformed);          // a field twice
  CHECK(parse_packages_index("Package: A B\n" + ok.substr(12)).code() == Errc::malformed);
  CHECK(parse_packages_index("Package: ab\nVersion: v1\n" + ok.substr(23)).code() == Errc::malformed);
  CHECK(parse_packages_index(" continuation\n" + ok).code() == Errc::malformed);
  CHECK(parse_packages_index("not a field\n" + ok).code() == Errc::malformed);
  CHECK(parse_packages_index(std::string("Package: ab\0\n", 13) + ok.substr(12)).code() == Errc::malformed);
  auto size = parse_packages_index("Package: ab\nVersion: 1\nArchitecture: all\nSize: -3\nSHA256: " + std::string(64, 'b') + "\n");
  CHECK(size.code() == Errc::malformed);
  CHECK(size.error().detail.find("line 4") != std::string::npos);
  CHECK(parse_packages_index("Package: ab\nVersion: 1\nArchitecture: all\nSize: 3\nSHA256: " + std::string(63, 'b') + "\n")
            .code() == Errc::malformed);
  CHECK(parse_packages_index(ok + "Description: " + std::string(kMaxPackagesLine, 'x') + "\n").code() ==
        Errc::too_large);
  std::string fields = ok;
  for (std::size_t i = 0; i <= kMaxPackagesFields; ++i) fields += "X-F" + std::to_string(i) + ": 1\n";
  CHECK(parse_packages_index(fields).code() == Errc::too_large);
  CHECK(read_packages_file("/nonexistent/Packages").code() == Errc::io_error);
}

TEST_CASE("Release: the SHA256 field's files, and refusals") {
  const std::string h = std::string(64, 'a');
  auto files = release_sha256("Origin: Debian\nMD5Sum:\n 0123 12 main/Packages\nSHA256:\n " + h +
                              "   1113 main/binary-amd64/Packages.gz\n " + std::string(64, 'b') +
                              " 57 main/binary-amd64/Release\nAcquire-By-Hash: yes\n");
  REQUIRE_MESSAGE(files.ok(), files.error().what());
  REQUIRE(files->size() == 2);
  CHECK((*files)[0].path == "main/binary-amd64/Packages.gz");
  CHECK((*files)[0].size == 1113);
  CHECK(listed_in_release(*files, unhex(h).value(), 1113).ok());
  CHECK(listed_in_release(*files, unhex(h).value(), 1114).code() == Errc::not_found);
  CHECK(release_sha256("Origin: Debian\n").code() == Errc::malformed);                     // no SHA256
  CHECK(release_sha256("SHA256:\n " + h + " 12\n").code() == Errc::malformed);             // no path
  CHECK(release_sha256("SHA256:\n " + h + " -1 main/x\n").code() == Errc::malformed);
  CHECK(release_sha256("SHA256:\n zz" + h.substr(2) + " 1 main/x\n").code() == Errc::malformed);
  CHECK(release_sha256("SHA256:\n " + h + " 1 main/x extra\n").code() == Errc::malformed);
}
