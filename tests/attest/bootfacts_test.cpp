// bootfacts_test.cpp — the facts policy decides on, from real logs, and the
// refusals when the data that proves them was altered.
#include <doctest/doctest.h>

#include <algorithm>
#include <string>

#include "eventlog_builder.h"
#include "paw/attest/bootfacts.h"
#include "test_data.h"

using namespace paw;
using paw::test::load;
using paw::test::test_data;

namespace {

const std::string kGtt = "go-tpm-tools/internal/test/eventlogs/";

BootFacts facts_of(const Bytes& bytes) {
  auto log = parse_event_log(bytes);
  REQUIRE_MESSAGE(log.ok(), log.error().what());
  auto f = extract_boot_facts(*log);
  REQUIRE_MESSAGE(f.ok(), f.error().what());
  return std::move(f).value();
}

std::size_t find_utf16(const Bytes& b, const std::string& ascii) {
  Bytes needle;
  for (char c : ascii) {
    needle.push_back(static_cast<std::uint8_t>(c));
    needle.push_back(0);
  }
  auto it = std::search(b.begin(), b.end(), needle.begin(), needle.end());
  REQUIRE(it != b.end());
  return static_cast<std::size_t>(it - b.begin());
}

}  // namespace

TEST_CASE("Secure Boot state comes from the SecureBoot variable measured in PCR7") {
  struct Case {
    std::string path;
    std::optional<bool> on;
  };
  const Case cases[] = {
      {kGtt + "cos-85-amd-sev.bin", true},
      {kGtt + "rhel8-uefi.bin", true},
      {kGtt + "debian-10.bin", true},
      {kGtt + "ubuntu-2104-no-secure-boot.bin", false},
      {kGtt + "glinux-alex.bin", false},
      {kGtt + "gdc-host.bin", false},
      {"keylime/test/data/create-mb-policy/binary_bios_measurements-secureboot", true},
      {"keylime/test/data/create-mb-policy/binary_bios_measurements", false},
      {"tpm2-tools/test/integration/fixtures/event-sd-boot-fedora37.bin", false},  // measured empty: absent
      {"tpm2-tools/test/integration/fixtures/event-uefiservices.bin", std::nullopt},
  };
  for (const Case& c : cases) {
    CAPTURE(c.path);
    const BootFacts f = facts_of(load(test_data(c.path)));
    CHECK(f.secure_boot == c.on);
  }
}

TEST_CASE("PK, KEK, db and dbx measurements are reported with their contents") {
  const BootFacts f = facts_of(load(test_data(kGtt + "cos-85-amd-sev.bin")));
  for (const char* name : {"SecureBoot", "PK", "KEK", "db", "dbx"}) {
    CAPTURE(name);
    const UefiVariableFact* v = f.variable(name);
    REQUIRE(v != nullptr);
    CHECK(v->pcr == 7);
    CHECK(v->sha256 == sha256(v->value));
  }
  CHECK(f.variable("PK")->guid == "8be4df61-93ca-11d2-aa0d-00e098032b8c");
  CHECK(f.variable("db")->guid == "d719b2cb-3d3a-4596-a3bc-dad00e67656f");
  CHECK(f.variable("dbx")->value.size() == 4461);
  CHECK(f.authorities.size() == 3);
  CHECK(f.separators.size() == 8);
  CHECK_FALSE(f.separator_error());
  // A log without dbx content measures it empty.
  const BootFacts nodbx = facts_of(load(test_data(kGtt + "ubuntu-2104-no-dbx.bin")));
  REQUIRE(nodbx.variable("dbx") != nullptr);
  CHECK(nodbx.variable("dbx")->value.empty());
}

