// Graded verdicts: durations, the policy's "enforcement" block, and grading
// reasons over a device's first sightings (attest/include/paw/attest/grace.h).
#include <doctest/doctest.h>

#include "paw/attest/grace.h"
#include "paw/attest/policy.h"

using namespace paw;

TEST_CASE("grace: durations") {
  CHECK(*parse_duration("90") == 90);
  CHECK(*parse_duration("90s") == 90);
  CHECK(*parse_duration("30m") == 1800);
  CHECK(*parse_duration("72h") == 259200);
  CHECK(*parse_duration("30d") == 30 * 86400);
  for (const char* bad : {"", "h", "-1h", "31d", "1w", "1.5h", "0x10", "1hh", " 1h", "99999999999999999999"}) {
    CAPTURE(bad);
    CHECK(parse_duration(bad).code() == Errc::malformed);
  }
}

TEST_CASE("grace: the policy's enforcement block") {
  auto p = parse_policy(R"({"name":"fleet","enforcement":{"grace":{"pcr_mismatch":"72h","os_not_allowed":604800}}})");
  REQUIRE_MESSAGE(p.ok(), p.error().what());
  CHECK(p->enforcement.grace.at("pcr_mismatch") == 259200);
  CHECK(p->enforcement.grace.at("os_not_allowed") == 604800);
  auto again = parse_policy(serialize_policy(*p));
  REQUIRE(again.ok());
  CHECK(*again == *p);
  // A document from before enforcement existed still loads, without grace.
  auto old = parse_policy(R"({"name":"old"})");
  REQUIRE(old.ok());
  CHECK(old->enforcement.grace.empty());

  SUBCASE("tampering can never be graced, and the error says why") {
    for (const char* code : {"fido_missing", "fido_counter_frozen", "clock_anomaly", "login_key_bad_signature",
                             "pcr_not_quoted", "eventlog_missing", "secure_boot_off"}) {
      CAPTURE(code);
      auto r = parse_policy(std::string(R"({"name":"x","enforcement":{"grace":{")") + code + R"(":"1h"}}})");
      CHECK(r.code() == Errc::malformed);
      CHECK(r.error().detail.find("can never be graced") != std::string::npos);
    }
  }
  SUBCASE("bad shapes") {
    CHECK(parse_policy(R"({"name":"x","enforcement":{"grace":{"pcr_mismatch":"1w"}}})").code() == Errc::malformed);
    CHECK(parse_policy(R"({"name":"x","enforcement":{"grace":{"pcr_mismatch":0}}})").code() == Errc::malformed);
    CHECK(parse_policy(R"({"name":"x","enforcement":{"grace":{"pcr_mismatch":true}}})").code() == Errc::malformed);
    CHECK(parse_policy(R"({"name":"x","enforcement":{"never_grace":[]}})").code() == Errc::malformed);
    CHECK(parse_policy(R"({"name":"x","enforcement":[]})").code() == Errc::malformed);
  }
}

TEST_CASE("grace: grading reasons over first sightings") {
  Enforcement e;
  e.grace["pcr_mismatch"] = 100;
  e.grace["os_not_allowed"] = 1000;
  const ResultReason pcr{"pcr_mismatch", "PCR 0 differs"};
  const ResultReason os{"os_not_allowed", "Debian 11"};
  const ResultReason fido{"fido_missing", "no key"};

  Grading none = grade_reasons({}, {{"pcr_mismatch", 5}}, e, 50);
  CHECK(none.verdict == Verdict::healthy);
  CHECK(none.first_seen.empty());  // gone reasons are forgotten: they start afresh when they come back

  Grading g1 = grade_reasons({pcr, os}, {}, e, 1000);
  CHECK(g1.verdict == Verdict::warning);
  CHECK(g1.grace_until == 1100);  // the earliest end
  CHECK(g1.reasons[0].grace_until == 1100);
  CHECK(g1.reasons[1].grace_until == 2000);
  CHECK(g1.first_seen == std::map<std::string, std::int64_t>{{"pcr_mismatch", 1000}, {"os_not_allowed", 1000}});

  Grading g2 = grade_reasons({pcr, os}, g1.first_seen, e, 1099);
  CHECK(g2.verdict == Verdict::warning);
  CHECK(g2.grace_until == 1100);
  Grading g3 = grade_reasons({pcr, os}, g2.first_seen, e, 1100);
  CHECK(g3.verdict == Verdict::unhealthy);
  CHECK(g3.grace_until == 0);
  CHECK(g3.reasons[0].grace_until == 0);
  CHECK(g3.reasons[1].grace_until == 2000);  // still shown: this one alone would be tolerated

  Grading g4 = grade_reasons({pcr, fido}, {}, e, 10);
  CHECK(g4.verdict == Verdict::unhealthy);

  // A first sighting in the future (a state written with a wrong clock) counts from now, never later.
  Grading g5 = grade_reasons({pcr}, {{"pcr_mismatch", 5000}}, e, 1000);
  CHECK(g5.grace_until == 1100);
  // A grace for a code that is not graceable (a policy built in code) does not apply.
  Enforcement bad;
  bad.grace["fido_missing"] = 100;
  CHECK(grade_reasons({fido}, {}, bad, 10).verdict == Verdict::unhealthy);
}
