// appraisal_enrollment_test.cpp — enrollment end to end with genuine TPM 2.0
// and FIDO2 structures from the software device: a genuine request enrolls and
// only its TPM recovers the activation secret; the request JSON is parsed
// strictly; the EK chain and binding, the AK's attributes and the FIDO2
// attestation rules (roots, self/none, AAGUID, relying party, token and AK
// bound into the attestation) each refuse with their own code.
#include <doctest/doctest.h>
#include <tss2/tss2_mu.h>

#include <string>

#include "appraisal_world.h"
#include "paw/attest/appraisal.h"
#include "paw/attest/fido.h"

using namespace paw;
using namespace paw::soft;
using namespace paw::test;

namespace {

// set_ak_attributes rewrites a TPM2B_PUBLIC's objectAttributes.
Bytes with_attributes(const Bytes& tpm2b, TPMA_OBJECT clear, TPMA_OBJECT set) {
  TPM2B_PUBLIC pub{};
  std::size_t off = 0;
  REQUIRE(Tss2_MU_TPM2B_PUBLIC_Unmarshal(tpm2b.data(), tpm2b.size(), &off, &pub) == TSS2_RC_SUCCESS);
  pub.publicArea.objectAttributes = (pub.publicArea.objectAttributes & ~clear) | set;
  pub.size = 0;
  std::uint8_t buf[sizeof pub];
  off = 0;
  REQUIRE(Tss2_MU_TPM2B_PUBLIC_Marshal(&pub, buf, sizeof buf, &off) == TSS2_RC_SUCCESS);
  return Bytes(buf, buf + off);
}

}  // namespace

TEST_CASE("enrollment: genuine request enrolls, the recovered secret activates, a wrong one does not") {
  AppraisalWorld w;
  auto req = w.dev.enrollment_request(kEnrollToken);
  REQUIRE(req.ok());
  auto v = verify_enrollment(*req, w.ctx(), w.policy);
  REQUIRE_MESSAGE(v.ok(), v.error().what());
  CHECK(v->secret().size() == kActivationSecretSize);
  CHECK(v->secret_hash() == sha256(v->secret().view()));
  CHECK_FALSE(v->requires_approval());
  const DeviceRecord& rec = v->record();
  CHECK(rec.device_id.empty());
  CHECK(rec.ak_public == w.dev.tpm.ak_public());
  CHECK(rec.ak_name == w.dev.tpm.ak_name());
  CHECK(rec.ek_cert == w.dev.tpm.ek_cert());
  CHECK_FALSE(rec.ek_tofu);
  REQUIRE(rec.fido.has_value());
  CHECK(rec.fido->credential_id == w.dev.fido.credential_id());
  CHECK(rec.fido->attestation_type == "basic");
  CHECK(rec.fido->aaguid == w.dev.fido.aaguid());

  auto secret = w.dev.tpm.activate_credential(v->credential_blob(), v->encrypted_secret());
  REQUIRE(secret.ok());
  CHECK(secret->equals(v->secret().view()));
  CHECK(check_activation(v->secret_hash(), secret->view()).ok());
  Bytes wrong(secret->view().begin(), secret->view().end());
  wrong[5] ^= 1;
  CHECK(check_activation(v->secret_hash(), wrong).code() == Errc::activation_failed);
  CHECK(check_activation(v->secret_hash(), {}).code() == Errc::activation_failed);

  // Only the TPM holding the EK recovers the secret.
  auto other = SoftTpm::create(&w.ek_ca);
  REQUIRE(other.ok());
  CHECK(other->activate_credential(v->credential_blob(), v->encrypted_secret()).code() == Errc::activation_failed);
}

TEST_CASE("enrollment: the request JSON round-trips and is parsed strictly") {
  AppraisalWorld w;
  auto req = w.dev.enrollment_request(kEnrollToken);
  REQUIRE(req.ok());
  const std::string text = serialize_enrollment_request(*req);
  auto back = parse_enrollment_request(text);
  REQUIRE_MESSAGE(back.ok(), back.error().what());
  CHECK(back->token.equals(as_bytes(kEnrollToken)));
  CHECK(back->ek_cert == req->ek_cert);
  CHECK(back->ek_public == req->ek_public);
  CHECK(back->ak_public == req->ak_public);
  CHECK(back->fido == req->fido);
  CHECK(back->host == req->host);
  CHECK(back->pcrs == req->pcrs);
  CHECK(back->event_log == req->event_log);
  CHECK(verify_enrollment(*back, w.ctx(), w.policy).ok());

  std::string unknown = text;
  unknown.insert(1, R"("extra":1,)");
  CHECK(parse_enrollment_request(unknown).code() == Errc::malformed);
  std::string fmt = text;
  fmt.replace(fmt.find("\"packed\""), 8, "\"tpm\"");
  CHECK(parse_enrollment_request(fmt).code() == Errc::unsupported);
  CHECK(parse_enrollment_request(std::string(kMaxEnrollmentRequestSize + 1, ' ')).code() == Errc::too_large);
  CHECK(parse_enrollment_request("{}").code() == Errc::malformed);
  CHECK(parse_enrollment_request(R"({"token":"t","ek_public":"!!","ak_public":"","host":{},"pcrs":{}})").code() ==
        Errc::malformed);
}

