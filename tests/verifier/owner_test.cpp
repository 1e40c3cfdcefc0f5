// owner_test.cpp — the owner against the real service: `token create
// --owner` binds the enrollment to a person; the device row, its tokens
// (claim "owner", sub stays the device) and events carry it; the health
// query (?user=) and /v1/authz (X-Paw-User) deny another person with
// owner_mismatch; the same TPM does not move to another owner without
// --replace.
#include <doctest/doctest.h>

#include "clock.h"
#include "paw/attest/result_token.h"
#include "soft_fleet.h"
#include "util.h"

namespace paw::test {
namespace {

std::string owner_token(Fleet& f, const std::string& owner, bool replace = false) {
  auto t = f.client().post("/v1/admin/tokens",
                           R"({"ttl_seconds":600,"owner":")" + owner + "\"" + (replace ? R"(,"replace":true)" : "") + "}",
                           f.v->admin());
  REQUIRE_MESSAGE(t.status == 201, t.body);
  CHECK(t.json()->getValue<std::string>("owner") == owner);
  return t.json()->getValue<std::string>("token");
}

// enroll_with runs enrollment + activation with |token|; returns the device id.
std::string enroll_with(Fleet& f, const std::string& token) {
  auto a = f.start_enrollment(token);
  REQUIRE_MESSAGE(a.status == 201, a.body);
  auto o = a.json();
  auto secret = f.dev->tpm.activate_credential(*unbase64(o->getValue<std::string>("credential_blob")),
                                               *unbase64(o->getValue<std::string>("encrypted_secret")));
  REQUIRE(secret.ok());
  auto act = f.client().post("/v1/enrollments/" + o->getValue<std::string>("enrollment_id") + "/activation",
                             R"({"secret":")" + base64(secret->view()) + "\"}");
  REQUIRE_MESSAGE(act.status == 200, act.body);
  return act.json()->getValue<std::string>("device_id");
}

}  // namespace

TEST_CASE("owner: bound at enrollment, carried by the device, tokens and events, checked at login") {
  Fleet f;
  f.v->use_bearer_logins();  // the software device has no login key
  auto c = f.client();
  const std::string admin = f.v->admin();
  // Bad owner names are refused when the token is made.
  CHECK(c.post("/v1/admin/tokens", R"({"ttl_seconds":600,"owner":"alice example"})", admin).status == 400);
  CHECK(c.post("/v1/admin/tokens", R"({"ttl_seconds":600,"owner":""})", admin).status == 400);
  f.dev->device_id = enroll_with(f, owner_token(f, "alice@example"));
  auto shown = c.get("/v1/admin/devices/" + f.dev->device_id, admin);
  REQUIRE(shown.status == 200);
  CHECK(shown.json()->getValue<std::string>("owner") == "alice@example");

  const std::int64_t before = verifier::system_unix_now();
  auto good = f.attest();
  REQUIRE_MESSAGE(good.status == 200, good.body);
  const std::string token = good.json()->getValue<std::string>("token");
  // The software key touched for this attestation: its time is the device's last presence.
  auto row = f.v->service().store().get_device(f.dev->device_id);
  REQUIRE((row.ok() && row->has_value()));
  CHECK((*row)->last_presence_at >= before);
  CHECK((*row)->last_presence_at == (*row)->last_attested_at);
  auto claims = decode_result_token(token);
  REQUIRE(claims.ok());
  CHECK(claims->sub == f.dev->device_id);
  CHECK(claims->owner == "alice@example");
  auto events = f.v->service().store().list_events(0, 1000);
  REQUIRE(events.ok());
  int with_owner = 0;
  for (const auto& e : *events) {
    if ((e.type == "enrollment" || e.type == "attestation") && e.detail.find(R"("owner":"alice@example")") != std::string::npos) {
      ++with_owner;
    }
  }
  CHECK(with_owner == 2);

  // Health query: ?user= must be the owner.
  const std::string rp = f.v->create_rp();
  const std::string health = "/v1/devices/" + f.dev->device_id + "/health";
  CHECK(c.get(health + "?user=alice@example", rp).json()->getValue<bool>("allow"));
  auto other = c.get(health + "?user=mallory@example", rp);
  REQUIRE(other.status == 200);
  CHECK_FALSE(other.json()->getValue<bool>("allow"));
  CHECK(other.body.find("owner_mismatch") != std::string::npos);
  CHECK(c.get(health + "?user=bad%20name", rp).status == 400);
  CHECK(c.get(health, rp).json()->getValue<bool>("allow"));  // no user named: not checked

  // /v1/authz: X-Paw-User must be the owner.
  auto as = [&](const std::string& user) {
    return c.request("GET", "/v1/authz", {}, token, {{"X-Paw-User", user}});
  };
  auto ok = as("alice@example");
  CHECK(ok.status == 204);
  CHECK(ok.header("X-Paw-Owner") == "alice@example");
  auto denied = as("mallory@example");
  CHECK(denied.status == 403);
  CHECK(denied.json()->getValue<std::string>("reason") == "owner_mismatch");
  CHECK(denied.header("X-Paw-Reason") == "owner_mismatch");
  CHECK(c.get("/v1/authz", token).status == 204);  // no X-Paw-User: not checked

  // The same TPM does not move to another owner without --replace.
  auto again = f.start_enrollment(owner_token(f, "mallory@example"));
  CHECK(again.status == 409);
  auto refused = f.v->service().store().list_events(0, 1000);
  REQUIRE(refused.ok());
  bool named = false;
  for (const auto& e : *refused) {
    named = named || (e.type == "enrollment_refused" && e.detail.find("ek_enrolled_to_another_owner") != std::string::npos);
  }
  CHECK(named);
  const std::string replaced = enroll_with(f, owner_token(f, "mallory@example", true));
  CHECK(c.get("/v1/admin/devices/" + replaced, admin).json()->getValue<std::string>("owner") == "mallory@example");
  CHECK(c.get("/v1/admin/devices/" + f.dev->device_id, admin).json()->getValue<std::string>("status") == "revoked");
}

}  // namespace paw::test
