// appraisal_firmware_update_test.cpp — when a firmware update changes the
// PCRs after they were pinned or referenced: a graced reason is a warning
// until its grace ends (counted from its first sighting), a never-graced one
// beside it denies at once; reference sets with a lifetime let old and new
// firmware pass while they live, each set matched whole.
#include <doctest/doctest.h>

#include <string>

#include "appraisal_world.h"
#include "paw/attest/appraisal.h"
#include "paw/attest/result_token.h"

using namespace paw;
using namespace paw::soft;
using namespace paw::test;

// ---------------------------------------------------------------------------
// Graded verdicts (grace.h)
// ---------------------------------------------------------------------------

TEST_CASE("appraise: a graced reason is a warning until its grace ends, then unhealthy") {
  AppraisalWorld w;
  w.enroll();
  REQUIRE(w.attest().ok());  // pins PCRs 0, 2, 4, 7
  w.policy.enforcement.grace[std::string(reason::kPcrMismatch)] = 3600;  // one hour
  // A firmware update changes PCR 7 (Secure Boot db): the pinned reference no longer matches.
  w.boot_with_new_db();
  const std::int64_t first_seen = w.now;
  auto a = w.attest();
  REQUIRE_MESSAGE(a.ok(), a.error().what());
  CHECK(a->verdict() == Verdict::warning);
  CHECK_FALSE(a->healthy());
  CHECK(a->admits_login());
  CHECK(codes(*a) == std::vector<std::string>{"pcr_mismatch"});
  CHECK(a->reasons()[0].grace_until == first_seen + 3600);
  CHECK(a->record().grace_until == first_seen + 3600);
  CHECK(a->next_state().reason_first_seen.at("pcr_mismatch") == first_seen);
  ResultClaims c = a->claims("paw", "jti");
  CHECK(c.verdict == "warning");
  CHECK(c.grace_until == first_seen + 3600);
  CHECK(c.exp <= c.grace_until);

  // Later, still inside: the grace counts from the first sighting, not from now.
  w.now = first_seen + 3000;
  auto b = w.attest();
  REQUIRE(b.ok());
  CHECK(b->verdict() == Verdict::warning);
  CHECK(b->record().grace_until == first_seen + 3600);
  CHECK(b->claims("paw", "j").exp == first_seen + 3600);  // the token ends with the grace (ttl 600 would go past it)

  // Past the grace: unhealthy, and the token says so.
  w.now = first_seen + 3600;
  auto c2 = w.attest();
  REQUIRE(c2.ok());
  CHECK(c2->verdict() == Verdict::unhealthy);
  CHECK_FALSE(c2->admits_login());
  CHECK(c2->record().grace_until == 0);
  CHECK(c2->claims("paw", "j").grace_until == 0);

  // The stored state survives its JSON round trip with the first sighting.
  auto st = parse_device_state(serialize_device_state(c2->next_state()));
  REQUIRE(st.ok());
  CHECK(st->reason_first_seen.at("pcr_mismatch") == first_seen);
  auto rec = parse_appraisal_record(serialize_appraisal_record(b->record()));
  REQUIRE(rec.ok());
  CHECK(*rec == b->record());
}

TEST_CASE("appraise: a reason that is never graced beside a graced one denies at once") {
  AppraisalWorld w;
  w.enroll();
  REQUIRE(w.attest().ok());
  w.policy.enforcement.grace[std::string(reason::kPcrMismatch)] = 3600;
  w.boot_with_new_db();
  auto a = w.attest(0xff);  // and no FIDO2 assertion: the owner's key is not there
  REQUIRE(a.ok());
  CHECK(a->verdict() == Verdict::unhealthy);
  CHECK(codes(*a) == std::vector<std::string>{"pcr_mismatch", "fido_missing"});
  CHECK(a->record().grace_until == 0);
  // The policy cannot grace fido_missing either.
  w.policy.enforcement.grace["fido_missing"] = 60;
  CHECK(validate_policy(w.policy).code() == Errc::malformed);
}

// ---------------------------------------------------------------------------
// Reference sets with a lifetime
// ---------------------------------------------------------------------------

TEST_CASE("appraise: reference sets — any live set matches whole, an expired one no longer does") {
  AppraisalWorld w;
  w.enroll();
  w.policy.pcrs.pin_on_enroll = false;
  auto first = w.attest();  // no references yet: PCR values to capture from
  REQUIRE(first.ok());
  const PcrValues old_fw = first->pcrs();
  // The new firmware: a different event log changes PCR 7 (and so the set).
  w.boot_with_new_db();
  auto probe = w.attest();
  REQUIRE(probe.ok());
  const PcrValues new_fw = probe->pcrs();
  REQUIRE(old_fw != new_fw);
  auto only = [&](const PcrValues& all) {  // the required PCRs of the policy
    PcrValues out;
    for (const auto& [bank, idx] : w.policy.pcrs.required) {
      for (auto i : idx) out[bank][i] = all.at(bank).at(i);
    }
    return out;
  };
  w.policy.pcrs.reference = only(old_fw);
  SUBCASE("the old reference alone: the new firmware differs, named against it") {
    auto a = w.attest();
    REQUIRE(a.ok());
    CHECK(codes(*a) == std::vector<std::string>{"pcr_mismatch"});
    CHECK(message_of(*a, reason::kPcrMismatch).find("PCR 7 differs from reference") == 0);
  }
  SUBCASE("a live set for the new firmware: both firmwares are healthy, the note names the set") {
    w.policy.pcrs.sets.push_back({"bios-1.22", w.now + 3600, only(new_fw)});
    REQUIRE(validate_policy(w.policy).ok());
    auto a = w.attest();
    REQUIRE(a.ok());
    CHECK(a->healthy());
    bool named = false;
    for (const auto& n : a->notes()) named = named || (n.code == "pcr_reference_set" && n.message == "PCRs match reference set bios-1.22");
    CHECK(named);
    w.boot(BootConfig{});  // back on the old firmware
    auto b = w.attest();
    REQUIRE(b.ok());
    CHECK(b->healthy());
  }
  SUBCASE("values are never mixed across sets") {
    PcrValues mixed = only(new_fw);
    mixed[HashAlg::sha256][0] = Bytes(32, 0x5a);  // the new set's PCR 0 is some other firmware's
    w.policy.pcrs.sets.push_back({"mixed", 0, mixed});
    auto a = w.attest();
    REQUIRE(a.ok());
    // PCR 7 matches the new set and PCR 0 the old reference, but no ONE set matches.
    CHECK(codes(*a) == std::vector<std::string>{"pcr_mismatch"});
  }
  SUBCASE("after its end a set no longer matches, and the reason says it expired") {
    w.policy.pcrs.reference.clear();
    w.policy.pcrs.sets.push_back({"bios-1.22", w.now - 1, only(new_fw)});
    auto a = w.attest();
    REQUIRE(a.ok());
    CHECK(codes(*a) == std::vector<std::string>{"pcr_mismatch"});
    CHECK(message_of(*a, reason::kPcrMismatch).find("match only reference set bios-1.22") != std::string::npos);
    // With a grace for pcr_mismatch the expiry is a warning first.
    w.policy.enforcement.grace["pcr_mismatch"] = 600;
    auto b = w.attest();
    REQUIRE(b.ok());
    CHECK(b->verdict() == Verdict::warning);
  }
}