TEST_CASE("enrollment: EK trust — chain, binding, TOFU") {
  AppraisalWorld w;
  auto req = w.dev.enrollment_request(kEnrollToken);
  REQUIRE(req.ok());

  SUBCASE("a certificate from an untrusted CA") {
    auto rogue = SoftCa::generate("rogue CA");
    REQUIRE(rogue.ok());
    auto trust = EkTrust::from_der({rogue->cert_der});
    REQUIRE(trust.ok());
    EnrollmentContext ctx = w.ctx();
    ctx.ek_trust = trust->get();
    CHECK(verify_enrollment(*req, ctx, w.policy).code() == Errc::untrusted_chain);
    ctx.ek_trust = nullptr;
    CHECK(verify_enrollment(*req, ctx, w.policy).code() == Errc::untrusted_chain);
  }
  SUBCASE("a genuine certificate of another TPM's EK") {
    auto other = SoftTpm::create(&w.ek_ca);
    REQUIRE(other.ok());
    req->ek_cert = other->ek_cert();
    CHECK(verify_enrollment(*req, w.ctx(), w.policy).code() == Errc::cert_invalid);
  }
  SUBCASE("an EK certificate read from NV with 0xFF padding is accepted and trimmed") {
    Bytes padded = *req->ek_cert;
    padded.resize(padded.size() + 100, 0xff);
    req->ek_cert = padded;
    auto v = verify_enrollment(*req, w.ctx(), w.policy);
    REQUIRE_MESSAGE(v.ok(), v.error().what());
    CHECK(v->record().ek_cert == w.dev.tpm.ek_cert());
  }
  SUBCASE("no certificate: refused unless policy allows TOFU") {
    req->ek_cert.reset();
    CHECK(verify_enrollment(*req, w.ctx(), w.policy).code() == Errc::policy_violation);
    w.policy.ek_allow_tofu = true;
    auto v = verify_enrollment(*req, w.ctx(), w.policy);
    REQUIRE(v.ok());
    CHECK(v->record().ek_tofu);
    REQUIRE_FALSE(v->notes().empty());
    CHECK(v->notes()[0].code == "ek_tofu");
  }
  SUBCASE("the EK must be a decryption key") {
    req->ek_public = w.dev.tpm.ak_public();
    CHECK(verify_enrollment(*req, w.ctx(), w.policy).code() == Errc::malformed);
  }
}

TEST_CASE("enrollment: AK attributes") {
  AppraisalWorld w;
  auto req = w.dev.enrollment_request(kEnrollToken);
  REQUIRE(req.ok());
  for (TPMA_OBJECT bit : {TPMA_OBJECT_RESTRICTED, TPMA_OBJECT_FIXEDTPM, TPMA_OBJECT_FIXEDPARENT,
                          TPMA_OBJECT_SENSITIVEDATAORIGIN}) {
    req->ak_public = with_attributes(w.dev.tpm.ak_public(), bit, 0);
    CHECK_MESSAGE(verify_enrollment(*req, w.ctx(), w.policy).code() == Errc::ak_attributes, "bit ", bit);
  }
  req->ak_public = with_attributes(w.dev.tpm.ak_public(), 0, TPMA_OBJECT_DECRYPT);
  CHECK(verify_enrollment(*req, w.ctx(), w.policy).code() == Errc::ak_attributes);
}

