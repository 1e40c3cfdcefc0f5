// enroll_identity_test.cpp — one enrolled id per TPM, attacked over HTTPS with
// the software workstation: a revoked device's EK cannot come back with a
// fresh token, one TPM cannot hold a second id, and an admin's --replace
// token takes the TPM over with the old device revoked and audited.
#include <doctest/doctest.h>

#include "soft_fleet.h"
#include "util.h"

namespace paw::test {
namespace {

// enroll_with runs enrollment + activation with |token|; returns the activation answer.
HttpAnswer enroll_with(Fleet& f, const std::string& token) {
  auto a = f.start_enrollment(token);
  if (a.status != 201) return a;
  auto o = a.json();
  auto secret = f.dev->tpm.activate_credential(*unbase64(o->getValue<std::string>("credential_blob")),
                                               *unbase64(o->getValue<std::string>("encrypted_secret")));
  REQUIRE(secret.ok());
  return f.client().post("/v1/enrollments/" + o->getValue<std::string>("enrollment_id") + "/activation",
                         R"({"secret":")" + base64(secret->view()) + "\"}");
}

std::string replace_token(Fleet& f) {
  auto t = f.client().post("/v1/admin/tokens", R"({"ttl_seconds":600,"label":"reinstall","replace":true})",
                           f.v->admin());
  REQUIRE_MESSAGE(t.status == 201, t.body);
  CHECK(t.json()->getValue<bool>("replace"));
  return t.json()->getValue<std::string>("token");
}

std::string status_of(Fleet& f, const std::string& id) {
  auto d = f.client().get("/v1/admin/devices/" + id, f.v->admin());
  REQUIRE(d.status == 200);
  return d.json()->getValue<std::string>("status");
}

bool has_event(Fleet& f, const std::string& type, const std::string& device) {
  auto ev = f.v->service().store().list_events(0, 10000);
  REQUIRE(ev.ok());
  for (const auto& e : *ev) {
    if (e.type == type && e.device_id == device) return true;
  }
  return false;
}

}  // namespace

TEST_CASE("enroll identity: a TPM already enrolled cannot enroll again under another id without --replace") {
  Fleet f;
  f.enroll();
  const std::string first = f.dev->device_id;
  REQUIRE(f.attest().status == 200);

  SUBCASE("the device is still enrolled: a second id for the same TPM is refused") {}
  SUBCASE("the device was revoked: its TPM cannot come back with a fresh token") {
    REQUIRE(f.client().post("/v1/admin/devices/" + first + "/revoke", "", f.v->admin()).status == 200);
  }
  const std::string token = f.v->create_token();
  auto again = f.start_enrollment(token);
  CHECK(again.status == 409);
  CHECK(code_of(again) == "conflict");
  CHECK(has_event(f, "enrollment_refused", first));
  // The refusal does not use up the token (the admin may still decide).
  CHECK(f.start_enrollment(token).status == 409);

  // An admin's --replace token: the TPM enrolls as a new device, the old one is revoked, audited.
  auto act = enroll_with(f, replace_token(f));
  REQUIRE_MESSAGE(act.status == 200, act.body);
  const std::string second = act.json()->getValue<std::string>("device_id");
  CHECK(second != first);
  CHECK(status_of(f, first) == "revoked");
  CHECK(status_of(f, second) == "enrolled");
  CHECK(has_event(f, "device_replaced", first));
  f.dev->device_id = second;
  CHECK(f.attest().status == 200);
  // The old id stays dead: no challenge for it.
  CHECK(f.client().post("/v1/challenges", R"({"device_id":")" + first + "\"}").status == 403);
}

TEST_CASE("enroll identity: deleting the old device frees its TPM — another TPM is not affected") {
  Fleet f;
  f.enroll();
  const std::string first = f.dev->device_id;
  // Another workstation enrolls normally.
  {
    auto other = soft::SoftDevice::create(kRp, &f.ek_ca, &f.fido_ca);
    REQUIRE(other.ok());
    std::swap(*f.dev, *other);
    REQUIRE(f.dev->use_event_log(soft::make_event_log(soft::BootConfig{})).ok());
    auto act = enroll_with(f, f.v->create_token());
    CHECK(act.status == 200);
    std::swap(*f.dev, *other);
  }
  REQUIRE(f.client().request("DELETE", "/v1/admin/devices/" + first, "", f.v->admin()).status == 204);
  auto act = enroll_with(f, f.v->create_token());
  CHECK_MESSAGE(act.status == 200, act.body);
}

}  // namespace paw::test
