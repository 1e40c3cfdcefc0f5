// appraisal_logs_test.cpp — the measurement logs in the appraisal: the UEFI
// event log must replay to the quoted PCRs (dropped events, an unquoted bank,
// unlogged extends and broken logs are refused; an event whose data does not
// match its digest only makes its facts unknown), every real log in tests/data
// with a complete SHA-256 bank appraises healthy, and a real IMA list is
// replayed to the quoted PCR 10 and judged against the allowlist.
#include <doctest/doctest.h>

#include <algorithm>
#include <string>

#include "appraisal_world.h"
#include "eventlog_builder.h"
#include "paw/attest/appraisal.h"
#include "paw/attest/eventlog.h"
#include "real_eventlogs.h"
#include "test_data.h"

using namespace paw;
using namespace paw::soft;
using namespace paw::test;

TEST_CASE("appraise: event log checks") {
  AppraisalWorld w;
  w.enroll();
  auto body = w.dev.evidence_body(w.nonce);
  REQUIRE(body.ok());

  SUBCASE("event data that does not match its digest: that event's facts are unknown, the log still binds") {
    EvidenceBody b = *body;
    Bytes& log = *b.event_log;
    // EV_EFI_VARIABLE_DRIVER_CONFIG is hashed whole: change one byte of db's contents.
    const Bytes db = to_bytes("soft db v1");
    auto it = std::search(log.begin(), log.end(), db.begin(), db.end());
    REQUIRE(it != log.end());
    *it = 'S';
    auto a = w.appraise_body(b);
    REQUIRE_MESSAGE(a.ok(), a.error().what());
    CHECK(a->healthy());
    const auto note = std::find_if(a->notes().begin(), a->notes().end(),
                                   [](const ResultReason& r) { return r.code == reason::kEventUnverified; });
    REQUIRE(note != a->notes().end());
    CHECK(note->message.find("EV_EFI_VARIABLE_DRIVER_CONFIG, PCR 7") != std::string::npos);
  }
  SUBCASE("the SecureBoot event's data does not match its digest: Secure Boot unknown, said in the reason") {
    EvidenceBody b = *body;
    Bytes& log = *b.event_log;
    const Bytes name = {'S', 0, 'e', 0, 'c', 0, 'u', 0, 'r', 0, 'e', 0, 'B', 0, 'o', 0, 'o', 0, 't', 0};
    auto it = std::search(log.begin(), log.end(), name.begin(), name.end());
    REQUIRE(it != log.end());
    REQUIRE(*(it + 20) == 1);
    *(it + 20) = 0;
    auto a = w.appraise_body(b);
    REQUIRE_MESSAGE(a.ok(), a.error().what());
    CHECK(codes(*a) == std::vector<std::string>{"secure_boot_off"});
    CHECK(message_of(*a, reason::kSecureBootOff).find("does not match its digest") != std::string::npos);
    // Not proven, so the record claims no state (pawctl devices show does not
    // say "on"); the soft device's host.secure_boot is only the agent's word.
    CHECK_FALSE(a->record().secure_boot.has_value());
    CHECK_FALSE(appraisal_record_to_json(a->record())->has("secure_boot"));
  }
  SUBCASE("attack a: the PCR 4 events left out (the TPM's PCR 4 still holds them)") {
    auto parsed = parse_event_log(*w.dev.event_log);
    REQUIRE(parsed.ok());
    auto events = paw::test::owned_events(*parsed);
    std::erase_if(events, [](const paw::test::OwnedEvent& x) { return x.pcr == 4; });
    EvidenceBody b = *body;
    b.event_log = paw::test::write_log({HashAlg::sha256}, events);
    auto a = w.appraise_body(b);
    CHECK(a.code() == Errc::eventlog_replay_mismatch);
    CHECK(a.error().detail.find("sha256 PCR4 is never extended by the log") != std::string::npos);
  }
  SUBCASE("attack b: only a bank the TPM does not quote (SHA-384)") {
    auto parsed = parse_event_log(*w.dev.event_log);
    REQUIRE(parsed.ok());
    auto events = paw::test::owned_events(*parsed);
    for (auto& x : events) x.digests = {{HashAlg::sha384, *digest(HashAlg::sha384, x.data)}};
    EvidenceBody b = *body;
    b.event_log = paw::test::write_log({HashAlg::sha384}, events);
    CHECK(w.appraise_body(b).code() == Errc::eventlog_no_complete_bank);
  }
  SUBCASE("a log that does not replay to the quoted PCRs") {
    w.dev.tpm.extend(HashAlg::sha256, 4, sha256(as_bytes("unlogged bootkit")));
    auto b = w.dev.evidence_body(w.nonce);
    REQUIRE(b.ok());
    CHECK(w.appraise_body(*b).code() == Errc::eventlog_replay_mismatch);
  }
  SUBCASE("a log that does not parse") {
    EvidenceBody b = *body;
    b.event_log->resize(b.event_log->size() - 3);
    const Errc c = w.appraise_body(b).code();
    CHECK((c == Errc::eventlog_malformed || c == Errc::trailing_data));
  }
}

