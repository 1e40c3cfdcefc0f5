// evidence_tally_test.cpp — unauthenticated evidence is summed into at most
// one event per interval, whatever the rate (times are given, not waited for).
#include <doctest/doctest.h>

#include "evidence_tally.h"
#include "paw/attest/json.h"

namespace paw::verifier {

TEST_CASE("evidence tally: the first refusal is reported, the rest of the interval is summed") {
  EvidenceTally t(60);
  auto first = t.add("bad_signature", 1000);
  REQUIRE(first.has_value());
  CHECK(first->find("\"count\":1") != std::string::npos);
  for (int i = 0; i < 10000; ++i) CHECK_FALSE(t.add(i % 2 ? "bad_signature" : "nonce_mismatch", 1001 + i / 1000).has_value());
  CHECK_FALSE(t.flush(1059).has_value());
  auto summary = t.flush(1060);
  REQUIRE(summary.has_value());
  auto o = json::parse_object(*summary, 1 << 16);
  REQUIRE(o.ok());
  CHECK((*o)->getValue<std::int64_t>("count") == 10000);
  CHECK((*o)->getObject("by_error")->getValue<std::int64_t>("bad_signature") == 5000);
  CHECK((*o)->getObject("by_error")->getValue<std::int64_t>("nonce_mismatch") == 5000);
  CHECK((*o)->getValue<std::int64_t>("since") == 1001);
  // Nothing pending: nothing to report.
  CHECK_FALSE(t.flush(5000).has_value());
}

}  // namespace paw::verifier
