// Credentials and enrollment tokens through the real verifier (SQLite): list,
// revoke, expiry, and an audit trail naming the acting credential.
#include <doctest/doctest.h>

#include "clock.h"
#include "paw/attest/digest.h"
#include "service.h"
#include "state.h"
#include "store/store.h"
#include "util.h"
#include "verifier_fixture.h"

namespace paw::test {
namespace {

std::string id_with_label(const HttpAnswer& list, const std::string& key, const std::string& label) {
  auto arr = list.json()->getArray(key);
  for (std::size_t i = 0; i < arr->size(); ++i) {
    auto o = arr->getObject(static_cast<unsigned>(i));
    if (o->getValue<std::string>("label") == label) return o->getValue<std::string>("id");
  }
  return {};
}

std::string database(TestVerifier& v) { return "sqlite:" + v.state().state() + "/paw.db"; }

}  // namespace

TEST_CASE("credentials: listed without secrets, revoked at once, the last admin kept, audited by name") {
  TestVerifier v;
  auto c = v.client();
  auto second = verifier::create_admin_credential(database(v), "ops-laptop");
  REQUIRE(second.ok());
  const std::string rp = v.create_rp();
  auto list = c.get("/v1/admin/credentials", *second);
  REQUIRE(list.status == 200);
  CHECK(list.json()->getArray("credentials")->size() == 3);
  CHECK(list.body.find(verifier::sha256_hex(*second)) == std::string::npos);  // no hashes
  CHECK(list.body.find(R"("state":"active")") != std::string::npos);
  const std::string initial = id_with_label(list, "credentials", "initial");
  const std::string ops = id_with_label(list, "credentials", "ops-laptop");
  const std::string rp_id = id_with_label(list, "credentials", "rp");
  REQUIRE((!initial.empty() && !ops.empty() && !rp_id.empty()));

  // The relying party's credential stops working on the next request.
  CHECK(c.get("/v1/devices/00000000000000000000000000000000/health", rp).status == 404);
  auto r = c.post("/v1/admin/credentials/" + rp_id + "/revoke", "", *second);
  REQUIRE_MESSAGE(r.status == 200, r.body);
  CHECK(r.json()->getValue<std::string>("state") == "revoked");
  CHECK(c.get("/v1/devices/00000000000000000000000000000000/health", rp).status == 401);
  CHECK(c.post("/v1/admin/credentials/" + rp_id + "/revoke", "", *second).status == 409);
  CHECK(c.post("/v1/admin/credentials/rp-0000/revoke", "", *second).status == 404);

  // An admin may revoke another admin, even the one it was made by; the last one stays.
  REQUIRE(c.post("/v1/admin/credentials/" + initial + "/revoke", "", *second).status == 200);
  CHECK(c.get("/v1/admin/devices", v.admin()).status == 401);
  auto last = c.post("/v1/admin/credentials/" + ops + "/revoke", "", *second);
  CHECK(last.status == 409);
  CHECK(last.body.find("last usable admin credential") != std::string::npos);

  // The audit log names the acting credential by id and name.
  auto events = c.get("/v1/admin/events?limit=1000", *second).body;
  CHECK(events.find(R"("type":"credential_revocation")") != std::string::npos);
  CHECK(events.find(R"("by_name":"ops-laptop")") != std::string::npos);
  CHECK(events.find(R"("credential_name":"ops-laptop")") != std::string::npos);
  CHECK(events.find(R"("reason":"revoked credential")") != std::string::npos);
}

TEST_CASE("credentials: an expired credential is refused and the refusal says why in the audit log") {
  TestVerifier v;
  auto c = v.client();
  // Relying-party credentials may be made with an expiry.
  auto rp = c.post("/v1/admin/rp-credentials", R"({"label":"short","expires_in_seconds":3600})", v.admin());
  REQUIRE(rp.status == 201);
  CHECK(rp.json()->getValue<std::int64_t>("expires_at") > verifier::system_unix_now());
  CHECK(c.post("/v1/admin/rp-credentials", R"({"expires_in_seconds":5})", v.admin()).status == 400);
  // An admin credential that expired a second ago (written as the CLI would, back-dated).
  auto store = verifier::open_store(database(v));
  REQUIRE(store.ok());
  const std::string secret = "pawadm_expired-for-the-test";
  const std::int64_t now = verifier::system_unix_now();
  REQUIRE((*store)
              ->add_credential({"admin-old", verifier::CredentialKind::admin, verifier::sha256_hex(secret), "old laptop",
                                now - 100, now - 1, 0})
              .ok());
  CHECK(c.get("/v1/admin/devices", secret).status == 401);
  auto events = c.get("/v1/admin/events?limit=1000", v.admin()).body;
  CHECK(events.find(R"("reason":"expired credential")") != std::string::npos);
  CHECK(events.find(R"("credential_name":"old laptop")") != std::string::npos);
  auto list = c.get("/v1/admin/credentials", v.admin());
  CHECK(list.body.find(R"("state":"expired")") != std::string::npos);
}

TEST_CASE("tokens: listed by id, an unused one revoked, a used or unknown one not") {
  TestVerifier v;
  auto c = v.client();
  v.create_token(3600, "for-alice");
  v.create_token(3600, "for-bob");
  auto list = c.get("/v1/admin/tokens", v.admin());
  REQUIRE(list.status == 200);
  CHECK(list.json()->getArray("tokens")->size() == 2);
  CHECK(list.body.find("pawenr_") == std::string::npos);  // never the token itself
  const std::string alice = id_with_label(list, "tokens", "for-alice");
  REQUIRE(alice.size() == 16);
  auto r = c.post("/v1/admin/tokens/" + alice + "/revoke", "", v.admin());
  REQUIRE_MESSAGE(r.status == 200, r.body);
  CHECK(r.json()->getValue<std::string>("state") == "revoked");
  CHECK(c.post("/v1/admin/tokens/" + alice + "/revoke", "", v.admin()).status == 409);
  CHECK(c.post("/v1/admin/tokens/0000000000000000/revoke", "", v.admin()).status == 404);
  auto after = c.get("/v1/admin/tokens", v.admin());
  CHECK(after.body.find(R"("state":"revoked")") != std::string::npos);
  CHECK(after.body.find(R"("state":"unused")") != std::string::npos);
  auto events = c.get("/v1/admin/events?limit=1000", v.admin()).body;
  CHECK(events.find(R"("type":"token_revocation")") != std::string::npos);
  CHECK(events.find(R"("by_name":"initial")") != std::string::npos);
  // Every admin call's audit event names the credential.
  CHECK(events.find(R"("credential_name":"initial")") != std::string::npos);
}

}  // namespace paw::test

