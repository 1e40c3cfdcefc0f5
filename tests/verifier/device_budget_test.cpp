// The per-device attestation budget cannot be spent by someone who only
// knows the device id: a flood of challenge requests and of evidence signed
// by another TPM, all in the victim's name, while the real (software)
// workstation keeps attesting.
#include <doctest/doctest.h>

#include <fstream>

#include "paw/attest/appraisal.h"
#include "paw/attest/evidence.h"
#include "soft_device.h"
#include "util.h"
#include "verifier_fixture.h"

namespace paw::test {
namespace {

constexpr const char* kRp = "paw.example";

Bytes challenge_for(const HttpsClient& c, const std::string& device_id, int* status = nullptr) {
  auto ch = c.post("/v1/challenges", R"({"device_id":")" + device_id + "\"}");
  if (status != nullptr) *status = ch.status;
  if (ch.status != 201) return {};
  return *unhex(ch.json()->getValue<std::string>("nonce"));
}

}  // namespace

TEST_CASE("device budget: challenge and junk-evidence floods in a victim's name do not lock the real device out") {
  TempDir ca_dir;
  auto ek_ca = soft::SoftCa::generate("paw test EK CA").value();
  auto fido_ca = soft::SoftCa::generate("paw test FIDO CA").value();
  TempDir fido_ca_dir;  // the software key's attestation CA, trusted like a vendor's
  std::ofstream(ca_dir / "ek-ca.pem") << ek_ca.cert_pem();
  std::ofstream(fido_ca_dir / "fido-ca.pem") << fido_ca.cert_pem();
  TestVerifier v([&](verifier::Config& c) {
    c.rp_id = kRp;
    c.ek_ca_dir = ca_dir.path().string();
    c.fido_ca_dir = fido_ca_dir.path().string();
    c.rate_per_device = 1;  // burst 4
  });
  auto c = v.client();
  // The victim: a genuine workstation, enrolled.
  auto victim = soft::SoftDevice::create(kRp, &ek_ca, &fido_ca).value();
  REQUIRE(victim.use_event_log(soft::make_event_log(soft::BootConfig{})).ok());
  auto er = victim.enrollment_request(v.create_token());
  REQUIRE(er.ok());
  auto a = c.post("/v1/enrollments", serialize_enrollment_request(*er));
  REQUIRE_MESSAGE(a.status == 201, a.body);
  auto secret = victim.tpm.activate_credential(*unbase64(a.json()->getValue<std::string>("credential_blob")),
                                               *unbase64(a.json()->getValue<std::string>("encrypted_secret")));
  REQUIRE(secret.ok());
  auto act = c.post("/v1/enrollments/" + a.json()->getValue<std::string>("enrollment_id") + "/activation",
                    R"({"secret":")" + base64(secret->view()) + "\"}");
  REQUIRE_MESSAGE(act.status == 200, act.body);
  victim.device_id = act.json()->getValue<std::string>("device_id");

  // The attacker knows the id: 40 challenges for it (ten times the burst) …
  for (int i = 0; i < 40; ++i) {
    int status = 0;
    (void)challenge_for(c, victim.device_id, &status);
    CHECK(status == 201);
  }
  // … and 10 submissions of evidence quoted by its own TPM with a real
  // nonce issued for the victim: the signature does not verify with the
  // victim's AK, so none of it counts against the victim's budget.
  auto attacker = soft::SoftDevice::create(kRp, &ek_ca, &fido_ca).value();
  REQUIRE(attacker.use_event_log(soft::make_event_log(soft::BootConfig{})).ok());
  attacker.device_id = victim.device_id;
  for (int i = 0; i < 10; ++i) {
    auto env = attacker.attest(challenge_for(c, victim.device_id));
    REQUIRE(env.ok());
    const auto r = c.post("/v1/attestations", serialize_envelope(*env));
    CHECK(r.status == 422);
  }
  // Ids that do not exist get no budget bucket, whatever is sent for them.
  for (int i = 0; i < 20; ++i) {
    int status = 0;
    (void)challenge_for(c, "no-such-device-" + std::to_string(i), &status);
    CHECK(status == 404);
  }
  CHECK(v.service().device_budgets() == 0);
  // The real workstation still attests, healthy.
  auto real = c.post("/v1/attestations", serialize_envelope(*victim.attest(challenge_for(c, victim.device_id))));
  REQUIRE_MESSAGE(real.status == 200, real.body);
  CHECK(real.json()->getValue<std::string>("verdict") == "healthy");
  CHECK(v.service().device_budgets() == 1);

  // The budget still binds the device itself: verified attestations in a
  // quick row run it dry (burst 4 at 1/s), and the answer says so.
  int refused = 0;
  for (int i = 0; i < 12 && refused == 0; ++i) {
    auto r = c.post("/v1/attestations", serialize_envelope(*victim.attest(challenge_for(c, victim.device_id))));
    if (r.status == 429) {
      ++refused;
      CHECK(r.json()->getValue<std::string>("error") == "rate_limited");
      CHECK(r.header("Retry-After") == "1");
    } else {
      CHECK(r.status == 200);
    }
  }
  CHECK(refused == 1);
}

}  // namespace paw::test
