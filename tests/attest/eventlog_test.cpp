// eventlog_test.cpp — every real event log in tests/data parses to its last
// byte and replays to the shipped ground truth; every rejection path fails
// with its code and names the event.
#include <doctest/doctest.h>

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <fstream>
#include <sstream>
#include <string>

#include "eventlog_builder.h"
#include "real_eventlogs.h"
#include "paw/attest/eventlog.h"
#include "test_data.h"

using namespace paw;
using paw::test::load;
using paw::test::test_data;
using paw::test::kRealLogs;
using paw::test::RealLog;

namespace {

Poco::JSON::Object::Ptr load_json(const std::string& rel) {
  std::ifstream in(test_data(rel));
  REQUIRE(in.good());
  std::stringstream ss;
  ss << in.rdbuf();
  Poco::JSON::Parser parser;
  return parser.parse(ss.str()).extract<Poco::JSON::Object::Ptr>();
}

PcrValues replay_file(const Bytes& bytes) {
  auto log = parse_event_log(bytes);
  REQUIRE_MESSAGE(log.ok(), log.error().what());
  auto pcrs = replay_event_log(*log);
  REQUIRE_MESSAGE(pcrs.ok(), pcrs.error().what());
  return std::move(pcrs).value();
}

// yaml_pcrs reads the `pcrs:` block tpm2_eventlog prints at the end of its yaml.
PcrValues yaml_pcrs(const std::string& rel) {
  std::ifstream in(test_data(rel));
  REQUIRE(in.good());
  PcrValues out;
  std::string line;
  bool in_block = false;
  std::optional<HashAlg> bank;
  while (std::getline(in, line)) {
    if (line == "pcrs:") {
      in_block = true;
      continue;
    }
    if (!in_block) continue;
    if (line.rfind("  ", 0) != 0) break;
    if (line.rfind("    ", 0) != 0) {  // "  sha1:"
      bank = hash_from_name(line.substr(2, line.find(':') - 2));
      REQUIRE(bank.has_value());
      continue;
    }
    const auto colon = line.find(':');
    const auto index = static_cast<std::uint32_t>(std::stoul(line.substr(4, colon - 4)));
    auto value = unhex(line.substr(line.find("0x") + 2));
    REQUIRE(value.ok());
    out[*bank][index] = *value;
  }
  REQUIRE(in_block);
  return out;
}

}  // namespace

TEST_CASE("every real event log parses to its last byte and says what it is") {
  for (const RealLog& rl : kRealLogs) {
    CAPTURE(rl.path);
    const Bytes bytes = load(test_data(rl.path));
    auto log = parse_event_log(bytes);
    REQUIRE_MESSAGE(log.ok(), log.error().what());
    CHECK(log->crypto_agile() == rl.agile);
    const Event& last = log->events().back();
    CHECK(last.data.data() + last.data.size() == bytes.data() + bytes.size());  // the last byte is the last event's
    std::size_t covered = 0;
    for (const Event& e : log->events()) covered += e.data.size();
    CHECK(covered < bytes.size());
    auto check = check_event_data(*log);
    if (rl.tampered_event == nullptr) {
      CHECK_MESSAGE(check.ok(), check.error().what());
    } else {
      REQUIRE_FALSE(check.ok());
      CHECK(check.code() == Errc::eventlog_tampered);
      CHECK(check.error().detail.find(rl.tampered_event) != std::string::npos);
    }
    CHECK(replay_event_log(*log).ok());
  }
}

TEST_CASE("go-tpm-tools logs replay to the shipped PCRs in every bank") {
  const auto root = load_json("go-tpm-tools/expected_pcrs_from_server_eventlog_test.json");
  std::size_t checked = 0;
  for (const auto& name : root->getNames()) {
    CAPTURE(name);
    const auto entry = root->getObject(name);
    const auto pcrs = replay_file(load(test_data("go-tpm-tools/internal/test/" + entry->getValue<std::string>("file"))));
    const auto banks = entry->getObject("pcrs");
    for (const auto& bank_name : banks->getNames()) {
      const auto bank = hash_from_name(bank_name);
      REQUIRE(bank.has_value());
      REQUIRE(pcrs.count(*bank) == 1);
      const auto values = banks->getObject(bank_name);
      for (const auto& index : values->getNames()) {
        CAPTURE(bank_name);
        CAPTURE(index);
        const auto it = pcrs.at(*bank).find(static_cast<std::uint32_t>(std::stoul(index)));
        REQUIRE(it != pcrs.at(*bank).end());
        CHECK(hex(it->second) == values->getValue<std::string>(index));
        ++checked;
      }
    }
  }
  CHECK(checked == 245);  // 14 logs, every (bank, PCR) pair the upstream test pins
}