TEST_CASE("boot applications: digests per bank and readable device paths") {
  const BootFacts f = facts_of(load(test_data(kGtt + "rhel8-uefi.bin")));
  std::vector<const BootApplicationFact*> pcr4;
  for (const auto& a : f.boot_applications) {
    if (a.pcr == 4) pcr4.push_back(&a);
  }
  REQUIRE(pcr4.size() == 3);
  CHECK(pcr4[0]->device_path ==
        "PciRoot(0x0)/Pci(0x3,0x0)/Scsi(0x1,0x0)/HD(1,GPT,ef72374c-2630-46a1-88d6-082693781140)/\\EFI\\redhat\\shimx64.efi");
  CHECK(pcr4[1]->device_path == "\\EFI\\redhat\\grubx64.efi");
  CHECK(pcr4[0]->digests.at(HashAlg::sha256).size() == 32);
  CHECK(pcr4[0]->digests.at(HashAlg::sha1).size() == 20);
  CHECK(pcr4[0]->digests.count(HashAlg::sha384) == 1);
}

TEST_CASE("kernel command lines from grub and systemd-boot") {
  const BootFacts rhel = facts_of(load(test_data(kGtt + "rhel8-uefi.bin")));
  REQUIRE(rhel.kernel_cmdlines.size() == 1);
  CHECK(rhel.kernel_cmdlines[0].rfind("(hd0,gpt2)/boot/vmlinuz-4.18.0-240.22.1.el8_3.x86_64 root=UUID=", 0) == 0);
  const BootFacts ubuntu = facts_of(load(test_data(kGtt + "ubuntu-2104-no-secure-boot.bin")));
  REQUIRE(ubuntu.kernel_cmdlines.size() == 1);
  CHECK(ubuntu.kernel_cmdlines[0] ==
        "/boot/vmlinuz-5.11.0-1006-gcp root=PARTUUID=6443a6ae-e5e9-4df7-9a06-d1329e50f33c ro console=ttyS0 panic=-1");
  CHECK_FALSE(ubuntu.boot_loader.empty());
  CHECK_FALSE(ubuntu.loaded_files.empty());
  // systemd-boot (Fedora 37 VM): the load options are one UTF-16 PCR8 string.
  const BootFacts sd = facts_of(load(test_data("tpm2-tools/test/integration/fixtures/event-sd-boot-fedora37.bin")));
  for (const auto& s : sd.boot_loader) CHECK(s.pcr == 8);
  // The real Arch workstation's systemd-boot string (event 24) does not match its
  // digest: that one event gives no fact, the rest of the log still does.
  const Bytes arch = load(test_data(kGtt + "arch-linux-workstation.bin"));
  auto log = parse_event_log(arch);
  REQUIRE(log.ok());
  auto f = extract_boot_facts(*log);
  REQUIRE_MESSAGE(f.ok(), f.error().what());
  REQUIRE(f->unverified.size() == 1);
  CHECK(f->unverified[0].event == 24);
  CHECK(f->unverified[0].detail.find("event 24 at offset 15142 (EV_IPL, PCR 8)") != std::string::npos);
  for (const auto& s : f->boot_loader) CHECK(s.event != 24);
  CHECK(f->secure_boot.has_value());
}

TEST_CASE("a flipped SecureBoot byte in a real log makes the Secure Boot state unknown, naming the event") {
  Bytes bytes = load(test_data(kGtt + "cos-85-amd-sev.bin"));
  const std::size_t name = find_utf16(bytes, "SecureBoot");
  REQUIRE(bytes[name + 20] == 1);
  bytes[name + 20] = 0;  // "Secure Boot off" would be a lie the digest exposes
  auto log = parse_event_log(bytes);
  REQUIRE(log.ok());
  CHECK(replay_event_log(*log).ok());  // the digests are untouched
  auto f = extract_boot_facts(*log);
  REQUIRE_MESSAGE(f.ok(), f.error().what());
  CHECK_FALSE(f->secure_boot.has_value());  // neither the lie nor a guess
  CHECK(f->secure_boot_unknown.find("does not match its digest") != std::string::npos);
  REQUIRE(f->unverified.size() == 1);
  CHECK(f->unverified[0].detail.find("EV_EFI_VARIABLE_DRIVER_CONFIG, PCR 7") != std::string::npos);
}

