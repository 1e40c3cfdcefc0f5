// policy_check_service_test.cpp — PUT /v1/admin/policies/NAME runs the policy
// lint (paw/attest/policy_check.h): a document with errors is 400 malformed
// with every finding in the body and nothing changes in the store; warnings
// do not refuse; a policy stored before "schema" existed still loads.
#include <doctest/doctest.h>

#include "clock.h"
#include "paw/attest/policy.h"
#include "paw/attest/policy_check.h"
#include "util.h"
#include "verifier_fixture.h"

namespace paw::test {
namespace {

std::int64_t count_type(const HttpsClient& c, const std::string& admin, const std::string& type) {
  auto a = c.get("/v1/admin/events?limit=1000", admin);
  REQUIRE(a.status == 200);
  std::int64_t n = 0;
  auto arr = a.json()->getArray("events");
  for (std::size_t i = 0; i < arr->size(); ++i) {
    if (arr->getObject(static_cast<unsigned>(i))->getValue<std::string>("type") == type) ++n;
  }
  return n;
}

bool has_finding(const json::ArrayPtr& arr, const std::string& severity, const std::string& code,
                 const std::string& path) {
  for (std::size_t i = 0; arr && i < arr->size(); ++i) {
    auto f = arr->getObject(static_cast<unsigned>(i));
    if (f && f->optValue<std::string>("severity", "") == severity && f->optValue<std::string>("code", "") == code &&
        f->optValue<std::string>("path", "") == path && !f->optValue<std::string>("message", "").empty()) {
      return true;
    }
  }
  return false;
}

}  // namespace

TEST_CASE("verifier: PUT of a policy with errors is 400 with every finding, and the store is unchanged") {
  TestVerifier v;
  auto c = v.client();
  auto& store = v.service().store();
  auto put = c.request("PUT", "/v1/admin/policies/lint", R"({"max_attestation_age_seconds":600})", v.admin());
  REQUIRE_MESSAGE(put.status == 200, put.body);
  auto before = store.get_policy("lint");
  REQUIRE(before.ok());
  REQUIRE(before->has_value());
  const std::int64_t updates = count_type(c, v.admin(), "policy_update");

  // Three errors the parser would report one at a time, and one warning.
  const std::string bad = R"({"fido":{"requird":true},"enforcement":{"grace":{"fido_missing":"1h"}},
    "pcrs":{"required":{"sha256":[0,2,4,7,10]}},"secure_boot_required":true,"boot_applications":[")" +
                          std::string(64, 'a') + R"("],"max_attestation_age_seconds":60})";
  auto refused = c.request("PUT", "/v1/admin/policies/lint", bad, v.admin());
  REQUIRE_MESSAGE(refused.status == 400, refused.body);
  auto body = refused.json();
  CHECK(body->getValue<std::string>("error") == "malformed");
  CHECK(body->getValue<std::string>("message").find("2 error(s)") != std::string::npos);
  auto findings = body->getArray("findings");
  REQUIRE(findings);
  CHECK(has_finding(findings, "error", "unknown_field", "$.fido.requird"));
  CHECK(has_finding(findings, "error", "grace_never_graceable", "$.enforcement.grace.fido_missing"));
  CHECK(has_finding(findings, "warning", "pcr_volatile", "$.pcrs.required.sha256"));
  CHECK(findings->size() == 3);
  // pawctl reads them back.
  CHECK(findings_from_json(findings).size() == 3);

  // Nothing changed: same version and document, no policy_update event.
  auto after = store.get_policy("lint");
  REQUIRE(after.ok());
  REQUIRE(after->has_value());
  CHECK((*after)->version == (*before)->version);
  CHECK((*after)->json == (*before)->json);
  CHECK(count_type(c, v.admin(), "policy_update") == updates);
  CHECK(c.get("/v1/admin/policies/lint", v.admin()).json()->getValue<std::int64_t>("max_attestation_age_seconds") == 600);

  // A policy that does not exist yet is not created by a refused PUT.
  auto fresh = c.request("PUT", "/v1/admin/policies/fresh", R"({"schema":2})", v.admin());
  CHECK(fresh.status == 400);
  CHECK(has_finding(fresh.json()->getArray("findings"), "error", "schema_unknown", "$.schema"));
  auto none = store.get_policy("fresh");
  REQUIRE(none.ok());
  CHECK_FALSE(none->has_value());
  CHECK(c.get("/v1/admin/policies/fresh", v.admin()).status == 404);

  // A name in the body that differs from the URL's.
  auto other = c.request("PUT", "/v1/admin/policies/lint", R"({"name":"other"})", v.admin());
  CHECK(other.status == 400);
  CHECK(has_finding(other.json()->getArray("findings"), "error", "name_mismatch", "$.name"));
  // Not JSON at all: still 400 with a finding, never 5xx.
  for (const std::string junk : {"[]", "{", "\"x\"", R"({"pcrs":{"required":{"sha256":[18446744073709551615]}}})",
                                  R"({"schema":18446744073709551615})"}) {
    auto j = c.request("PUT", "/v1/admin/policies/lint", junk, v.admin());
    CHECK_MESSAGE(j.status == 400, junk, j.body);
  }
  // A rule without the PCR that binds its facts: the set-time rule, now a finding.
  auto unbound = c.request("PUT", "/v1/admin/policies/lint", R"({"pcrs":{"required":{"sha256":[0,2]}}})", v.admin());
  CHECK(unbound.status == 400);
  CHECK(unbound.body.find("needs PCR 7") != std::string::npos);
  CHECK(has_finding(unbound.json()->getArray("findings"), "error", "rule_needs_pcr", "$.secure_boot_required"));
  CHECK((*store.get_policy("lint"))->version == (*before)->version);
}