TEST_CASE("tpm2-tools fixtures replay to the pcrs: block of their yaml") {
  const char* const kYaml[] = {"event-arch-linux.bin",      "event-bootorder.bin",    "event-gce-ubuntu-2104-log.bin",
                               "event-moklisttrusted.bin",  "event-postcode.bin",     "event-sd-boot-fedora37.bin",
                               "event-uefi-sha1-log.bin",   "event-uefiaction.bin",   "event-uefiservices.bin",
                               "event-uefivar.bin"};
  const std::string dir = "tpm2-tools/test/integration/fixtures/";
  for (const char* name : kYaml) {
    CAPTURE(name);
    const PcrValues want = yaml_pcrs(dir + "event-pretty/" + name + ".yaml");
    const PcrValues got = replay_file(load(test_data(dir + name)));
    CHECK(got == want);  // same banks, same PCRs, same values
  }
}

TEST_CASE("the Windows SHA-1 log replays to go-attestation's Log.PCRs") {
  const auto root = load_json("go-attestation/attest/testdata/windows_gcp_shielded_vm.json");
  const auto log = root->getObject("Log");
  auto raw = unbase64(log->getValue<std::string>("Raw"));
  REQUIRE(raw.ok());
  const PcrValues pcrs = replay_file(*raw);
  REQUIRE(pcrs.count(HashAlg::sha1) == 1);
  const auto list = log->getArray("PCRs");
  PcrValues quoted;
  for (std::size_t i = 0; i < list->size(); ++i) {
    const auto p = list->getObject(static_cast<unsigned>(i));
    REQUIRE(p->getValue<int>("DigestAlg") == 3);  // Go crypto.SHA1
    auto d = unbase64(p->getValue<std::string>("Digest"));
    REQUIRE(d.ok());
    quoted[HashAlg::sha1][p->getValue<std::uint32_t>("Index")] = *d;
  }
  REQUIRE(quoted[HashAlg::sha1].size() == 24);
  const PcrComparison cmp = compare_pcrs(pcrs, quoted);
  CHECK(cmp.all_agree());
  CHECK(cmp.judged.size() == pcrs.at(HashAlg::sha1).size());
  CHECK(cmp.judged.size() == 8);
  // Naming all 24: the PCRs the log leaves alone hold their reset values (DRTM 17-22: 0xFF..).
  std::set<std::uint32_t> all;
  for (std::uint32_t i = 0; i < kPcrCount; ++i) all.insert(i);
  const PcrComparison every = compare_pcrs(pcrs, quoted, all);
  CHECK(every.judged.size() == 24);
  CHECK_MESSAGE(every.all_agree(), every.status().error().what());
}

TEST_CASE("StartupLocality 3 sets PCR0's initial value") {
  const Bytes bytes = load(test_data("go-tpm-tools/internal/test/eventlogs/glinux-alex.bin"));
  auto log = parse_event_log(bytes);
  REQUIRE(log.ok());
  // Without the locality rule PCR0 would differ: drop the event and compare.
  test::LogBuilder b({HashAlg::sha256});
  b.event(0, ev::kNoAction, test::startup_locality_data(3));
  b.event(0, ev::kSCrtmVersion, as_bytes("v"));
  const PcrValues with = replay_file(b.bytes());
  test::LogBuilder c({HashAlg::sha256});
  c.event(0, ev::kSCrtmVersion, as_bytes("v"));
  const PcrValues without = replay_file(c.bytes());
  Bytes start(32, 0);
  start[31] = 3;
  Bytes expect(32);
  const Bytes d = sha256(as_bytes("v"));
  Bytes cat = start;
  cat.insert(cat.end(), d.begin(), d.end());
  CHECK(with.at(HashAlg::sha256).at(0) == sha256(cat));
  CHECK(with.at(HashAlg::sha256).at(0) != without.at(HashAlg::sha256).at(0));
  // The real laptop log carries it on PCR0 before any measurement.
  bool found = false;
  for (const Event& e : log->events()) {
    if (e.type == ev::kNoAction && e.pcr == 0 && e.data.size() == 17) found = e.data[16] == 3;
  }
  CHECK(found);
}