TEST_CASE("malformed but digest-consistent variable data is refused") {
  SUBCASE("SecureBoot of two bytes") {
    test::LogBuilder b({HashAlg::sha256});
    b.event(7, ev::kEfiVariableDriverConfig, test::variable_data(test::kGlobalGuid, "SecureBoot", Bytes{1, 1}));
    auto log = parse_event_log(b.bytes());
    REQUIRE(log.ok());
    auto f = extract_boot_facts(*log);
    CHECK(f.code() == Errc::eventlog_malformed);
    CHECK(f.error().detail.find("SecureBoot variable of 2 bytes") != std::string::npos);
  }
  SUBCASE("value length past the event") {
    Bytes v = test::variable_data(test::kGlobalGuid, "PK", Bytes{1, 2, 3});
    v[24] = 9;  // VariableDataLength 9, only 3 bytes follow
    test::LogBuilder b({HashAlg::sha256});
    b.event(7, ev::kEfiVariableDriverConfig, v);
    auto log = parse_event_log(b.bytes());
    REQUIRE(log.ok());
    auto f = extract_boot_facts(*log);
    CHECK(f.code() == Errc::eventlog_malformed);
    CHECK(f.error().detail.find("event 1 at offset") != std::string::npos);
  }
  SUBCASE("bytes after the value") {
    Bytes v = test::variable_data(test::kGlobalGuid, "KEK", Bytes{1});
    v.push_back(0);
    test::LogBuilder b({HashAlg::sha256});
    b.event(7, ev::kEfiVariableDriverConfig, v);
    auto log = parse_event_log(b.bytes());
    REQUIRE(log.ok());
    CHECK(extract_boot_facts(*log).code() == Errc::eventlog_malformed);
  }
  SUBCASE("separator error value") {
    test::LogBuilder b({HashAlg::sha256});
    b.event(0, ev::kSeparator, Bytes{1, 0, 0, 0});
    auto log = parse_event_log(b.bytes());
    REQUIRE(log.ok());
    auto f = extract_boot_facts(*log);
    REQUIRE(f.ok());
    CHECK(f->separator_error());
  }
}

namespace {

// esl writes one EFI_SIGNATURE_LIST: |type| GUID bytes, a header of
// |header| bytes and |count| entries of |size| bytes (owner 0x11.., data 0x22..).
Bytes esl(const Bytes& type, std::uint32_t header, std::uint32_t size, std::uint32_t count) {
  Bytes b = type;
  test::put32(b, 28 + header + size * count);
  test::put32(b, header);
  test::put32(b, size);
  b.insert(b.end(), header, 0x33);
  for (std::uint32_t i = 0; i < count; ++i) {
    b.insert(b.end(), 16, 0x11);
    b.insert(b.end(), size - 16, static_cast<std::uint8_t>(0x22 + i));
  }
  return b;
}

const Bytes kSha256Type = unhex("2616c4c14c509240aca941f936934328").value();  // EFI_CERT_SHA256_GUID
const Bytes kX509Type = unhex("a159c0a5e494a74a87b5ab155c2bf072").value();    // EFI_CERT_X509_GUID

}  // namespace

