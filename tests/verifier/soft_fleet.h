// soft_fleet.h — the verifier service tests' world: a real HTTPS verifier
// (verifier_fixture.h) trusting a software EK CA, and one software
// workstation (tests/support/soft_device) that enrolls and attests through it.
#pragma once

#include <doctest/doctest.h>

#include <fstream>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "paw/attest/appraisal.h"
#include "paw/attest/evidence.h"
#include "soft_device.h"
#include "verifier_fixture.h"

namespace paw::test {

inline constexpr const char* kRp = "paw.example";

// Fleet: a verifier trusting a software EK CA, and one software workstation.
struct Fleet {
  TempDir ca_dir;
  TempDir fido_ca_dir;
  soft::SoftCa ek_ca = soft::SoftCa::generate("paw test EK CA").value();
  soft::SoftCa fido_ca = soft::SoftCa::generate("paw test FIDO CA").value();
  std::unique_ptr<TestVerifier> v;
  std::optional<soft::SoftDevice> dev;

  // The verifier trusts the software keys' attestation CA for every model
  // (--fido-ca-dir), as it would a vendor's; |tweak| may change that.
  explicit Fleet(std::vector<std::string> webhooks = {},
                 const std::function<void(verifier::Config&)>& tweak = {}) {
    std::ofstream(ca_dir / "ek-ca.pem") << ek_ca.cert_pem();
    std::ofstream(fido_ca_dir / "fido-ca.pem") << fido_ca.cert_pem();
    v = std::make_unique<TestVerifier>([&](verifier::Config& c) {
      c.rp_id = kRp;
      c.ek_ca_dir = ca_dir.path().string();
      c.fido_ca_dir = fido_ca_dir.path().string();
      c.webhooks = webhooks;
      if (tweak) tweak(c);
    });
    auto d = soft::SoftDevice::create(kRp, &ek_ca, &fido_ca);
    REQUIRE(d.ok());
    dev.emplace(std::move(*d));
    REQUIRE(dev->use_event_log(soft::make_event_log(soft::BootConfig{})).ok());
  }

  HttpsClient client() const { return v->client(); }

  // start_enrollment posts an enrollment request; returns the answer.
  HttpAnswer start_enrollment(const std::string& token) {
    auto req = dev->enrollment_request(token);
    REQUIRE(req.ok());
    return client().post("/v1/enrollments", serialize_enrollment_request(*req));
  }

  // enroll runs enrollment + activation and remembers the device id.
  void enroll() {
    auto a = start_enrollment(v->create_token());
    REQUIRE_MESSAGE(a.status == 201, a.body);
    auto o = a.json();
    auto secret = dev->tpm.activate_credential(*unbase64(o->getValue<std::string>("credential_blob")),
                                               *unbase64(o->getValue<std::string>("encrypted_secret")));
    REQUIRE(secret.ok());
    auto act = client().post("/v1/enrollments/" + o->getValue<std::string>("enrollment_id") + "/activation",
                             R"({"secret":")" + base64(secret->view()) + "\"}");
    REQUIRE_MESSAGE(act.status == 200, act.body);
    CHECK(act.json()->getValue<std::string>("status") == "enrolled");
    dev->device_id = act.json()->getValue<std::string>("device_id");
  }

  Bytes challenge() {
    auto ch = client().post("/v1/challenges", R"({"device_id":")" + dev->device_id + "\"}");
    REQUIRE_MESSAGE(ch.status == 201, ch.body);
    return *unhex(ch.json()->getValue<std::string>("nonce"));
  }

  std::string evidence(ByteView nonce) {
    auto env = dev->attest(nonce);
    REQUIRE(env.ok());
    return serialize_envelope(*env);
  }

  HttpAnswer attest() { return client().post("/v1/attestations", evidence(challenge())); }
};

// code_of is the "error" member of an error answer.
inline std::string code_of(const HttpAnswer& a) { return a.json()->getValue<std::string>("error"); }

}  // namespace paw::test
