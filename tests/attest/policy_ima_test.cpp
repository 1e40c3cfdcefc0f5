// policy_ima_test.cpp — the list form of "ima.required" in a policy document:
// read strictly, written back unchanged, the boolean form of earlier
// documents still read, and the lint naming every bad entry with its path.
#include <doctest/doctest.h>

#include <string>

#include "paw/attest/grace.h"
#include "paw/attest/policy.h"
#include "paw/attest/policy_check.h"
#include "policy_findings.h"

using namespace paw;
using namespace paw::test;

namespace {

constexpr std::int64_t kNow = 1800000000;
const std::string kSha256(64, 'a');

std::string doc(const std::string& ima) { return R"({"name": "edr", "ima": )" + ima + "}"; }

}  // namespace

TEST_CASE("policy ima.required: a list of files with digests is read, written back and round-trips") {
  auto p = parse_policy(doc(R"({"required": [
      {"path": "/usr/bin/falcon-sensor", "digests": ["SHA256:)" + std::string(64, 'A') + R"(", "sha1:)" +
                            std::string(40, 'b') + R"("]},
      {"path": "/usr/lib/modules/6.10/kernel/falcon_lsm.ko.xz", "digests": ["sha512:)" + std::string(128, 'c') +
                            R"("]}]})"));
  REQUIRE_MESSAGE(p.ok(), p.error().what());
  CHECK(p->ima.required);  // the list implies the log
  REQUIRE(p->ima.required_files.size() == 2);
  CHECK(p->ima.required_files[0].path == "/usr/bin/falcon-sensor");
  // Canonical: the algorithm and hex lowercase, as the IMA entry is compared.
  CHECK(p->ima.required_files[0].digests ==
        std::set<std::string>{"sha256:" + kSha256, "sha1:" + std::string(40, 'b')});
  auto back = parse_policy(serialize_policy(*p));
  REQUIRE(back.ok());
  CHECK(*back == *p);
  CHECK(check_policy_document(serialize_policy(*p), kNow).empty());
}

TEST_CASE("policy ima.required: the boolean form of earlier documents still loads") {
  for (const char* v : {"true", "false"}) {
    auto p = parse_policy(doc(std::string(R"({"required": )") + v + "}"));
    REQUIRE(p.ok());
    CHECK(p->ima.required == (std::string(v) == "true"));
    CHECK(p->ima.required_files.empty());
    CHECK(serialize_policy(*p).find(std::string(R"("required":)") + v) != std::string::npos);
  }
}

TEST_CASE("policy ima.required: malformed entries are refused, each with its own message") {
  const std::string good = R"("digests": ["sha256:)" + kSha256 + R"("])";
  const std::pair<std::string, std::string> cases[] = {
      {R"([{"path": "/x", )" + good + R"(, "digest": []}])", "unknown field \"digest\""},
      {R"([{"path": "/x", "digests": ["sha256:abc"]}])", "64 hex digits"},
      {R"([{"path": "/x", "digests": ["md4:)" + kSha256 + R"("]}])", "not one IMA logs"},
      {R"([{"path": "/x", "digests": [")" + kSha256 + R"("]}])", "<alg>:<hex>"},
      {R"([{"path": "/x", "digests": []}])", "lists no digest"},
      {R"([{"path": "", )" + good + "}]", "1 to 4096 bytes"},
      {R"([{"path": "/x\u001b[2J", )" + good + "}]", "without control characters"},
      {R"([{"path": "/x", )" + good + R"(}, {"path": "/x", )" + good + "}]", "listed twice"},
      {R"(["/x"])", "not an object"},
      {R"([{"digests": ["sha256:)" + kSha256 + R"("]}])", "path"},
  };
  for (const auto& entry : cases) {
    // Named copies, not a structured binding: clang 14 cannot capture one in doctest's lambdas.
    const std::string& list = entry.first;
    const std::string& want = entry.second;
    auto p = parse_policy(doc(R"({"required": )" + list + "}"));
    REQUIRE_MESSAGE(!p.ok(), list);
    CHECK(p.code() == Errc::malformed);
    CHECK_MESSAGE(p.error().detail.find(want) != std::string::npos, list, " → ", p.error().detail);
  }
  // Built in code: the list without the log required is refused (it could never pass).
  Policy q = default_policy();
  q.ima.required_files.push_back({"/x", {"sha256:" + kSha256}});
  CHECK_FALSE(validate_policy(q).ok());
  q.ima.required = true;
  CHECK(validate_policy(q).ok());
  q.ima.required_files[0].digests = {"SHA256:" + kSha256};
  CHECK_FALSE(validate_policy(q).ok());  // not canonical: it would never equal an IMA entry's digest
}

TEST_CASE("policy check: ima.required findings name each bad entry and digest") {
  const std::string text = doc(R"({"required": [
      {"path": "/usr/bin/falcon-sensor", "digests": ["sha256:)" + kSha256 + R"(", "sha256:12", 7], "size": 1},
      {"path": "/usr/bin/falcon-sensor", "digests": ["sha256:)" + kSha256 + R"("]},
      {"path": "", "digests": []},
      "/usr/bin/agent",
      {"path": "/usr/bin/paw-agent", "digests": ["sha384:00"]}]})");
  const auto fs = check_policy_document(text, kNow);
  INFO(all(fs));
  CHECK(has(fs, "unknown_field", "$.ima.required[0].size"));
  CHECK(has(fs, "ima_required_digest", "$.ima.required[0].digests[1]"));
  CHECK(has(fs, "ima_required_digest", "$.ima.required[0].digests[2]"));
  CHECK(has(fs, "ima_required_duplicate", "$.ima.required[1].path"));
  CHECK(has(fs, "ima_required_path", "$.ima.required[2].path"));
  CHECK(has(fs, "ima_required_entry", "$.ima.required[3]"));
  CHECK(has(fs, "ima_required_digest", "$.ima.required[4].digests[0]"));
  CHECK(has(fs, "ima_required_no_digest", "$.ima.required[4].digests"));
  // Everything the lint reported was taken out: the rest parses, no catch-all finding.
  CHECK_FALSE(has(fs, "invalid_value"));
  CHECK(has_errors(fs));
}

TEST_CASE("policy check: grace on the ima.required reasons") {
  const std::string list = R"({"required": [{"path": "/x", "digests": ["sha256:)" + kSha256 + R"("]}]})";
  SUBCASE("missing may be graced, and the grace has effect only with a list") {
    const std::string g = R"(, "enforcement": {"grace": {"ima_required_missing": "72h"}}})";
    auto with = check_policy_document(R"({"name": "edr", "ima": )" + list + g, kNow);
    CHECK_MESSAGE(with.empty(), all(with));
    auto without = check_policy_document(R"({"name": "edr", "ima": {"required": true})" + g, kNow);
    CHECK(has(without, "grace_no_effect", "$.enforcement.grace.ima_required_missing"));
  }
  SUBCASE("a digest mismatch never") {
    auto fs = check_policy_document(
        R"({"name": "edr", "ima": )" + list + R"(, "enforcement": {"grace": {"ima_required_digest_mismatch": "1h"}}})",
        kNow);
    const Finding* f = has(fs, "grace_never_graceable");
    REQUIRE(f != nullptr);
    CHECK(f->message.find("replaced binary") != std::string::npos);
    CHECK(reason_graceable("ima_required_missing"));
    CHECK_FALSE(reason_graceable("ima_required_digest_mismatch"));
  }
}
