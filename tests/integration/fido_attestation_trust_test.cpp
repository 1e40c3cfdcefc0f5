// FIDO2 attestation that is verified, not assumed: a key's x5c proves its
// model only through a chain to a root configured for that model. The key is
// the virtual authenticator behind the real libfido2 path; its packed batch
// certificate is self-made, exactly what a software key (an attacker) sends.
#ifdef PAW_VIRTUAL_FIDO
#include <fstream>

#include "fido_fixture.h"

using namespace paw;
using namespace paw::test;

namespace {

const Bytes kDefaultModel = unhex(vfido::kDefaultAaguidHex).value();
const Bytes kOtherModel = unhex("00112233445566778899aabbccddeeff").value();

attest::FidoEnrollmentPolicy open_policy() {
  attest::FidoEnrollmentPolicy p;
  p.rp_id = kRpId;
  p.any_aaguid = true;
  p.now = static_cast<std::int64_t>(std::time(nullptr));
  return p;
}

}  // namespace

TEST_CASE("fido attestation: without a root for its model, a self-made x5c is self attestation") {
  VirtualKey key;
  auto e = enroll(key);
  REQUIRE_MESSAGE(e.ok(), e.error().what());
  REQUIRE(e->fmt == "packed");
  REQUIRE(e->attestation.x5c.size() == 1);
  SUBCASE("no roots at all, self attestation not allowed: refused") {
    auto r = attest::verify_fido_enrollment(evidence_of(*e), enroll_cdh(), open_policy());
    CHECK(r.code() == Errc::fido_attestation_invalid);
    if (!r.ok()) CHECK(r.error().detail.find("no configured attestation root") != std::string::npos);
  }
  SUBCASE("roots only for another model: refused the same way") {
    const auto roots = model_roots({kOtherModel});
    auto p = open_policy();
    p.attestation_roots = roots.get();
    CHECK(attest::verify_fido_enrollment(evidence_of(*e), enroll_cdh(), p).code() == Errc::fido_attestation_invalid);
  }
  SUBCASE("self attestation allowed: enrolled as self, flagged unchained") {
    auto p = open_policy();
    p.allow_self_attestation = true;
    auto c = attest::verify_fido_enrollment(evidence_of(*e), enroll_cdh(), p);
    REQUIRE_MESSAGE(c.ok(), c.error().what());
    CHECK(c->attestation_type == "self");
    CHECK(c->x5c_unchained);
  }
  SUBCASE("an AAGUID allowlist accepts no model claim that no chain proves") {
    auto p = open_policy();
    p.allow_self_attestation = true;
    p.any_aaguid = false;
    p.aaguid_allowlist = {kDefaultModel};
    auto r = attest::verify_fido_enrollment(evidence_of(*e), enroll_cdh(), p);
    CHECK(r.code() == Errc::fido_aaguid_not_allowed);
  }
  SUBCASE("a root for its model: basic") {
    const auto roots = model_roots({kDefaultModel});
    auto p = open_policy();
    p.attestation_roots = roots.get();
    p.any_aaguid = false;
    p.aaguid_allowlist = {kDefaultModel};
    auto c = attest::verify_fido_enrollment(evidence_of(*e), enroll_cdh(), p);
    REQUIRE_MESSAGE(c.ok(), c.error().what());
    CHECK(c->attestation_type == "basic");
    CHECK_FALSE(c->x5c_unchained);
  }
  SUBCASE("a root for its model that did not sign this x5c: untrusted_chain, not a downgrade") {
    // The model's root is some other certificate: the key claims the model
    // with a certificate of its own making.
    std::map<Bytes, std::vector<Bytes>> per{{kDefaultModel, {vfido::batch_certificate(kOtherModel).value()}}};
    auto roots = attest::FidoAttestationRoots::from_certificates({}, per);
    REQUIRE(roots.ok());
    auto p = open_policy();
    p.attestation_roots = roots->get();
    p.allow_self_attestation = true;
    CHECK(attest::verify_fido_enrollment(evidence_of(*e), enroll_cdh(), p).code() == Errc::untrusted_chain);
  }
}

TEST_CASE("fido attestation roots: per-model files and any-model files in --fido-ca-dir") {
  TempDir dir;
  const Bytes cert = vfido::batch_certificate(kDefaultModel).value();
  auto pem_of = [](const Bytes& der) {
    const std::string b64 = base64(der);
    std::string pem = "-----BEGIN CERTIFICATE-----\n";
    for (std::size_t i = 0; i < b64.size(); i += 64) pem += b64.substr(i, 64) + "\n";
    return pem + "-----END CERTIFICATE-----\n";
  };
  {
    std::ofstream(dir / "notes.txt") << "not a certificate\n";
    std::ofstream(dir / attest::aaguid_file_name(kDefaultModel)) << pem_of(cert);
  }
  auto roots = attest::FidoAttestationRoots::load_dir(dir.path().string());
  REQUIRE_MESSAGE(roots.ok(), roots.error().what());
  CHECK((*roots)->models() == 1);
  CHECK((*roots)->covers(kDefaultModel));
  CHECK_FALSE((*roots)->covers(kOtherModel));
  CHECK(attest::check_aaguid_allowlist_roots({kDefaultModel}, roots->get()).ok());
  CHECK(attest::check_aaguid_allowlist_roots({kDefaultModel, kOtherModel}, roots->get()).code() == Errc::config_error);
  CHECK(attest::check_aaguid_allowlist_roots({kDefaultModel}, nullptr).code() == Errc::config_error);
  CHECK(attest::check_aaguid_allowlist_roots({}, nullptr).ok());
  // A file under another name vouches for every model.
  std::ofstream(dir / "vendor-root.pem") << pem_of(vfido::batch_certificate(kOtherModel).value());
  roots = attest::FidoAttestationRoots::load_dir(dir.path().string());
  REQUIRE(roots.ok());
  CHECK((*roots)->covers(kOtherModel));
  // A per-model file that does not parse is an error, not silently skipped.
  std::ofstream(dir / attest::aaguid_file_name(kOtherModel)) << "garbage";
  CHECK(attest::FidoAttestationRoots::load_dir(dir.path().string()).code() == Errc::config_error);
}

#endif  // PAW_VIRTUAL_FIDO
