// GET /metrics behind a credential (--metrics-auth credential): nothing or a
// wrong credential is 401, an RP credential is 401 (it is no admin one), any
// admin credential (read scope is enough) gets the metrics; a successful
// scrape is not audited (one event per scrape would flood the trail), a
// refused one is. Without the setting /metrics stays open, as before.
#include <doctest/doctest.h>

#include "verifier_fixture.h"

using namespace paw;
using paw::test::TestVerifier;

TEST_CASE("metrics auth: credential mode needs an admin credential, read scope suffices") {
  TestVerifier v([](verifier::Config& c) { c.metrics_auth = true; });
  auto c = v.client();
  auto made = c.post("/v1/admin/credentials",
                     R"({"scope":"read","label":"prometheus","expires_in_seconds":3600})", v.admin());
  REQUIRE_MESSAGE(made.status == 201, made.body);
  const std::string read = made.json()->getValue<std::string>("credential");

  auto none = c.get("/metrics");
  CHECK(none.status == 401);
  CHECK(none.body.find("paw_http_requests_total") == std::string::npos);
  CHECK(c.get("/metrics", "pawadm_not-a-credential").status == 401);
  CHECK(c.get("/metrics", v.create_rp()).status == 401);  // a relying party's credential is not an admin one

  const std::int64_t before = v.service().store().last_event_id().value();
  auto ok = c.get("/metrics", read);
  REQUIRE(ok.status == 200);
  CHECK(ok.content_type.find("text/plain") != std::string::npos);
  CHECK(ok.body.find("# TYPE paw_devices gauge") != std::string::npos);
  CHECK(c.get("/metrics", v.admin()).status == 200);
  // Two successful scrapes: no event; the refused ones above were audited.
  CHECK(v.service().store().last_event_id().value() == before);
  auto events = c.get("/v1/admin/events?limit=1000", v.admin()).body;
  CHECK(events.find(R"("type":"admin_auth_failed")") != std::string::npos);
  CHECK(events.find(R"("route":"GET /metrics")") != std::string::npos);
  // Every admin call names the actor's kind, and the target of the path.
  CHECK(c.get("/v1/admin/devices/0123456789abcdef0123456789abcdef", read).status == 404);
  events = c.get("/v1/admin/events?limit=1000", v.admin()).body;
  CHECK(events.find(R"("credential_kind":"api_credential")") != std::string::npos);
  CHECK(events.find(R"("target":"0123456789abcdef0123456789abcdef")") != std::string::npos);
}

TEST_CASE("metrics auth: the default leaves /metrics open") {
  TestVerifier v;
  auto c = v.client();
  auto open = c.get("/metrics");
  REQUIRE(open.status == 200);
  CHECK(open.body.find("# TYPE paw_devices gauge") != std::string::npos);
}