namespace paw::test {

TEST_CASE("audit: a follower's long polls of the event stream are not audited each, its first read and refusals are") {
  TestVerifier v;
  auto c = v.client();
  auto next_of = [](const HttpAnswer& a) { return a.json()->getValue<std::int64_t>("next"); };
  // The first plain read is audited: the next read finds its "admin" event.
  auto first = c.get("/v1/admin/events?after=0&limit=1000", v.admin());
  REQUIRE(first.status == 200);
  const std::int64_t after_first = next_of(first);
  auto audited = c.get("/v1/admin/events?after=" + std::to_string(after_first), v.admin());
  REQUIRE(audited.status == 200);
  CHECK(audited.json()->getArray("events")->size() == 1);
  CHECK(audited.body.find("GET /v1/admin/events") != std::string::npos);
  const std::int64_t mark = next_of(audited);  // this read's own audit event comes after |mark|
  // Long polls (wait=1) answered 200: no new event each (else a follower reads its own audit forever).
  auto own = c.get("/v1/admin/events?after=" + std::to_string(mark) + "&wait=1", v.admin());
  REQUIRE(own.status == 200);
  REQUIRE(own.json()->getArray("events")->size() == 1);  // the plain read's audit
  const std::int64_t quiet_from = next_of(own);
  for (int i = 0; i < 2; ++i) {
    auto poll = c.get("/v1/admin/events?after=" + std::to_string(quiet_from) + "&wait=1", v.admin());
    REQUIRE(poll.status == 200);
    CHECK(poll.json()->getArray("events")->size() == 0);
  }
  // A refused long poll is audited.
  CHECK(c.get("/v1/admin/events?after=0&wait=1", "pawadm_wrong").status == 401);
  auto after_refusal = c.get("/v1/admin/events?after=" + std::to_string(quiet_from) + "&wait=1", v.admin());
  REQUIRE(after_refusal.status == 200);
  CHECK(after_refusal.json()->getArray("events")->size() == 1);
  CHECK_MESSAGE(after_refusal.body.find("admin_auth_failed") != std::string::npos, after_refusal.body);
}

}  // namespace paw::test