TEST_CASE("replay rules: EV_NO_ACTION never extended, PCR 0xFFFFFFFF skipped, bad PCR index refused") {
  test::LogBuilder b({HashAlg::sha1, HashAlg::sha256});
  b.event(4, ev::kEfiAction, as_bytes("Calling EFI Application from Boot Option"));
  const PcrValues base = replay_file(b.bytes());
  b.event(4, ev::kNoAction, as_bytes("anything"));
  b.event(kNoPcr, ev::kNoAction, Bytes(461, 0xAB));
  CHECK(replay_file(b.bytes()) == base);
  CHECK(base.at(HashAlg::sha1).size() == 1);  // only PCR4 is covered

  test::LogBuilder bad({HashAlg::sha256});
  bad.event(24, ev::kEfiAction, as_bytes("x"));
  auto log = parse_event_log(bad.bytes());
  REQUIRE(log.ok());
  auto r = replay_event_log(*log);
  CHECK(r.code() == Errc::eventlog_malformed);
  CHECK(r.error().detail.find("event 1 at offset") != std::string::npos);

  test::LogBuilder late({HashAlg::sha256});
  late.event(0, ev::kSCrtmVersion, as_bytes("v"));
  late.event(0, ev::kNoAction, test::startup_locality_data(3));
  log = parse_event_log(late.bytes());
  REQUIRE(log.ok());
  r = replay_event_log(*log);
  CHECK(r.code() == Errc::eventlog_malformed);
  CHECK(r.error().detail.find("event 2") != std::string::npos);
}

TEST_CASE("a bank some event lacks is left out of the replay") {
  test::LogBuilder b({HashAlg::sha1, HashAlg::sha256});
  b.event(7, ev::kEfiAction, as_bytes("a"));
  b.event(7, ev::kEfiAction, as_bytes("b"), {HashAlg::sha256});
  const PcrValues p = replay_file(b.bytes());
  CHECK(p.count(HashAlg::sha1) == 0);
  CHECK(p.count(HashAlg::sha256) == 1);
}

TEST_CASE("compare_pcrs judges covered and named PCRs only") {
  PcrValues replayed;
  replayed[HashAlg::sha256][0] = Bytes(32, 1);
  replayed[HashAlg::sha256][7] = Bytes(32, 7);
  replayed[HashAlg::sha1][0] = Bytes(20, 1);
  PcrValues quoted;
  quoted[HashAlg::sha256][0] = Bytes(32, 1);
  quoted[HashAlg::sha256][7] = Bytes(32, 7);
  quoted[HashAlg::sha256][10] = Bytes(32, 9);  // not covered, not named: not judged
  quoted[HashAlg::sha256][17] = Bytes(32, 0xFF);

  auto c = compare_pcrs(replayed, quoted);
  CHECK(c.all_agree());
  CHECK(c.status().ok());
  CHECK(c.judged.size() == 2);
  REQUIRE(c.not_quoted.size() == 1);  // the sha1 bank is not in the quote
  CHECK(c.not_quoted[0] == PcrRef{HashAlg::sha1, 0});

  quoted[HashAlg::sha256][7] = Bytes(32, 8);
  c = compare_pcrs(replayed, quoted);
  CHECK_FALSE(c.all_agree());
  CHECK(c.status().code() == Errc::eventlog_replay_mismatch);
  CHECK(c.status().error().detail.find("sha256 PCR7") != std::string::npos);

  quoted[HashAlg::sha256][7] = Bytes(32, 7);
  // Named but not covered: judged against the reset value (zeros; 0xFF.. for 17-22).
  c = compare_pcrs(replayed, quoted, {10, 17});
  CHECK(c.judged.size() == 4);
  CHECK_FALSE(c.all_agree());
  CHECK(c.status().error().detail.find("PCR10") != std::string::npos);
  CHECK(c.status().error().detail.find("PCR17") == std::string::npos);
  // Named but absent from the quote: a failure.
  c = compare_pcrs(replayed, quoted, {9});
  CHECK(c.named_missing.size() == 1);
  CHECK_FALSE(c.all_agree());
}