TEST_CASE("enrollment: FIDO2 attestation rules") {
  AppraisalWorld w;
  SUBCASE("with trusted attestation roots the x5c must chain to one of them") {
    auto req = w.dev.enrollment_request(kEnrollToken);
    REQUIRE(req.ok());
    auto roots = attest::FidoAttestationRoots::from_certificates({w.fido_ca.cert_der}, {}).value();
    EnrollmentContext c = w.ctx();
    c.fido_roots = roots.get();
    auto v = verify_enrollment(*req, c, w.policy);
    REQUIRE_MESSAGE(v.ok(), v.error().what());
    CHECK(v->record().fido->attestation_type == "basic");
    // A key whose attestation CA is not trusted is refused, naming the chain.
    auto other_ca = SoftCa::generate("someone else's FIDO CA").value();
    auto other_roots = attest::FidoAttestationRoots::from_certificates({other_ca.cert_der}, {}).value();
    c.fido_roots = other_roots.get();
    auto refused = verify_enrollment(*req, c, w.policy);
    CHECK(refused.code() == Errc::untrusted_chain);
    CHECK(refused.error().detail.find("FIDO2 attestation certificate") != std::string::npos);
    // Validity is checked at the enrollment's time: twenty years on the chain
    // has expired (checked at the FIDO2 layer: the EK certificate would expire first).
    const EnrollmentFido& f = *req->fido;
    attest::FidoEnrollmentEvidence ev;
    ev.credential_id = f.credential_id;
    ev.fmt = f.fmt;
    ev.auth_data = f.auth_data;
    ev.attestation.alg = static_cast<int>(f.attestation->alg);
    ev.attestation.sig = f.attestation->sig;
    ev.attestation.x5c = f.attestation->x5c;
    ev.algorithm = static_cast<int>(f.algorithm);
    attest::FidoEnrollmentPolicy fp;
    fp.rp_id = kRp;
    fp.any_aaguid = true;
    fp.attestation_roots = roots.get();
    fp.now = w.now;
    const Bytes cdh = attest::fido_enrollment_client_data_hash(kEnrollToken, req->ak_public);
    CHECK(attest::verify_fido_enrollment(ev, cdh, fp).ok());
    fp.now = w.now + 20LL * 365 * 86400;
    CHECK(attest::verify_fido_enrollment(ev, cdh, fp).code() == Errc::untrusted_chain);
  }
  SUBCASE("without a root for the key's model its x5c is self attestation: refused, or noted where allowed") {
    auto req = w.dev.enrollment_request(kEnrollToken);
    REQUIRE(req.ok());
    EnrollmentContext c = w.ctx();
    c.fido_roots = nullptr;
    auto refused = verify_enrollment(*req, c, w.policy);
    CHECK(refused.code() == Errc::fido_attestation_invalid);
    w.policy.fido.allow_self_attestation = true;
    auto v = verify_enrollment(*req, c, w.policy);
    REQUIRE_MESSAGE(v.ok(), v.error().what());
    CHECK(v->record().fido->attestation_type == "self");
    REQUIRE(v->notes().size() >= 1);
    bool noted = false;
    for (const auto& n : v->notes()) noted = noted || (n.code == "fido_attestation_self" &&
                                                       n.message.find("no configured attestation root") != std::string::npos);
    CHECK(noted);
  }
  SUBCASE("the attestation covers the token: another token fails") {
    auto req = w.dev.enrollment_request(kEnrollToken);
    REQUIRE(req.ok());
    req->token = SecretBytes(as_bytes("another-token"));
    CHECK(verify_enrollment(*req, w.ctx(), w.policy).code() == Errc::fido_attestation_invalid);
  }
  SUBCASE("the attestation covers the AK: another AK fails") {
    auto req = w.dev.enrollment_request(kEnrollToken);
    REQUIRE(req.ok());
    auto other = SoftTpm::create(&w.ek_ca);
    REQUIRE(other.ok());
    req->ak_public = other->ak_public();
    CHECK(verify_enrollment(*req, w.ctx(), w.policy).code() == Errc::fido_attestation_invalid);
  }
  SUBCASE("self attestation only where policy allows it") {
    auto req = w.dev.enrollment_request(kEnrollToken, AttestationMode::self);
    REQUIRE(req.ok());
    CHECK(verify_enrollment(*req, w.ctx(), w.policy).code() == Errc::fido_attestation_invalid);
    w.policy.fido.allow_self_attestation = true;
    auto v = verify_enrollment(*req, w.ctx(), w.policy);
    REQUIRE_MESSAGE(v.ok(), v.error().what());
    CHECK(v->record().fido->attestation_type == "self");
  }
  SUBCASE("none attestation only where policy allows it") {
    auto req = w.dev.enrollment_request(kEnrollToken, AttestationMode::none);
    REQUIRE(req.ok());
    CHECK(verify_enrollment(*req, w.ctx(), w.policy).code() == Errc::fido_attestation_invalid);
    w.policy.fido.allow_none_attestation = true;
    CHECK(verify_enrollment(*req, w.ctx(), w.policy).ok());
  }
  SUBCASE("AAGUID allowlist") {
    auto req = w.dev.enrollment_request(kEnrollToken);
    REQUIRE(req.ok());
    w.policy.fido.aaguid_allowlist = {Bytes(16, 0x01)};
    CHECK(verify_enrollment(*req, w.ctx(), w.policy).code() == Errc::fido_aaguid_not_allowed);
    w.policy.fido.aaguid_allowlist.insert(w.dev.fido.aaguid());
    CHECK(verify_enrollment(*req, w.ctx(), w.policy).ok());
  }
  SUBCASE("the credential is for this verifier's relying party") {
    auto req = w.dev.enrollment_request(kEnrollToken);
    REQUIRE(req.ok());
    EnrollmentContext ctx = w.ctx();
    ctx.rp_id = "evil.example";
    CHECK(verify_enrollment(*req, ctx, w.policy).code() == Errc::fido_rp_mismatch);
  }
  SUBCASE("without a FIDO2 credential only where policy does not require one") {
    auto req = w.dev.enrollment_request(kEnrollToken);
    REQUIRE(req.ok());
    req->fido.reset();
    CHECK(verify_enrollment(*req, w.ctx(), w.policy).code() == Errc::policy_violation);
    w.policy.fido.required = false;
    CHECK(verify_enrollment(*req, w.ctx(), w.policy).ok());
  }
  SUBCASE("admin approval comes from policy") {
    w.policy.require_admin_approval = true;
    auto req = w.dev.enrollment_request(kEnrollToken);
    REQUIRE(req.ok());
    auto v = verify_enrollment(*req, w.ctx(), w.policy);
    REQUIRE(v.ok());
    CHECK(v->requires_approval());
  }
}
