// appraisal_ima_required_test.cpp — the policy's "ima.required" rule through
// the real appraisal: a real IMA list (ibmtss sha1.log, Fedora 40, 362
// ima-sig entries) replayed into the software TPM's PCR 10, quoted and
// judged. Each file passes and fails on the real list, each result names the
// IMA entry that decided it, and the rule holds against root adding entries
// the quote does not bind.
#include <doctest/doctest.h>

#include <algorithm>
#include <string>

#include "eventlog_builder.h"
#include "paw/attest/appraisal.h"
#include "paw/attest/grace.h"
#include "paw/attest/ima.h"
#include "real_log_world.h"
#include "test_data.h"

using namespace paw;
using namespace paw::test;

namespace {

// Entries of sha1.log (as `pawctl`'s parser reads them): an executable and a kernel module.
const char* const kKmod = "/usr/bin/kmod";  // entry 1
const char* const kKmodDigest = "sha256:5ad811f923e951403fb1252c25059628bab7c9b00925df7da01c2b5ba0b62d79";
const char* const kModule = "/usr/lib/modules/6.10.11-200.fc40.x86_64/kernel/arch/x86/crypto/polyval-clmulni.ko.xz";
const char* const kModuleDigest = "sha256:cd730b645a14836cc9818dce2551857667609c9286a07f7d5eb4b7025dff0fa8";
const char* const kSensor = "/opt/CrowdStrike/falcon-sensor";
const std::size_t kEntries = 362;

Bytes bytes_of(std::string_view s) { return Bytes(s.begin(), s.end()); }

Bytes real_list() { return paw::test::load(paw::test::test_data("ibmtss/utils/sha1.log")); }

// ima_ng_entry builds one well-formed binary ima-ng entry for |pcr|: its
// SHA-1 template hash is that of its template data, as the kernel logs it.
Bytes ima_ng_entry(std::uint32_t pcr, const std::string& path, const Bytes& file_sha256) {
  Bytes d_ng = bytes_of(std::string_view("sha256:\0", 8));
  d_ng.insert(d_ng.end(), file_sha256.begin(), file_sha256.end());
  Bytes n_ng = bytes_of(path);
  n_ng.push_back(0);
  Bytes data;
  test::put32(data, static_cast<std::uint32_t>(d_ng.size()));
  data.insert(data.end(), d_ng.begin(), d_ng.end());
  test::put32(data, static_cast<std::uint32_t>(n_ng.size()));
  data.insert(data.end(), n_ng.begin(), n_ng.end());
  Bytes e;
  test::put32(e, pcr);
  const Bytes th = *digest(HashAlg::sha1, data);
  e.insert(e.end(), th.begin(), th.end());
  test::put32(e, 6);
  const Bytes name = bytes_of("ima-ng");
  e.insert(e.end(), name.begin(), name.end());
  test::put32(e, static_cast<std::uint32_t>(data.size()));
  e.insert(e.end(), data.begin(), data.end());
  return e;
}

Bytes digest_of(const char* canonical) { return unhex(std::string_view(canonical).substr(7)).value(); }

// World: one enrolled software workstation whose PCR 10 holds |list|'s replay
// (its firmware log the synthetic one, quoted as booted).
struct World : RealLogWorld {
  explicit World(Bytes list = real_list())
      : RealLogWorld({.event_log = soft::make_event_log(soft::BootConfig{}),
                      .quote_firmware_pcrs = false,
                      .ima_log = std::move(list),
                      .carry_state = true}) {}

  void require(const char* path, std::set<std::string> digests) {
    policy.ima.required_files.push_back({path, std::move(digests)});
    REQUIRE(validate_policy(policy).ok());
  }
};

const RuleResult* rule_for(const Appraisal& a, const std::string& subject) {
  for (const auto& r : a.record().rules) {
    if (r.rule == "ima.required" && r.subject == subject) return &r;
  }
  return nullptr;
}

}  // namespace

TEST_CASE("ima.required: an executable and a kernel module of the real list pass, each naming its entry") {
  World w;
  w.require(kKmod, {kKmodDigest, "sha256:" + std::string(64, '0')});
  w.require(kModule, {kModuleDigest});
  const Appraisal a = w.attest();
  CHECK(a.healthy());
  CHECK(codes(a).empty());
  const RuleResult* kmod = rule_for(a, kKmod);
  REQUIRE(kmod != nullptr);
  CHECK(kmod->result == "pass");
  CHECK(kmod->evidence == "IMA entry 1 (PCR 10)");
  CHECK(kmod->value == kKmodDigest);
  const RuleResult* module = rule_for(a, kModule);
  REQUIRE(module != nullptr);
  CHECK(module->result == "pass");
  CHECK(module->evidence == "IMA entry 280 (PCR 10)");
  // The results are kept with the record (the verifier stores it per device).
  auto back = parse_appraisal_record(serialize_appraisal_record(a.record()));
  REQUIRE(back.ok());
  CHECK(*back == a.record());
  CHECK(std::count_if(back->rules.begin(), back->rules.end(),
                      [](const RuleResult& r) { return r.rule == "ima.required" && r.subject != "IMA log"; }) == 2);
}

