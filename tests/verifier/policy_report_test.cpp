// policy_report_test.cpp — report-only policies (issue 18) over HTTPS with the
// software workstation against the real service: a stricter candidate in
// report mode changes no answer, token or device row, but is counted in the
// metrics, the events and the report; a lenient candidate never softens the
// enforced verdict; a candidate that cannot be loaded never fails an
// attestation; bad requests are 4xx with precise errors.
#include <doctest/doctest.h>

#include "clock.h"
#include "paw/attest/result_token.h"
#include "soft_fleet.h"
#include "util.h"

namespace paw::test {
namespace {

// A reference for PCR 0 no machine has: every device fails it.
const std::string kStrict =
    R"({"name":"strict","pcrs":{"required":{"sha256":[0,7]},"reference":{"sha256":{"0":")" + std::string(64, 'a') +
    R"("}}},"login":{"token_binding":"bearer"}})";

std::string put_policy(Fleet& f, const std::string& name, const std::string& doc) {
  auto a = f.client().request("PUT", "/v1/admin/policies/" + name, doc, f.v->admin());
  REQUIRE_MESSAGE(a.status == 200, a.body);
  return a.body;
}

HttpAnswer attach(Fleet& f, const std::string& name, const std::string& body) {
  return f.client().request("PUT", "/v1/admin/policies/" + name + "/report", body, f.v->admin());
}

json::ObjectPtr report_of(Fleet& f, const std::string& name) {
  auto a = f.client().get("/v1/admin/policies/" + name + "/report", f.v->admin());
  REQUIRE_MESSAGE(a.status == 200, a.body);
  return a.json();
}

std::vector<verifier::EventRecord> events_of(Fleet& f, const std::string& type) {
  auto ev = f.v->service().store().list_events(0, 10000);
  REQUIRE(ev.ok());
  std::vector<verifier::EventRecord> out;
  for (auto& e : *ev) {
    if (e.type == type) out.push_back(e);
  }
  return out;
}

}  // namespace

TEST_CASE("policy report: a stricter report-only policy changes no answer but shows in metrics, events and the report") {
  Fleet f;
  f.v->use_bearer_logins();
  f.enroll();
  auto c = f.client();
  put_policy(f, "strict", kStrict);
  auto at = attach(f, "strict", R"({"target":"default"})");
  REQUIRE_MESSAGE(at.status == 200, at.body);
  CHECK(at.json()->getValue<std::string>("target") == "default");
  auto listed = c.get("/v1/admin/policies", f.v->admin());
  REQUIRE(listed.status == 200);
  CHECK(listed.body.find(R"("name":"strict","report_on":"default")") != std::string::npos);

  const auto before = f.v->service().store().get_device(f.dev->device_id);
  REQUIRE((before.ok() && before->has_value()));
  auto a = f.attest();
  REQUIRE_MESSAGE(a.status == 200, a.body);
  // The answer is the enforced policy's: healthy, a token saying so, login admitted.
  CHECK(a.json()->getValue<std::string>("verdict") == "healthy");
  CHECK(a.json()->getArray("reasons")->size() == 0);
  const std::string token = a.json()->getValue<std::string>("token");
  auto jwks = parse_jwks(c.get("/.well-known/jwks.json").body);
  REQUIRE(jwks.ok());
  auto claims = verify_result_token(token, *jwks, verifier::system_unix_now(), "paw-verifier");
  REQUIRE_MESSAGE(claims.ok(), claims.error().what());
  CHECK(claims->verdict == "healthy");
  CHECK(claims->policy == "default@2");
  CHECK(claims->reasons.empty());
  CHECK(c.get("/v1/authz", token).status == 204);
  // The device row: the enforced verdict, the enforced policy, no reason of the candidate.
  auto row = f.v->service().store().get_device(f.dev->device_id);
  REQUIRE((row.ok() && row->has_value()));
  CHECK((*row)->last_verdict == "healthy");
  CHECK((*row)->last_reasons == "[]");
  CHECK((*row)->verdict_policy == "default@2");
  CHECK((*row)->policy == (*before)->policy);
  CHECK((*row)->state_json.find("pcr_mismatch") == std::string::npos);

  // The report: one device judged, would be denied for pcr_mismatch.
  auto r = report_of(f, "strict");
  CHECK(r->getValue<std::string>("target") == "default");
  CHECK(r->getValue<std::int64_t>("devices_judged") == 1);
  CHECK(r->getValue<std::int64_t>("would_deny") == 1);
  auto reasons = r->getArray("reasons");
  REQUIRE(reasons->size() == 1);
  CHECK(reasons->getObject(0)->getValue<std::string>("code") == "pcr_mismatch");
  CHECK(reasons->getObject(0)->getValue<std::int64_t>("count") == 1);
  CHECK(reasons->getObject(0)->getArray("devices")->getElement<std::string>(0) == f.dev->device_id);
  auto dev = r->getArray("devices")->getObject(0);
  CHECK(dev->getValue<std::string>("verdict") == "unhealthy");
  CHECK(dev->getValue<std::string>("enforced_verdict") == "healthy");

  // The metric and the event.
  auto m = c.get("/metrics").body;
  CHECK(m.find("paw_policy_would_deny_total{policy=\"strict\",reason=\"pcr_mismatch\"} 1") != std::string::npos);
  auto ev = events_of(f, "policy_report");
  REQUIRE(ev.size() == 1);
  CHECK(ev[0].device_id == f.dev->device_id);
  CHECK(ev[0].detail.find("\"enforced_verdict\":\"healthy\"") != std::string::npos);
  CHECK(ev[0].detail.find("\"verdict\":\"unhealthy\"") != std::string::npos);

  // Again: still healthy, the counter moves, the report still counts one device.
  auto again = f.attest();
  REQUIRE(again.status == 200);
  CHECK(again.json()->getValue<std::string>("verdict") == "healthy");
  CHECK(c.get("/metrics").body.find("paw_policy_would_deny_total{policy=\"strict\",reason=\"pcr_mismatch\"} 2") !=
        std::string::npos);
  CHECK(report_of(f, "strict")->getValue<std::int64_t>("devices_judged") == 1);

  // A new version of the candidate starts afresh; its next judgement counts.
  put_policy(f, "strict", kStrict);
  auto fresh = report_of(f, "strict");
  CHECK(fresh->getValue<std::int64_t>("devices_judged") == 0);
  CHECK(fresh->getValue<std::int64_t>("older_versions") == 1);
  REQUIRE(f.attest().status == 200);
  CHECK(report_of(f, "strict")->getValue<std::int64_t>("would_deny") == 1);

  // Detached: no more judgements (no event, no count), the results stay readable.
  REQUIRE(f.client().request("DELETE", "/v1/admin/policies/strict/report", "", f.v->admin()).status == 200);
  REQUIRE(f.attest().status == 200);
  CHECK(events_of(f, "policy_report").size() == 3);
  CHECK(c.get("/metrics").body.find("paw_policy_would_deny_total{policy=\"strict\",reason=\"pcr_mismatch\"} 3") !=
        std::string::npos);
  auto after = report_of(f, "strict");
  CHECK(after->getValue<std::string>("target").empty());
  CHECK(after->getValue<std::int64_t>("would_deny") == 1);
}

