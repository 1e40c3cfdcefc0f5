// Admin credential scopes through the real verifier (SQLite, TLS): each
// scope against a representative endpoint of each class, table-driven; a
// call outside the scope is 403 insufficient_scope, changes nothing and is
// audited with the scope it lacked.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "clock.h"
#include "paw/attest/json.h"
#include "state.h"
#include "store/store.h"
#include "util.h"
#include "verifier_fixture.h"

namespace paw::test {
namespace {

struct Call {
  const char* klass;   // the scope the endpoint needs
  std::string method;
  std::string path;
  std::string body;
  int ok_status;
};

// calls are one endpoint of each class; each succeeds when allowed (and
// changes something: a token, a policy, a key), so a refusal is visible.
std::vector<Call> calls_for(const std::string& tag, const std::string& policy_body) {
  return {
      {"read", "GET", "/v1/admin/devices", "", 200},
      {"devices", "POST", "/v1/admin/tokens", R"({"ttl_seconds":3600,"label":")" + tag + R"("})", 201},
      {"policy", "PUT", "/v1/admin/policies/copy-" + tag, policy_body, 200},
      {"full", "POST", "/v1/admin/keys/rotate", "{}", 200},
  };
}

bool allowed(const std::string& scope, const std::string& klass) {
  return scope == "full" || klass == "read" || scope == klass;
}

// fingerprint is what a refused call must not change: tokens, policies, signing keys.
std::string fingerprint(const HttpsClient& c, const std::string& admin, verifier::Service& svc) {
  auto keys = svc.store().list_signing_keys();
  REQUIRE(keys.ok());
  return c.get("/v1/admin/tokens", admin).body + "|" + c.get("/v1/admin/policies", admin).body + "|" +
         std::to_string(keys->size());
}

}  // namespace

TEST_CASE("admin scopes: each scope against an endpoint of each class, refusals are 403 insufficient_scope") {
  TestVerifier v;
  auto c = v.client();
  // A policy document the policy endpoint accepts: the default one, renamed per call.
  auto def = c.get("/v1/admin/policies/default", v.admin());
  REQUIRE(def.status == 200);
  for (const std::string scope : {"read", "devices", "policy", "full"}) {
    auto made = c.post("/v1/admin/credentials",
                       R"({"scope":")" + scope + R"(","label":"auto-)" + scope + R"(","expires_in_seconds":3600})",
                       v.admin());
    REQUIRE_MESSAGE(made.status == 201, made.body);
    CHECK(made.json()->getValue<std::string>("scope") == scope);
    CHECK(made.json()->getValue<std::int64_t>("expires_at") > verifier::system_unix_now());
    const std::string cred = made.json()->getValue<std::string>("credential");
    const std::string cred_id = made.json()->getValue<std::string>("id");
    auto doc = def.json();
    for (auto call : calls_for(scope, "")) {
      if (std::string(call.klass) == "policy") {
        doc->set("name", "copy-" + scope);
        call.body = json::stringify(doc);
      }
      CAPTURE(scope);
      CAPTURE(call.path);
      const std::string before = fingerprint(c, v.admin(), v.service());
      auto r = c.request(call.method, call.path, call.body, cred);
      if (allowed(scope, call.klass)) {
        CHECK_MESSAGE(r.status == call.ok_status, r.body);
      } else {
        CHECK(r.status == 403);
        CHECK(r.json()->getValue<std::string>("error") == "insufficient_scope");
        CHECK(r.json()->getValue<std::string>("needed") == call.klass);
        CHECK(fingerprint(c, v.admin(), v.service()) == before);
      }
    }
    // The audit trail names the credential, its scope and what it lacked.
    auto events = c.get("/v1/admin/events?limit=1000", v.admin()).body;
    if (scope != "full") {
      CHECK(events.find(R"("credential":")" + cred_id + R"(")") != std::string::npos);
      CHECK(events.find(R"("error":"insufficient_scope")") != std::string::npos);
    }
  }
}

TEST_CASE("admin scopes: existing credentials are full, scoped ones list their scope, bad requests are 400") {
  TestVerifier v;
  auto c = v.client();
  auto list = c.get("/v1/admin/credentials", v.admin());
  REQUIRE(list.status == 200);
  CHECK(list.body.find(R"("scope":"full")") != std::string::npos);
  CHECK(c.post("/v1/admin/credentials", R"({"scope":"root"})", v.admin()).status == 400);
  CHECK(c.post("/v1/admin/credentials", R"({"label":"x"})", v.admin()).status == 400);
  CHECK(c.post("/v1/admin/credentials", R"({"scope":"read","expires_in_seconds":5})", v.admin()).status == 400);
  // A read credential cannot make a credential (no escalation by minting a full one).
  auto reader = verifier::create_admin_credential("sqlite:" + v.state().state() + "/paw.db", "ro", 0,
                                                  verifier::AdminScope::read);
  REQUIRE(reader.ok());
  auto r = c.post("/v1/admin/credentials", R"({"scope":"full"})", *reader);
  CHECK(r.status == 403);
  CHECK(r.json()->getValue<std::string>("error") == "insufficient_scope");
  // Nor revoke the full one it would want gone.
  CHECK(c.post("/v1/admin/credentials/admin-x/revoke", "", *reader).status == 403);
  CHECK(c.get("/v1/admin/credentials", *reader).status == 200);
  // The last full credential stays, whatever read-only ones exist.
  auto ids = c.get("/v1/admin/credentials", v.admin()).json()->getArray("credentials");
  std::string initial;
  for (std::size_t i = 0; i < ids->size(); ++i) {
    auto o = ids->getObject(static_cast<unsigned>(i));
    if (o->getValue<std::string>("label") == "initial") initial = o->getValue<std::string>("id");
  }
  REQUIRE(!initial.empty());
  CHECK(c.post("/v1/admin/credentials/" + initial + "/revoke", "", v.admin()).status == 409);
}

}  // namespace paw::test
