// policy_docs_test.cpp — every ```json example of docs/policy.md is a complete
// policy document that the lint accepts without a finding, so the reference a
// user copies from is never wrong.
#include <doctest/doctest.h>

#include <fstream>
#include <sstream>

#include "paw/attest/policy.h"
#include "paw/attest/policy_check.h"

using namespace paw;

TEST_CASE("policy docs: every JSON example in docs/policy.md checks clean and parses") {
  std::ifstream in(std::string(PAW_SOURCE_DIR) + "/docs/policy.md");
  REQUIRE(in);
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string md = ss.str();
  std::size_t examples = 0;
  for (std::size_t at = md.find("```json\n"); at != std::string::npos; at = md.find("```json\n", at)) {
    at += 8;
    const std::size_t end = md.find("```", at);
    REQUIRE(end != std::string::npos);
    const std::string doc = md.substr(at, end - at);
    const auto findings = check_policy_document(doc, 1800000000);
    std::string shown;
    for (const auto& f : findings) shown += format_finding(f) + "\n";
    CHECK_MESSAGE(findings.empty(), doc, "\n", shown);
    auto o = json::parse_object(doc, kMaxPolicySize, 6);
    REQUIRE(o.ok());
    if (!(*o)->has("name")) (*o)->set("name", std::string("docs"));
    CHECK(policy_from_json(*o).ok());
    ++examples;
    at = end + 3;
  }
  CHECK(examples >= 15);
}