TEST_CASE("verifier: a policy with only warnings is stored, with its schema") {
  TestVerifier v;
  auto c = v.client();
  const std::string v32(64, 'b');
  const std::string doc = R"({"schema":1,"pcrs":{"reference_sets":[{"name":"old","not_after":1000,
    "values":{"sha256":{"0":")" + v32 + R"("}}}]}})";
  CHECK_FALSE(has_errors(check_policy_document(doc, verifier::system_unix_now())));
  auto put = c.request("PUT", "/v1/admin/policies/warned", doc, v.admin());
  REQUIRE_MESSAGE(put.status == 200, put.body);
  CHECK(put.json()->getValue<std::int64_t>("schema") == 1);
  auto stored = v.service().store().get_policy("warned");
  REQUIRE(stored.ok());
  REQUIRE(stored->has_value());
  CHECK((*stored)->json.find("\"schema\":1") != std::string::npos);
}

TEST_CASE("verifier: a policy stored before schema, reference sets and enforcement still loads and checks clean") {
  TestVerifier v;
  auto c = v.client();
  // The document as an earlier release stored it.
  const std::string old = R"({"name":"legacy","version":3,
    "pcrs":{"required":{"sha256":[0,2,4,7]},"reference":{},"pin_on_enroll":true},
    "secure_boot_required":true,"boot_applications":[],"event_log_required":true,
    "ima":{"required":false,"allowlist":[]},
    "fido":{"required":true,"user_presence":true,"user_verification":false,"aaguid_allowlist":[],
            "allow_zero_counter":false,"allow_self_attestation":false,"allow_none_attestation":false},
    "max_attestation_age_seconds":3600,"token_ttl_seconds":600,
    "host":{"disk_encryption_required":true,"os_release_allowlist":[]},
    "reboot":{"allow":true},"ek":{"allow_tofu":false},"require_admin_approval":false})";
  REQUIRE(v.service().store().put_policy({"legacy", 3, old, verifier::system_unix_now()}).ok());
  auto got = c.get("/v1/admin/policies/legacy", v.admin());
  REQUIRE_MESSAGE(got.status == 200, got.body);
  CHECK(got.json()->getValue<std::int64_t>("version") == 3);
  CHECK(got.json()->getValue<std::int64_t>("schema") == 1);
  CHECK(got.json()->getObject("login")->getValue<std::string>("token_binding") == "bearer");
  CHECK(check_policy_document(old, verifier::system_unix_now(), "legacy").empty());
  // Set again as it is, it passes the lint and raises the version.
  auto put = c.request("PUT", "/v1/admin/policies/legacy", old, v.admin());
  REQUIRE_MESSAGE(put.status == 200, put.body);
  CHECK(put.json()->getValue<std::int64_t>("version") == 4);
}

TEST_CASE("verifier: a policy PUT with If-Match replaces only the version it read (pawctl refs import-deb)") {
  TestVerifier v;
  auto c = v.client();
  auto& store = v.service().store();
  REQUIRE(c.request("PUT", "/v1/admin/policies/edit", R"({"max_attestation_age_seconds":600})", v.admin()).status == 200);
  auto got = c.get("/v1/admin/policies/edit", v.admin());
  REQUIRE(got.status == 200);
  CHECK(got.header("ETag") == "\"1\"");

  // Someone else stores version 2 in between: the edit of version 1 is refused, nothing changes.
  REQUIRE(c.request("PUT", "/v1/admin/policies/edit", R"({"max_attestation_age_seconds":900})", v.admin()).status == 200);
  auto stale = c.request("PUT", "/v1/admin/policies/edit", R"({"max_attestation_age_seconds":60})", v.admin(),
                         {{"If-Match", "\"1\""}});
  CHECK(stale.status == 409);
  CHECK(stale.body.find("at version 2, not 1") != std::string::npos);
  auto kept = store.get_policy("edit");
  REQUIRE(kept.ok());
  REQUIRE(kept->has_value());
  CHECK((*kept)->version == 2);
  CHECK((*kept)->json.find("\"max_attestation_age_seconds\":900") != std::string::npos);

  // The current version is replaced; a malformed If-Match is 400.
  CHECK(c.request("PUT", "/v1/admin/policies/edit", R"({"max_attestation_age_seconds":60})", v.admin(),
                  {{"If-Match", "\"2\""}}).status == 200);
  CHECK(c.request("PUT", "/v1/admin/policies/edit", R"({"max_attestation_age_seconds":60})", v.admin(),
                  {{"If-Match", "\"latest\""}}).status == 400);
  // The built-in default policy is version 1 until stored.
  CHECK(c.request("PUT", "/v1/admin/policies/default", R"({"max_attestation_age_seconds":600})", v.admin(),
                  {{"If-Match", "\"1\""}}).status == 200);
}

}  // namespace paw::test
