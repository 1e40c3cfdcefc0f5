// kill -9 and restart: nothing the verifier acknowledged is lost; SIGTERM drains and exits 0.
#include <doctest/doctest.h>

#include <chrono>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "paw/attest/appraisal.h"
#include "paw/attest/evidence.h"
#include "soft_device.h"
#include "verifier_fixture.h"

namespace paw::test {

TEST_CASE("verifier process: acknowledged writes survive kill -9, SIGTERM exits 0") {
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

namespace paw::test {

TEST_CASE("verifier process: SIGTERM drains an in-flight request, answers it, exits 0") {
  auto st = init_verifier_state();
  ChildVerifier child(st->state());
  HttpsClient c("127.0.0.1", child.port(), st->cert());
  REQUIRE(c.get("/healthz").status == 200);
  int status = 0;
  std::thread poll([&] {
    // A long poll that would wait 20 s: shutdown must end it early with an answer.
    try {
      status = c.get("/v1/admin/events?after=1000000&wait=20", st->admin).status;
    } catch (...) {
      status = -1;
    }
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(400));
  const auto t0 = std::chrono::steady_clock::now();
  CHECK(child.terminate() == 0);
  poll.join();
  CHECK(status == 200);
  CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::seconds(10));
}

}  // namespace paw::test

namespace paw::test {

TEST_CASE("verifier process: an acknowledged enrollment, verdict and consumed nonce survive kill -9") {
  auto st = init_verifier_state();
  TempDir ca_dir;
  auto ek_ca = soft::SoftCa::generate("crash EK CA").value();
  auto fido_ca = soft::SoftCa::generate("crash FIDO CA").value();
  std::ofstream(ca_dir / "ek.pem") << ek_ca.cert_pem();
  TempDir fido_dir;
  std::ofstream(fido_dir / "fido-ca.pem") << fido_ca.cert_pem();
  const std::vector<std::string> flags = {"--ek-ca-dir", ca_dir.path().string(), "--fido-ca-dir",
                                          fido_dir.path().string(), "--rp-id", "paw.example"};
  auto dev = soft::SoftDevice::create("paw.example", &ek_ca, &fido_ca).value();
  REQUIRE(dev.use_event_log(soft::make_event_log(soft::BootConfig{})).ok());
  std::string evidence, token;
  {
    ChildVerifier child(st->state(), flags);
    HttpsClient c("127.0.0.1", child.port(), st->cert());
    // The software device has no login key: its token is presented alone (bearer logins).
    REQUIRE(c.request("PUT", "/v1/admin/policies/default", R"({"login":{"token_binding":"bearer"}})", st->admin).status == 200);
    auto t = c.post("/v1/admin/tokens", R"({"ttl_seconds":600})", st->admin);
    REQUIRE(t.status == 201);
    auto en = c.post("/v1/enrollments",
                     serialize_enrollment_request(*dev.enrollment_request(t.json()->getValue<std::string>("token"))));
    REQUIRE_MESSAGE(en.status == 201, en.body);
    auto secret = dev.tpm.activate_credential(*unbase64(en.json()->getValue<std::string>("credential_blob")),
                                              *unbase64(en.json()->getValue<std::string>("encrypted_secret")));
    REQUIRE(secret.ok());
    auto act = c.post("/v1/enrollments/" + en.json()->getValue<std::string>("enrollment_id") + "/activation",
                      R"({"secret":")" + base64(secret->view()) + "\"}");
    REQUIRE(act.status == 200);
    dev.device_id = act.json()->getValue<std::string>("device_id");
    auto ch = c.post("/v1/challenges", R"({"device_id":")" + dev.device_id + "\"}");
    REQUIRE(ch.status == 201);
    evidence = serialize_envelope(*dev.attest(*unhex(ch.json()->getValue<std::string>("nonce"))));
    auto a = c.post("/v1/attestations", evidence);
    REQUIRE_MESSAGE(a.status == 200, a.body);
    token = a.json()->getValue<std::string>("token");
    child.kill9();
  }
  ChildVerifier again(st->state(), flags);
  HttpsClient c("127.0.0.1", again.port(), st->cert());
  auto d = c.get("/v1/admin/devices/" + dev.device_id, st->admin);
  REQUIRE(d.status == 200);
  CHECK(d.json()->getValue<std::string>("last_verdict") == "healthy");
  CHECK(c.get("/v1/authz", token).status == 204);
  auto replay = c.post("/v1/attestations", evidence);
  CHECK(replay.status == 409);
  // The FIDO2 counter and clock state persisted: the next attestation is accepted.
  auto ch = c.post("/v1/challenges", R"({"device_id":")" + dev.device_id + "\"}");
  REQUIRE(ch.status == 201);
  auto next = c.post("/v1/attestations", serialize_envelope(*dev.attest(*unhex(ch.json()->getValue<std::string>("nonce")))));
  CHECK(next.status == 200);
  CHECK(again.terminate() == 0);
}

}  // namespace paw::test
