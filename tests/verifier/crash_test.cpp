// kill -9 and restart: nothing the verifier acknowledged is lost; SIGTERM drains and exits 0.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "verifier_fixture.h"

namespace paw::test {

TEST_CASE("verifier process: acknowledged writes survive kill -9; SIGTERM exits 0") {
  auto st = init_verifier_state();
  std::vector<std::string> rps;
  std::vector<std::string> tokens;
  {
    ChildVerifier child(st->state());
    HttpsClient c("127.0.0.1", child.port(), st->cert());
    for (int i = 0; i < 5; ++i) {
      auto rp = c.post("/v1/admin/rp-credentials", R"({"label":"rp"})", st->admin);
      REQUIRE(rp.status == 201);
      rps.push_back(rp.json()->getValue<std::string>("credential"));
      auto pol = c.request("PUT", "/v1/admin/policies/p" + std::to_string(i), "{}", st->admin);
      REQUIRE(pol.status == 200);
    }
    auto rot = c.post("/v1/admin/keys/rotate", "", st->admin);
    REQUIRE(rot.status == 200);
    // Killed right after the last acknowledgement: no chance to flush anything.
    child.kill9();
  }
  ChildVerifier again(st->state());
  HttpsClient c("127.0.0.1", again.port(), st->cert());
  for (const auto& rp : rps) {
    // Authenticated (404 for an unknown device), not 401.
    CHECK(c.get("/v1/devices/none/health", rp).status == 404);
  }
  auto pols = c.get("/v1/admin/policies", st->admin);
  REQUIRE(pols.status == 200);
  CHECK(pols.json()->getArray("policies")->size() == 6);
  auto jwks = c.get("/.well-known/jwks.json");
  CHECK(jwks.body.find("\"kid\"") != std::string::npos);
  CHECK(again.terminate() == 0);
}

}  // namespace paw::test