TEST_CASE("policy report: a lenient report-only policy never softens the enforced verdict") {
  Fleet f;
  f.enroll();
  // Enforced: the impossible PCR 0 reference; the candidate: the lenient default.
  put_policy(f, "strict", kStrict);
  REQUIRE(f.client().request("POST", "/v1/admin/devices/" + f.dev->device_id + "/policy", R"({"name":"strict"})",
                             f.v->admin()).status == 200);
  put_policy(f, "lenient", R"({"name":"lenient","login":{"token_binding":"bearer"}})");
  REQUIRE(attach(f, "lenient", R"({"target":"strict"})").status == 200);
  auto a = f.attest();
  REQUIRE_MESSAGE(a.status == 200, a.body);
  CHECK(a.json()->getValue<std::string>("verdict") == "unhealthy");
  CHECK(a.json()->getArray("reasons")->getObject(0)->getValue<std::string>("code") == "pcr_mismatch");
  CHECK(f.client().get("/v1/authz", a.json()->getValue<std::string>("token")).status == 403);
  auto r = report_of(f, "lenient");
  CHECK(r->getValue<std::int64_t>("devices_judged") == 1);
  CHECK(r->getValue<std::int64_t>("would_deny") == 0);
  CHECK(r->getArray("devices")->getObject(0)->getValue<std::string>("verdict") == "healthy");
  CHECK(r->getArray("devices")->getObject(0)->getValue<std::string>("enforced_verdict") == "unhealthy");
  CHECK(f.client().get("/metrics").body.find("paw_policy_would_deny_total{") == std::string::npos);
}

TEST_CASE("policy report: a report-only policy that cannot be loaded never fails the attestation") {
  Fleet f;
  f.v->use_bearer_logins();
  f.enroll();
  put_policy(f, "strict", kStrict);
  REQUIRE(attach(f, "strict", R"({"target":"default"})").status == 200);
  // The stored document is damaged behind the service's back (a bad restore, a hand edit).
  REQUIRE(f.v->service().store().put_policy({"strict", 9, "{not json", verifier::system_unix_now()}).ok());
  auto a = f.attest();
  REQUIRE_MESSAGE(a.status == 200, a.body);
  CHECK(a.json()->getValue<std::string>("verdict") == "healthy");
  CHECK(f.client().get("/v1/authz", a.json()->getValue<std::string>("token")).status == 204);
  CHECK(events_of(f, "policy_report").empty());
  // Its report says so: the stored policy does not parse (503, not a crash).
  CHECK(f.client().get("/v1/admin/policies/strict/report", f.v->admin()).status == 503);
}