TEST_CASE("EFI signature lists: real dbx contents and every malformed length refused") {
  // The RHEL 8 log's dbx: certificates, then 183 revoked SHA-256 digests.
  const BootFacts f = facts_of(load(test_data(kGtt + "rhel8-uefi.bin")));
  REQUIRE(f.dbx.has_value());
  CHECK(f.dbx->event == 7);
  CHECK(f.dbx->pcr == 7);
  CHECK(f.dbx->sha256.size() == 183);
  CHECK(f.dbx->sha256.contains(unhex("80b4d96931bf0d02fd91a61e19d14f1da452e66db2408ca8604d411f92659f0a").value()));
  CHECK(f.dbx->other >= 1);
  auto direct = parse_efi_signature_lists(f.variable("dbx")->value);
  REQUIRE(direct.ok());
  CHECK(direct->sha256.size() == 183);
  // A log that measures dbx empty has one with no entries; a log that never measures it, none.
  const BootFacts nodbx = facts_of(load(test_data(kGtt + "ubuntu-2104-no-dbx.bin")));
  REQUIRE(nodbx.dbx.has_value());
  CHECK(nodbx.dbx->sha256.empty());
  const BootFacts none = facts_of(load(test_data("tpm2-tools/test/integration/fixtures/event-uefiservices.bin")));
  CHECK_FALSE(none.dbx.has_value());
  CHECK(none.dbx_unknown.find("dbx") != std::string::npos);
  // Given a scope without PCR 7, dbx is unknown.
  const Bytes rhel = load(test_data(kGtt + "rhel8-uefi.bin"));
  auto log = parse_event_log(rhel);
  REQUIRE(log.ok());
  auto scoped = extract_boot_facts(*log, FactScope{{}, std::set<std::uint32_t>{0, 4, 8}});
  REQUIRE(scoped.ok());
  CHECK_FALSE(scoped->dbx.has_value());
  CHECK(scoped->dbx_unknown.find("PCR 7 is not bound") != std::string::npos);
  CHECK(scoped->kernel_cmdline_events.size() == 1);
  CHECK(scoped->authorities.empty());

  // Well-formed: two lists, a header, another type.
  Bytes two = esl(kSha256Type, 0, 48, 2);
  const Bytes x = esl(kX509Type, 4, 40, 3);
  two.insert(two.end(), x.begin(), x.end());
  auto ok = parse_efi_signature_lists(two);
  REQUIRE_MESSAGE(ok.ok(), ok.error().what());
  CHECK(ok->sha256 == std::vector<Bytes>{Bytes(32, 0x22), Bytes(32, 0x23)});
  CHECK(ok->x509.size() == 3);  // certificates: their SHA-256 fingerprints
  CHECK(ok->x509[0] == sha256(Bytes(24, 0x22)));
  CHECK(ok->other == 0);
  CHECK(parse_efi_signature_lists({}).ok());

  auto refused = [](Bytes b, const char* why) {
    CAPTURE(why);
    auto r = parse_efi_signature_lists(b);
    CHECK(r.code() == Errc::eventlog_malformed);
  };
  Bytes b = esl(kSha256Type, 0, 48, 1);
  refused(Bytes(b.begin(), b.begin() + 20), "header cut");
  refused(Bytes(b.begin(), b.end() - 1), "entry cut");
  b = esl(kSha256Type, 0, 48, 1);
  b[16] = 27;  // ListSize below the header
  refused(b, "list size below its header");
  b = esl(kSha256Type, 0, 48, 1);
  b[16] = 0xff; b[17] = 0xff; b[18] = 0xff; b[19] = 0xff;  // ListSize 4 GiB
  refused(b, "list size past the data");
  refused(esl(kSha256Type, 0, 40, 1), "SHA-256 entry of 40 bytes");
  b = esl(kX509Type, 0, 16, 0);
  refused(b, "SignatureSize 16 (no data)");
  b = esl(kX509Type, 0, 40, 2);
  b[24] = 30;  // SignatureSize 30 does not divide 80
  refused(b, "size not dividing the list");
  b = esl(kX509Type, 0, 40, 1);
  b[20] = 0xff; b[21] = 0xff; b[22] = 0xff; b[23] = 0xff;  // HeaderSize 4 GiB
  refused(b, "header size past the list");
  b = esl(kX509Type, 0, 40, 1);
  b.push_back(0);
  refused(b, "a trailing byte");
}