TEST_CASE("ima.required: a file never measured is ima_required_missing, and may be graced") {
  World w;
  w.require(kKmod, {kKmodDigest});
  w.require(kSensor, {"sha256:" + std::string(64, 'a')});
  SUBCASE("missing") {
    const Appraisal a = w.attest();
    CHECK(a.verdict() == Verdict::unhealthy);
    CHECK(codes(a) == std::vector<std::string>{"ima_required_missing"});
    CHECK(message_of(a, reason::kImaRequiredMissing).find(kSensor) != std::string::npos);
    const RuleResult* r = rule_for(a, kSensor);
    REQUIRE(r != nullptr);
    CHECK(r->result == "fail");
    CHECK(r->reason == "ima_required_missing");
    CHECK(r->evidence == "IMA log (361 entries in PCR 10)");  // every entry but boot_aggregate was looked at
    CHECK(rule_for(a, kKmod)->result == "pass");
    CHECK(a.trust().at("file-system") == ar4si::kContraindicatedFiles);
  }
  SUBCASE("graced: warning until the grace ends") {
    w.policy.enforcement.grace[std::string(reason::kImaRequiredMissing)] = 3600;
    REQUIRE(validate_policy(w.policy).ok());
    const std::int64_t first = w.now;
    const Appraisal a = w.attest();
    CHECK(a.verdict() == Verdict::warning);
    CHECK(a.record().grace_until == first + 3600);
  }
}

TEST_CASE("ima.required: a required file measured with another digest is ima_required_digest_mismatch") {
  SUBCASE("the only measurement has a digest the policy does not list") {
    World w;
    w.require(kKmod, {"sha256:" + std::string(64, '1'), "sha1:" + std::string(40, '2')});
    const Appraisal a = w.attest();
    CHECK(codes(a) == std::vector<std::string>{"ima_required_digest_mismatch"});
    const std::string m = message_of(a, reason::kImaRequiredDigestMismatch);
    CHECK(m.find("IMA entry 1 (PCR 10)") != std::string::npos);
    CHECK(m.find(kKmodDigest) != std::string::npos);
    const RuleResult* r = rule_for(a, kKmod);
    REQUIRE(r != nullptr);
    CHECK(r->result == "fail");
    CHECK(r->value == kKmodDigest);
  }
  SUBCASE("the right build ran, then a replaced one (measured and extended): the replacement decides") {
    Bytes list = real_list();
    const Bytes fake = ima_ng_entry(10, kKmod, Bytes(32, 0x66));
    list.insert(list.end(), fake.begin(), fake.end());
    World w(list);
    w.require(kKmod, {kKmodDigest});
    const Appraisal a = w.attest();
    CHECK(codes(a) == std::vector<std::string>{"ima_required_digest_mismatch"});
    CHECK(rule_for(a, kKmod)->evidence == "IMA entry " + std::to_string(kEntries) + " (PCR 10)");
  }
  SUBCASE("it can never be graced") {
    Enforcement e;
    e.grace[std::string(reason::kImaRequiredDigestMismatch)] = 3600;
    auto st = validate_enforcement(e);
    REQUIRE_FALSE(st.ok());
    CHECK(st.error().detail.find("replaced binary") != std::string::npos);
  }
}

TEST_CASE("ima.required: root adding an entry the quote does not bind proves nothing") {
  World w;
  w.require(kSensor, {"sha256:" + std::string(64, 'a')});
  const Bytes sensor = digest_of(("sha256:" + std::string(64, 'a')).c_str());
  w.nonce[0] = static_cast<std::uint8_t>(w.nonce[0] + 1);
  auto body = w.dev.evidence_body(w.nonce);
  REQUIRE(body.ok());
  SUBCASE("appended to the list but not extended into PCR 10: the replay misses the quote, evidence refused") {
    const Bytes fake = ima_ng_entry(10, kSensor, sensor);
    body->ima_log->insert(body->ima_log->end(), fake.begin(), fake.end());
    REQUIRE(parse_ima_list(*body->ima_log).ok());  // well-formed: only the replay can tell
    auto a = w.appraise_body(*body);
    CHECK(a.code() == Errc::eventlog_replay_mismatch);
  }
  SUBCASE("logged for PCR 11, which leaves PCR 10's replay intact: the entry is not counted") {
    const Bytes fake = ima_ng_entry(11, kSensor, sensor);
    body->ima_log->insert(body->ima_log->end(), fake.begin(), fake.end());
    auto a = w.appraise_body(*body);
    REQUIRE_MESSAGE(a.ok(), a.error().what());
    CHECK(codes(*a) == std::vector<std::string>{"ima_required_missing"});
  }
  SUBCASE("the genuine list alone: missing") {
    auto a = w.appraise_body(*body);
    REQUIRE(a.ok());
    CHECK(codes(*a) == std::vector<std::string>{"ima_required_missing"});
  }
}

TEST_CASE("ima.required: without an IMA log the files are unknown and the verdict is ima_missing") {
  World w;
  w.require(kKmod, {kKmodDigest});
  w.dev.ima_log.reset();
  const Appraisal a = w.attest();
  CHECK(codes(a) == std::vector<std::string>{"ima_missing"});
  const RuleResult* r = rule_for(a, kKmod);
  REQUIRE(r != nullptr);
  CHECK(r->result == "unknown");
  CHECK(r->reason == "ima_missing");
}