TEST_CASE("policy report: bad requests are refused with precise 4xx errors") {
  Fleet f;
  put_policy(f, "strict", kStrict);
  auto c = f.client();
  auto code = [](const HttpAnswer& a) { return a.json()->getValue<std::string>("error"); };
  auto a = attach(f, "strict", R"({"target":"strict"})");
  CHECK(a.status == 400);
  CHECK(a.body.find("cannot report on the devices it enforces") != std::string::npos);
  a = attach(f, "strict", R"({"target":"nope"})");
  CHECK(a.status == 404);
  CHECK(a.body.find("target policy nope not found") != std::string::npos);
  a = attach(f, "missing", R"({"target":"default"})");
  CHECK(a.status == 404);
  a = attach(f, "strict", R"({"target":"Bad Name"})");
  CHECK(a.status == 400);
  CHECK(code(a) == "malformed");
  CHECK(attach(f, "strict", R"({"target":"default","extra":1})").status == 400);
  CHECK(attach(f, "strict", R"({})").status == 400);
  CHECK(attach(f, "strict", R"([1])").status == 400);
  CHECK(attach(f, "strict", std::string(70000, ' ')).status == 413);
  CHECK(c.request("DELETE", "/v1/admin/policies/strict/report", "", f.v->admin()).status == 404);
  CHECK(c.get("/v1/admin/policies/missing/report", f.v->admin()).status == 404);
  CHECK(c.get("/v1/admin/policies/strict/report").status == 401);
  CHECK(c.request("PUT", "/v1/admin/policies/strict/report", R"({"target":"default"})").status == 401);
  // At most 16 report-only policies at once.
  for (int i = 0; i < 16; ++i) {
    const std::string n = "c" + std::to_string(i);
    put_policy(f, n, R"({"name":")" + n + "\"}");
    REQUIRE(attach(f, n, R"({"target":"default"})").status == 200);
  }
  put_policy(f, "c16", R"({"name":"c16"})");
  CHECK(attach(f, "c16", R"({"target":"default"})").status == 409);
  CHECK(attach(f, "c3", R"({"target":"strict"})").status == 200);  // re-targeting one is no new one
}

TEST_CASE("policy report: a candidate's grace runs on its own stored clock - would warn inside it, would deny after it") {
  Fleet f;
  f.v->use_bearer_logins();
  f.enroll();
  const std::string graced = R"({"name":"graced","pcrs":{"required":{"sha256":[0,7]},"reference":{"sha256":{"0":")" +
                             std::string(64, 'a') + R"("}}},"enforcement":{"grace":{"pcr_mismatch":"72h"}}})";
  put_policy(f, "graced", graced);
  REQUIRE(attach(f, "graced", R"({"target":"default"})").status == 200);
  REQUIRE(f.attest().status == 200);
  auto first = f.v->service().store().get_report_result("graced", f.dev->device_id);
  REQUIRE((first.ok() && first->has_value()));
  CHECK((*first)->verdict == "warning");
  CHECK((*first)->first_seen.find("pcr_mismatch") != std::string::npos);
  auto a = f.attest();
  REQUIRE(a.status == 200);
  CHECK(a.json()->getValue<std::string>("verdict") == "healthy");
  CHECK(a.json()->has("grace_until") == false);  // the candidate's grace is not the device's
  auto r = report_of(f, "graced");
  CHECK(r->getValue<std::int64_t>("would_warn") == 1);
  CHECK(r->getValue<std::int64_t>("would_deny") == 0);
  CHECK(f.client().get("/metrics").body.find("paw_policy_would_deny_total{") == std::string::npos);
  // The clock is the stored one: first seen 4 days ago, the 72 h are over.
  verifier::ReportResult old = **f.v->service().store().get_report_result("graced", f.dev->device_id);
  old.first_seen = R"({"pcr_mismatch":)" + std::to_string(verifier::system_unix_now() - 4 * 86400) + "}";
  REQUIRE(f.v->service().store().put_report_result(old).ok());
  a = f.attest();
  REQUIRE(a.status == 200);
  CHECK(a.json()->getValue<std::string>("verdict") == "healthy");
  r = report_of(f, "graced");
  CHECK(r->getValue<std::int64_t>("would_warn") == 0);
  CHECK(r->getValue<std::int64_t>("would_deny") == 1);
  CHECK(f.client().get("/metrics").body.find("paw_policy_would_deny_total{policy=\"graced\",reason=\"pcr_mismatch\"} 1") !=
        std::string::npos);
  auto row = f.v->service().store().get_device(f.dev->device_id);
  REQUIRE((row.ok() && row->has_value()));
  CHECK((*row)->state_json.find("pcr_mismatch") == std::string::npos);  // not in the device's own grace clock
}

}  // namespace paw::test