TEST_CASE("deliberately bad logs give precise errors") {
  SUBCASE("empty") {
    const Bytes bytes = load(test_data("keylime/test/data/create-mb-policy/binary_bios_measurements-empty"));
    auto r = parse_event_log(bytes);
    CHECK(r.code() == Errc::eventlog_malformed);
    CHECK(r.error().detail == "empty event log");
  }
  SUBCASE("bogus") {
    const Bytes bytes = load(test_data("keylime/test/data/create-mb-policy/binary_bios_measurements-bogus"));
    auto r = parse_event_log(bytes);
    CHECK(r.code() == Errc::eventlog_malformed);
    CHECK(r.error().detail.find("event 0 at offset 0: event size") != std::string::npos);
  }
  SUBCASE("Spec ID vendor info past the event") {
    const Bytes bytes = load(test_data("tpm2-tools/test/integration/fixtures/specid-vendordata.bin"));
    auto r = parse_event_log(bytes);
    CHECK(r.code() == Errc::eventlog_malformed);
    CHECK(r.error().detail.find("vendor info of 4 bytes") != std::string::npos);
  }
  SUBCASE("too large") {
    const Bytes big(kMaxEventLogSize + 1, 0);
    CHECK(parse_event_log(big).code() == Errc::too_large);
  }
}

TEST_CASE("every truncation of a real log is refused or ends on an event boundary") {
  const Bytes bytes = load(test_data("tpm2-tools/test/integration/fixtures/event.bin"));
  auto full = parse_event_log(bytes);
  REQUIRE(full.ok());
  std::set<std::size_t> boundaries;
  for (const Event& e : full->events()) boundaries.insert(e.offset);
  for (std::size_t n = 1; n < bytes.size(); ++n) {
    CAPTURE(n);
    auto r = parse_event_log(ByteView(bytes).first(n));
    if (boundaries.count(n) != 0) {
      CHECK(r.ok());
    } else {
      REQUIRE_FALSE(r.ok());
      CHECK(r.code() == Errc::eventlog_malformed);
      CHECK(r.error().detail.find("at offset") != std::string::npos);
    }
  }
  Bytes longer = bytes;
  longer.push_back(0);
  CHECK(parse_event_log(longer).code() == Errc::eventlog_malformed);
}

TEST_CASE("Spec ID header and digest-list mutations are refused") {
  auto parse = [](const Bytes& b) { return parse_event_log(b); };
  test::LogBuilder ok({HashAlg::sha1, HashAlg::sha256});
  ok.event(4, ev::kEfiAction, as_bytes("x"));
  REQUIRE(parse(ok.bytes()).ok());
  const Bytes good = ok.bytes();
  // Offsets inside the Spec ID event (PFP 1.05, 10.4.5.1): data starts at 32.
  constexpr std::size_t kData = 32, kMajor = kData + 16 + 4 + 1, kCount = kData + 24, kTable = kCount + 4;
  SUBCASE("version") {
    Bytes b = good;
    b[kMajor] = 1;
    CHECK(parse(b).error().detail.find("Spec ID version") != std::string::npos);
  }
  SUBCASE("zero algorithms") {
    Bytes b = good;
    b[kCount] = 0;
    CHECK(parse(b).code() == Errc::eventlog_malformed);
  }
  SUBCASE("wrong digest size for a known algorithm") {
    Bytes b = good;
    b[kTable + 2] = 21;  // SHA-1 is 20 bytes
    CHECK(parse(b).error().detail.find("digest size 21") != std::string::npos);
  }
  SUBCASE("algorithm twice") {
    Bytes b = good;
    b[kTable + 4] = 0x04;  // second row SHA-256 -> SHA-1
    b[kTable + 5] = 0x00;
    b[kTable + 6] = 20;
    CHECK(parse(b).error().detail.find("twice") != std::string::npos);
  }
  SUBCASE("Spec ID on another PCR") {
    Bytes b = good;
    b[0] = 1;
    CHECK(parse(b).error().detail.find("Spec ID event on PCR 1") != std::string::npos);
  }
  SUBCASE("trailing bytes inside the Spec ID event") {
    test::LogBuilder t({HashAlg::sha256}, Bytes{0xAA}, 1);
    auto r = parse(t.bytes());
    CHECK(r.code() == Errc::trailing_data);
  }
  const std::size_t ev1 = test::LogBuilder::header_size({HashAlg::sha1, HashAlg::sha256});
  SUBCASE("digest count above the table") {
    Bytes b = good;
    b[ev1 + 8] = 3;
    CHECK(parse(b).error().detail.find("event 1 at offset " + std::to_string(ev1) + ": 3 digests") != std::string::npos);
  }
  SUBCASE("digest algorithm not in the table") {
    Bytes b = good;
    b[ev1 + 12] = 0x0C;  // SHA-384
    CHECK(parse(b).error().detail.find("sha384 not in the Spec ID header") != std::string::npos);
  }
  SUBCASE("event digest algorithm twice") {
    Bytes b = good;
    b[ev1 + 12 + 2 + 20] = 0x04;  // second digest's algorithm -> SHA-1
    CHECK(parse(b).error().detail.find("twice") != std::string::npos);
  }
  SUBCASE("event data over the per-event limit") {
    test::LogBuilder t({HashAlg::sha256});
    t.event(4, ev::kEfiAction, Bytes(kMaxEventDataSize + 1, 'a'));
    auto r = parse(t.bytes());
    CHECK(r.code() == Errc::too_large);
    CHECK(r.error().detail.find("event 1") != std::string::npos);
  }
  SUBCASE("second Spec ID header") {
    test::LogBuilder t({HashAlg::sha256});
    Bytes spec = test::LogBuilder({HashAlg::sha256}).bytes();
    t.event(0, ev::kNoAction, ByteView(spec).subspan(32));
    CHECK(parse(t.bytes()).error().detail.find("second Spec ID") != std::string::npos);
  }
}