TEST_CASE("appraise: every real event log with a complete SHA-256 bank appraises healthy") {
  std::size_t healthy = 0;
  for (const auto& rl : paw::test::kRealLogs) {
    const std::string path = rl.path;
    CAPTURE(path);
    Bytes bytes = paw::test::load(paw::test::test_data(rl.path));
    auto parsed = parse_event_log(bytes);
    REQUIRE(parsed.ok());
    auto replayed = replay_event_log(*parsed);
    REQUIRE(replayed.ok());
    if (replayed->count(HashAlg::sha256) == 0) continue;  // legacy SHA-1 logs bind nothing
    AppraisalWorld w;
    w.policy.secure_boot_required = false;  // the logs' own Secure Boot states differ
    REQUIRE(w.dev.use_event_log(bytes).ok());
    w.quote_firmware_pcrs();  // as paw-agent does
    w.enroll();
    auto a = w.attest();
    REQUIRE_MESSAGE(a.ok(), a.error().what());
    const std::string why = a->reasons().empty() ? std::string() : a->reasons()[0].message;
    CHECK_MESSAGE(a->healthy(), why);
    const bool noted = std::any_of(a->notes().begin(), a->notes().end(),
                                   [](const ResultReason& r) { return r.code == reason::kEventUnverified; });
    CHECK(noted == (rl.tampered_event != nullptr));  // the Arch workstation's event 24
    ++healthy;
  }
  CHECK(healthy >= 30);
}

// ---------------------------------------------------------------------------
// IMA (a real measurement list: ibmtss, 362 ima-sig entries)
// ---------------------------------------------------------------------------

TEST_CASE("appraise: IMA list replayed to the quoted PCR 10, allowlist and tampering") {
  AppraisalWorld w;
  w.enroll();
  const Bytes list = paw::test::load(paw::test::test_data("ibmtss/utils/sha1.log"));
  REQUIRE(w.dev.use_ima_log(list).ok());
  w.policy.ima.required = true;

  SUBCASE("genuine list: healthy") {
    auto a = w.attest();
    REQUIRE_MESSAGE(a.ok(), a.error().what());
    CHECK(a->healthy());
    CHECK(a->trust().at("file-system") == ar4si::kNoClaim);  // no allowlist: nothing affirmed
  }
  SUBCASE("allowlist that lacks the measured files") {
    w.policy.ima.allowlist = {Bytes(32, 0x5a)};
    auto a = w.attest();
    REQUIRE(a.ok());
    CHECK(has_code(*a, reason::kImaNotAllowed));
    CHECK(a->trust().at("file-system") == ar4si::kContraindicatedFiles);
  }
  SUBCASE("an edited entry") {
    auto b = w.dev.evidence_body(w.nonce);
    REQUIRE(b.ok());
    (*b->ima_log)[200] ^= 0x01;
    const Errc c = w.appraise_body(*b).code();
    CHECK((c == Errc::ima_malformed || c == Errc::eventlog_replay_mismatch));
  }
  SUBCASE("a list the quote does not cover") {
    w.dev.selection[HashAlg::sha256].erase(10);
    auto e = w.dev.attest(w.nonce);
    REQUIRE(e.ok());
    CHECK(w.appraise_env(*e).code() == Errc::eventlog_replay_mismatch);
  }
  SUBCASE("required but absent") {
    w.dev.ima_log.reset();
    auto a = w.attest();
    REQUIRE(a.ok());
    CHECK(codes(*a) == std::vector<std::string>{"ima_missing"});
  }
}
