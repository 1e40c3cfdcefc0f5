// explain_test.cpp — GET /v1/admin/devices/{id}/explain over HTTPS against the
// real service: the software workstation, its real IMA list (ibmtss sha1.log)
// in PCR 10, a policy with "ima.required"; the answer lists each rule with
// the IMA entry or PCR that decided it, the value and the grace, from what
// the verifier stored with the attestation. Errors are 4xx.
#include <doctest/doctest.h>

#include "soft_fleet.h"
#include "test_data.h"

namespace paw::test {
namespace {

const char* const kKmodDigest = "sha256:5ad811f923e951403fb1252c25059628bab7c9b00925df7da01c2b5ba0b62d79";

// with_ima_required stores the default policy with |list| as "ima.required"
// and a grace for ima_required_missing.
void with_ima_required(Fleet& f, const std::string& list) {
  auto c = f.client();
  auto cur = c.get("/v1/admin/policies/default", f.v->admin());
  REQUIRE_MESSAGE(cur.status == 200, cur.body);
  json::ObjectPtr doc = cur.json();
  if (doc->has("policy")) doc = doc->getObject("policy");
  auto required = json::parse_object(R"({"required":)" + list + "}", 1u << 16);
  REQUIRE(required.ok());
  doc->set("ima", *required);
  auto grace = json::parse_object(R"({"grace":{"ima_required_missing":"1h"}})", 1u << 16);
  REQUIRE(grace.ok());
  doc->set("enforcement", *grace);
  doc->remove("version");
  auto put = c.request("PUT", "/v1/admin/policies/default", json::stringify(doc), f.v->admin());
  REQUIRE_MESSAGE(put.status == 200, put.body);
}

json::ObjectPtr rule_of(const json::ObjectPtr& explained, const std::string& rule, const std::string& subject) {
  auto rules = explained->getArray("rules");
  REQUIRE(!rules.isNull());
  for (std::size_t i = 0; i < rules->size(); ++i) {
    auto r = rules->getObject(static_cast<unsigned>(i));
    if (r->getValue<std::string>("rule") == rule && r->getValue<std::string>("subject") == subject) return r;
  }
  return nullptr;
}

}  // namespace

TEST_CASE("explain: the last attestation rule by rule, each with the evidence that decided it") {
  Fleet f;
  f.v->use_bearer_logins();
  REQUIRE(f.dev->use_ima_log(load(test_data("ibmtss/utils/sha1.log"))).ok());
  with_ima_required(f, std::string(R"([{"path":"/usr/bin/kmod","digests":[")") + kKmodDigest +
                           R"("]},{"path":"/opt/CrowdStrike/falcon-sensor","digests":["sha256:)" +
                           std::string(64, 'a') + R"("]}])");
  f.enroll();
  auto c = f.client();
  const std::string path = "/v1/admin/devices/" + f.dev->device_id + "/explain";

  SUBCASE("before any attestation: 409, nothing to explain") {
    auto a = c.get(path, f.v->admin());
    CHECK(a.status == 409);
  }
  SUBCASE("after one: every rule, its evidence and its grace") {
    auto at = f.attest();
    REQUIRE_MESSAGE(at.status == 200, at.body);
    REQUIRE(at.json()->getValue<std::string>("verdict") == "warning");  // the sensor is missing, graced
    auto a = c.get(path, f.v->admin());
    REQUIRE_MESSAGE(a.status == 200, a.body);
    auto o = a.json();
    CHECK(o->getValue<std::string>("device_id") == f.dev->device_id);
    CHECK(o->getValue<std::string>("verdict") == "warning");
    CHECK(o->getValue<std::string>("assigned_policy") == "default");
    CHECK(o->getValue<std::string>("policy").rfind("default@", 0) == 0);
    auto kmod = rule_of(o, "ima.required", "/usr/bin/kmod");
    REQUIRE(kmod);
    CHECK(kmod->getValue<std::string>("result") == "pass");
    CHECK(kmod->getValue<std::string>("evidence") == "IMA entry 1 (PCR 10)");
    CHECK(kmod->getValue<std::string>("value") == kKmodDigest);
    CHECK(kmod->getValue<std::int64_t>("grace_until") == 0);
    auto sensor = rule_of(o, "ima.required", "/opt/CrowdStrike/falcon-sensor");
    REQUIRE(sensor);
    CHECK(sensor->getValue<std::string>("result") == "fail");
    CHECK(sensor->getValue<std::string>("reason") == "ima_required_missing");
    CHECK(sensor->getValue<std::int64_t>("grace_until") == o->getValue<std::int64_t>("grace_until"));
    CHECK(sensor->getValue<std::int64_t>("grace_until") > 0);
    // The other rules of the policy are there too: the required PCRs against the quote.
    auto pcr0 = rule_of(o, "pcrs.required", "PCR 0 (sha256)");
    REQUIRE(pcr0);
    CHECK(pcr0->getValue<std::string>("result") == "pass");
    CHECK(pcr0->getValue<std::string>("evidence").rfind("quote", 0) == 0);
    CHECK(o->getArray("other_reasons")->size() == 0);
  }
  SUBCASE("unknown device 404, no admin credential 401, a bad id 4xx") {
    CHECK(c.get("/v1/admin/devices/0123456789abcdef/explain", f.v->admin()).status == 404);
    CHECK(c.get(path).status == 401);
    CHECK(c.get(path, "pawadm_wrong").status == 401);
    const int bad = c.get("/v1/admin/devices/%2e%2e/explain", f.v->admin()).status;
    CHECK((bad >= 400 && bad < 500));
  }
}

}  // namespace paw::test