TEST_CASE("altered event data is reported as tampered, naming the event") {
  struct Case {
    std::uint32_t pcr, type;
    Bytes data;
  };
  const Case cases[] = {
      {0, ev::kSeparator, Bytes{0, 0, 0, 0}},
      {4, ev::kEfiAction, to_bytes("Calling EFI Application from Boot Option")},
      {5, ev::kAction, to_bytes("Exit Boot Services Invocation")},
      {7, ev::kEfiVariableDriverConfig, test::variable_data(test::kGlobalGuid, "SecureBoot", Bytes{1})},
      {7, ev::kEfiVariableAuthority, test::variable_data(test::kDbGuid, "db", Bytes(40, 7))},
      {1, ev::kEfiVariableBoot, test::variable_data(test::kGlobalGuid, "BootOrder", Bytes{1, 0})},
      {5, ev::kEfiGptEvent, Bytes(92, 3)},
      {8, ev::kIpl, to_bytes(std::string("grub_cmd: linux /vmlinuz ro", 28))},
      {4, ev::kOmitBootDeviceEvents, to_bytes("BOOT ATTEMPTS OMITTED")},
  };
  for (const Case& c : cases) {
    CAPTURE(event_type_name(c.type));
    test::LogBuilder b({HashAlg::sha1, HashAlg::sha256});
    b.event(c.pcr, c.type, c.data);
    {
      auto log = parse_event_log(b.bytes());
      REQUIRE(log.ok());
      CHECK(check_event_data(*log).ok());
    }
    Bytes bad = b.bytes();
    bad[bad.size() - 2] ^= 0x01;  // one bit of the data, none of the digests
    auto log = parse_event_log(bad);
    REQUIRE(log.ok());
    auto st = check_event_data(*log);
    REQUIRE_FALSE(st.ok());
    CHECK(st.code() == Errc::eventlog_tampered);
    CHECK(st.error().detail.find("event 1 at offset") != std::string::npos);
    CHECK(st.error().detail.find(event_type_name(c.type)) != std::string::npos);
    // The digests still replay: tampering is invisible to replay alone.
    CHECK(replay_event_log(*log).ok());
  }
  // Types whose data is not what was hashed are not judged (application digests are PE hashes).
  test::LogBuilder b({HashAlg::sha256});
  b.event_with_digest(4, ev::kEfiBootServicesApplication, Bytes(32, 0x11), Bytes(40, 0));
  auto log = parse_event_log(b.bytes());
  REQUIRE(log.ok());
  CHECK(check_event_data(*log).ok());
}

TEST_CASE("check_event_data judges only the banks it is given") {
  test::LogBuilder b({HashAlg::sha1, HashAlg::sha256});
  const std::size_t start = b.bytes().size();
  b.event(4, ev::kEfiAction, as_bytes("Calling EFI Application from Boot Option"));
  Bytes bad = b.bytes();
  bad[start + 12 + 2] ^= 0x01;  // first byte of the SHA-1 digest; the SHA-256 one is intact
  auto log = parse_event_log(bad);
  REQUIRE(log.ok());
  CHECK(check_event_data(*log, {HashAlg::sha256}).ok());
  auto st = check_event_data(*log, {HashAlg::sha1});
  CHECK(st.code() == Errc::eventlog_tampered);
  CHECK(st.error().detail.find("sha1 digest") != std::string::npos);
  CHECK(check_event_data(*log).code() == Errc::eventlog_tampered);  // default: every bank
}
