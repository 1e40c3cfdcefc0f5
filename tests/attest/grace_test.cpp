// Graded verdicts: durations, the policy's "enforcement" block, and grading
// reasons over a device's first sightings (attest/include/paw/attest/grace.h).
#include <doctest/doctest.h>

#include "paw/attest/grace.h"
#include "paw/attest/policy.h"

using namespace paw;

TEST_CASE("grace: durations in the enforcement block") {
  auto grace_of = [](const std::string& d) -> Result<std::int64_t> {
    auto p = parse_policy(R"({"name":"x","enforcement":{"grace":{"pcr_mismatch":)" + d + "}}}");
    if (!p.ok()) return p.error();
    return p->enforcement.grace.at("pcr_mismatch");
  };
  CHECK(*grace_of("90") == 90);
  CHECK(*grace_of(R"("90s")") == 90);
  CHECK(*grace_of(R"("30m")") == 1800);
  CHECK(*grace_of(R"("72h")") == 259200);
  CHECK(*grace_of(R"("30d")") == 30 * 86400);
  for (const char* bad : {R"("")", R"("h")", R"("-1h")", R"("31d")", R"("1w")", R"("1.5h")", R"("0x10")", R"("1hh")",
                          R"(" 1h")", R"("99999999999999999999")", "-5", "2592001"}) {
    CAPTURE(bad);
    CHECK(grace_of(bad).code() == Errc::malformed);
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

TEST_CASE("policy: reference sets parse strictly and round-trip") {
  const std::string h32(64, 'a');
  auto p = parse_policy(R"({"name":"fleet","pcrs":{"required":{"sha256":[0,7]},"reference":{"sha256":{"0":")" + h32 +
                        R"("}},"reference_sets":[{"name":"bios-1.22","not_after":1767225600,"values":{"sha256":{"0":")" +
                        h32 + R"(","7":")" + h32 + R"("}}}]}})");
  REQUIRE_MESSAGE(p.ok(), p.error().what());
  REQUIRE(p->pcrs.sets.size() == 1);
  CHECK(p->pcrs.sets[0].name == "bios-1.22");
  CHECK(p->pcrs.sets[0].not_after == 1767225600);
  auto again = parse_policy(serialize_policy(*p));
  REQUIRE(again.ok());
  CHECK(*again == *p);
  auto with = [&](const std::string& set) {
    return parse_policy(R"({"name":"x","pcrs":{"required":{"sha256":[0]},"reference_sets":[)" + set + "]}}");
  };
  CHECK(with(R"({"name":"a","values":{"sha256":{"0":")" + h32 + R"("}}})").ok());
  CHECK(with(R"({"name":"a","values":{"sha256":{"7":")" + h32 + R"("}}})").code() == Errc::malformed);  // not required
  CHECK(with(R"({"name":"a","values":{"sha256":{"0":"abcd"}}})").code() == Errc::malformed);            // wrong size
  CHECK(with(R"({"name":"A B","values":{"sha256":{"0":")" + h32 + R"("}}})").code() == Errc::malformed);
  CHECK(with(R"({"name":"a","values":{}})").code() == Errc::malformed);                                  // empty
  CHECK(with(R"({"name":"a","values":{"sha256":{"0":")" + h32 + R"("}},"x":1})").code() == Errc::malformed);
  const std::string one = R"({"name":"a","values":{"sha256":{"0":")" + h32 + R"("}}})";
  CHECK(with(one + "," + one).code() == Errc::malformed);  // duplicate name
}
