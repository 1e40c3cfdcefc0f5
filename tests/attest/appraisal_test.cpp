// appraisal_test.cpp — enrollment and attestation appraisal end to end, with
// genuine TPM 2.0 and FIDO2 structures from the software device
// (tests/support/soft_device): every check passes on good evidence and each mutation
// fails with its own code.
// Over 500 lines on purpose: every appraisal check has its mutation case here, beside
// the one genuine evidence they all start from (split by stage when the policy work lands).
#include <doctest/doctest.h>
#include <tss2/tss2_mu.h>

#include <algorithm>
#include <ctime>
#include <string>

#include "paw/attest/appraisal.h"
#include "paw/attest/fido.h"
#include "paw/attest/result_token.h"
#include "eventlog_builder.h"
#include "paw/attest/eventlog.h"
#include "real_eventlogs.h"
#include "soft_device.h"
#include "soft_trust.h"
#include "test_data.h"

using namespace paw;
using namespace paw::soft;

namespace {

constexpr const char* kRp = "paw.example";
constexpr const char* kToken = "enroll-token-0123456789";

// World: a verifier's trust (EK CA, policy) and one enrolled software workstation.
struct World : SoftTrust {
  World() : SoftTrust(kRp) { REQUIRE(dev.use_event_log(make_event_log(BootConfig{})).ok()); }

  EnrollmentContext ctx() const { return EnrollmentContext{trust.get(), kRp, now, fido_roots.get()}; }

  // enroll runs the whole enrollment: request → verify → ActivateCredential → check.
  void enroll() {
    auto req = dev.enrollment_request(kToken);
    REQUIRE(req.ok());
    auto v = verify_enrollment(*req, ctx(), policy);
    REQUIRE_MESSAGE(v.ok(), v.error().what());
    auto secret = dev.tpm.activate_credential(v->credential_blob(), v->encrypted_secret());
    REQUIRE_MESSAGE(secret.ok(), secret.error().what());
    REQUIRE(check_activation(v->secret_hash(), secret->view()).ok());
    record = v->record();
    record.device_id = "dev-0001";
    dev.device_id = record.device_id;
    state = DeviceState{};
  }

  AppraisalContext actx() const { return AppraisalContext{nonce, kRp, now}; }

  Result<Appraisal> appraise_env(const Envelope& env) { return appraise(record, state, env, actx(), policy); }

  // attest makes fresh evidence and appraises it; on success the state moves on.
  Result<Appraisal> attest(std::uint8_t fido_flags = 0x01) {
    nonce[0] = static_cast<std::uint8_t>(nonce[0] + 1);
    auto env = dev.attest(nonce, fido_flags);
    REQUIRE(env.ok());
    auto a = appraise_env(*env);
    if (a.ok()) state = a->next_state();
    now += 60;
    return a;
  }
};

std::vector<std::string> codes(const Appraisal& a) {
  std::vector<std::string> out;
  for (const auto& r : a.reasons()) out.push_back(r.code);
  return out;
}

bool has_code(const Appraisal& a, std::string_view code) {
  for (const auto& r : a.reasons()) {
    if (r.code == code) return true;
  }
  return false;
}

std::string message_of(const Appraisal& a, std::string_view code) {
  for (const auto& r : a.reasons()) {
    if (r.code == code) return r.message;
  }
  return {};
}

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

// ---------------------------------------------------------------------------
// Enrollment
// ---------------------------------------------------------------------------

TEST_CASE("enrollment: genuine request enrolls, the recovered secret activates, a wrong one does not") {
  World w;
  auto req = w.dev.enrollment_request(kToken);
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
  World w;
  auto req = w.dev.enrollment_request(kToken);
  REQUIRE(req.ok());
  const std::string text = serialize_enrollment_request(*req);
  auto back = parse_enrollment_request(text);
  REQUIRE_MESSAGE(back.ok(), back.error().what());
  CHECK(back->token.equals(as_bytes(kToken)));
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
  World w;
  auto req = w.dev.enrollment_request(kToken);
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
  World w;
  auto req = w.dev.enrollment_request(kToken);
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
  World w;
  SUBCASE("with trusted attestation roots the x5c must chain to one of them") {
    auto req = w.dev.enrollment_request(kToken);
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
    const Bytes cdh = attest::fido_enrollment_client_data_hash(kToken, req->ak_public);
    CHECK(attest::verify_fido_enrollment(ev, cdh, fp).ok());
    fp.now = w.now + 20LL * 365 * 86400;
    CHECK(attest::verify_fido_enrollment(ev, cdh, fp).code() == Errc::untrusted_chain);
  }
  SUBCASE("without a root for the key's model its x5c is self attestation: refused, or noted where allowed") {
    auto req = w.dev.enrollment_request(kToken);
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
    auto req = w.dev.enrollment_request(kToken);
    REQUIRE(req.ok());
    req->token = SecretBytes(as_bytes("another-token"));
    CHECK(verify_enrollment(*req, w.ctx(), w.policy).code() == Errc::fido_attestation_invalid);
  }
  SUBCASE("the attestation covers the AK: another AK fails") {
    auto req = w.dev.enrollment_request(kToken);
    REQUIRE(req.ok());
    auto other = SoftTpm::create(&w.ek_ca);
    REQUIRE(other.ok());
    req->ak_public = other->ak_public();
    CHECK(verify_enrollment(*req, w.ctx(), w.policy).code() == Errc::fido_attestation_invalid);
  }
  SUBCASE("self attestation only where policy allows it") {
    auto req = w.dev.enrollment_request(kToken, AttestationMode::self);
    REQUIRE(req.ok());
    CHECK(verify_enrollment(*req, w.ctx(), w.policy).code() == Errc::fido_attestation_invalid);
    w.policy.fido.allow_self_attestation = true;
    auto v = verify_enrollment(*req, w.ctx(), w.policy);
    REQUIRE_MESSAGE(v.ok(), v.error().what());
    CHECK(v->record().fido->attestation_type == "self");
  }
  SUBCASE("none attestation only where policy allows it") {
    auto req = w.dev.enrollment_request(kToken, AttestationMode::none);
    REQUIRE(req.ok());
    CHECK(verify_enrollment(*req, w.ctx(), w.policy).code() == Errc::fido_attestation_invalid);
    w.policy.fido.allow_none_attestation = true;
    CHECK(verify_enrollment(*req, w.ctx(), w.policy).ok());
  }
  SUBCASE("AAGUID allowlist") {
    auto req = w.dev.enrollment_request(kToken);
    REQUIRE(req.ok());
    w.policy.fido.aaguid_allowlist = {Bytes(16, 0x01)};
    CHECK(verify_enrollment(*req, w.ctx(), w.policy).code() == Errc::fido_aaguid_not_allowed);
    w.policy.fido.aaguid_allowlist.insert(w.dev.fido.aaguid());
    CHECK(verify_enrollment(*req, w.ctx(), w.policy).ok());
  }
  SUBCASE("the credential is for this verifier's relying party") {
    auto req = w.dev.enrollment_request(kToken);
    REQUIRE(req.ok());
    EnrollmentContext ctx = w.ctx();
    ctx.rp_id = "evil.example";
    CHECK(verify_enrollment(*req, ctx, w.policy).code() == Errc::fido_rp_mismatch);
  }
  SUBCASE("without a FIDO2 credential only where policy does not require one") {
    auto req = w.dev.enrollment_request(kToken);
    REQUIRE(req.ok());
    req->fido.reset();
    CHECK(verify_enrollment(*req, w.ctx(), w.policy).code() == Errc::policy_violation);
    w.policy.fido.required = false;
    CHECK(verify_enrollment(*req, w.ctx(), w.policy).ok());
  }
  SUBCASE("admin approval comes from policy") {
    w.policy.require_admin_approval = true;
    auto req = w.dev.enrollment_request(kToken);
    REQUIRE(req.ok());
    auto v = verify_enrollment(*req, w.ctx(), w.policy);
    REQUIRE(v.ok());
    CHECK(v->requires_approval());
  }
}

// ---------------------------------------------------------------------------
// Attestation: healthy path
// ---------------------------------------------------------------------------

TEST_CASE("appraise: genuine evidence is healthy, references are pinned, then enforced") {
  World w;
  w.enroll();
  auto first = w.attest();
  REQUIRE_MESSAGE(first.ok(), first.error().what());
  CHECK_MESSAGE(first->healthy(), doctest::toString(codes(*first).size()));
  CHECK(first->reasons().empty());
  CHECK(first->next_state().fido_sign_count == 1);
  CHECK(first->next_state().pinned_pcrs.at(HashAlg::sha256).size() == 4);
  CHECK(first->next_state().pinned_measurements.count(7) == 1);
  CHECK(first->next_state().last_attested_at == w.now - 60);
  CHECK(first->next_state().last_healthy_at == w.now - 60);
  REQUIRE(first->next_state().clock.has_value());
  CHECK(first->next_state().clock->reset_count == w.dev.tpm.clock().reset_count);
  CHECK_FALSE(first->rebooted());
  bool pinned_note = false;
  for (const auto& n : first->notes()) pinned_note = pinned_note || n.code == reason::kPcrPinned;
  CHECK(pinned_note);
  CHECK(first->pcrs() == w.dev.tpm.select(w.dev.selection));
  CHECK(first->body().device_id == "dev-0001");
  CHECK(first->record().policy == "default@1");

  const TrustVector& t = first->trust();
  CHECK(t.at("instance-identity") == ar4si::kTrustworthyInstance);
  CHECK(t.at("hardware") == ar4si::kGenuineHardware);
  CHECK(t.at("configuration") == ar4si::kApprovedConfig);
  CHECK(t.at("executables") == ar4si::kApprovedBoot);
  CHECK(t.at("sourced-data") == ar4si::kTrustedSources);
  CHECK(t.at("storage-opaque") == ar4si::kSwKeysEncryptedSecrets);
  CHECK(t.size() == 8);

  auto second = w.attest();
  REQUIRE(second.ok());
  CHECK(second->healthy());
  CHECK(second->next_state().fido_sign_count == 2);

  // A change in PCR 7 after pinning: unhealthy, and the reason names what changed.
  BootConfig changed;
  changed.db = to_bytes("soft db v2 (an extra key)");
  REQUIRE(w.dev.use_event_log(make_event_log(changed)).ok());
  auto third = w.attest();
  REQUIRE_MESSAGE(third.ok(), third.error().what());
  CHECK_FALSE(third->healthy());
  CHECK(codes(*third) == std::vector<std::string>{"pcr_mismatch"});
  CHECK(message_of(*third, reason::kPcrMismatch) == "PCR 7 differs from reference: Secure Boot db changed");
  CHECK(third->trust().at("executables") == ar4si::kContraindicatedRuntime);
  // The counter moved even though the verdict is unhealthy; the pins did not.
  CHECK(third->next_state().fido_sign_count == 3);
  CHECK(third->next_state().pinned_pcrs == second->next_state().pinned_pcrs);
  CHECK(third->next_state().last_healthy_at == second->next_state().last_healthy_at);
}

TEST_CASE("appraise: result claims, token and storage round trips") {
  World w;
  w.enroll();
  auto a = w.attest();
  REQUIRE(a.ok());
  const ResultClaims c = a->claims("paw-verifier", "jti-1");
  CHECK(c.sub == "dev-0001");
  CHECK(c.verdict == "healthy");
  CHECK(c.exp - c.iat == w.policy.token_ttl_seconds);
  CHECK(c.trust == a->trust());
  auto key = generate_signing_key();
  REQUIRE(key.ok());
  auto token = sign_result_token(c, *key);
  REQUIRE(token.ok());
  auto jwk = public_jwk(*key);
  REQUIRE(jwk.ok());
  auto jwks = parse_jwks(build_jwks({*jwk}));
  REQUIRE(jwks.ok());
  auto back = verify_result_token(*token, *jwks, c.iat, "paw-verifier");
  REQUIRE_MESSAGE(back.ok(), back.error().what());
  CHECK(*back == c);

  auto rec = parse_device_record(serialize_device_record(w.record));
  REQUIRE(rec.ok());
  CHECK(*rec == w.record);
  auto st = parse_device_state(serialize_device_state(a->next_state()));
  REQUIRE_MESSAGE(st.ok(), st.error().what());
  CHECK(*st == a->next_state());
  auto ar = parse_appraisal_record(serialize_appraisal_record(a->record()));
  REQUIRE_MESSAGE(ar.ok(), ar.error().what());
  CHECK(*ar == a->record());
  CHECK(trust_vector_json(a->trust()).find("\"instance-identity\":2") != std::string::npos);
  CHECK(parse_device_state(R"({"fido_sign_count":1})").code() == Errc::malformed);
  CHECK(parse_device_record(R"({"device_id":"x","oops":1})").code() == Errc::malformed);

  CHECK_FALSE(is_stale(a->next_state(), w.policy, w.now));
  CHECK(is_stale(a->next_state(), w.policy, w.now + w.policy.max_attestation_age_seconds + 120));
  CHECK(is_stale(DeviceState{}, w.policy, w.now));
}

// ---------------------------------------------------------------------------
// Attestation: each cryptographic/structural mutation → its Errc
// ---------------------------------------------------------------------------

TEST_CASE("appraise: mutations of the quote, body and nonce") {
  World w;
  w.enroll();
  REQUIRE(w.attest().ok());
  auto body = w.dev.evidence_body(w.nonce);
  REQUIRE(body.ok());
  auto env = w.dev.seal(*body);
  REQUIRE(env.ok());
  REQUIRE(w.appraise_env(*env).ok());  // the baseline verifies

  SUBCASE("oversized parts") {
    Envelope e = *env;
    e.attest.resize(kMaxTpmStructSize * 4);
    CHECK(w.appraise_env(e).code() == Errc::too_large);
  }
  SUBCASE("signature bit flipped") {
    Envelope e = *env;
    e.signature[e.signature.size() - 3] ^= 0x01;
    CHECK(w.appraise_env(e).code() == Errc::bad_signature);
  }
  SUBCASE("quote signed by another AK") {
    auto other = SoftTpm::create(&w.ek_ca);
    REQUIRE(other.ok());
    auto q = other->quote(qualifying_data(env->body), body->pcrs);
    REQUIRE(q.ok());
    Envelope e = *env;
    e.attest = q->first;
    e.signature = q->second;
    CHECK(w.appraise_env(e).code() == Errc::bad_signature);
  }
  SUBCASE("signed TPMS_ATTEST with a wrong magic") {
    auto q = w.dev.tpm.quote(qualifying_data(env->body), body->pcrs, [](TPMS_ATTEST& a) { a.magic = 0x12345678; });
    REQUIRE(q.ok());
    Envelope e = *env;
    e.attest = q->first;
    e.signature = q->second;
    CHECK(w.appraise_env(e).code() == Errc::bad_magic);
  }
  SUBCASE("signed TPMS_ATTEST of another type (certify)") {
    auto q = w.dev.tpm.quote(qualifying_data(env->body), body->pcrs,
                             [](TPMS_ATTEST& a) { a.type = TPM2_ST_ATTEST_NV; a.attested.nv = {}; });
    REQUIRE(q.ok());
    Envelope e = *env;
    e.attest = q->first;
    e.signature = q->second;
    const Errc c = w.appraise_env(e).code();
    CHECK((c == Errc::bad_type || c == Errc::unsupported || c == Errc::malformed));
  }
  SUBCASE("body changed after quoting") {
    Envelope e = *env;
    e.body.back() = ' ';
    CHECK(w.appraise_env(e).code() == Errc::nonce_mismatch);
  }
  SUBCASE("quote over another body (replayed quote)") {
    auto q = w.dev.tpm.quote(sha256(as_bytes("something else")), body->pcrs);
    REQUIRE(q.ok());
    Envelope e = *env;
    e.attest = q->first;
    e.signature = q->second;
    CHECK(w.appraise_env(e).code() == Errc::nonce_mismatch);
  }
  SUBCASE("evidence for another challenge") {
    AppraisalContext ctx = w.actx();
    ctx.expected_nonce[31] ^= 1;
    CHECK(appraise(w.record, w.state, *env, ctx, w.policy).code() == Errc::nonce_mismatch);
  }
  SUBCASE("body that does not parse (but is quoted)") {
    EvidenceBody b = *body;
    Envelope e;
    e.body = to_bytes("{\"version\":1}");
    auto q = w.dev.tpm.quote(qualifying_data(e.body), b.pcrs);
    REQUIRE(q.ok());
    e.attest = q->first;
    e.signature = q->second;
    CHECK(w.appraise_env(e).code() == Errc::malformed);
  }
  SUBCASE("evidence naming another device") {
    EvidenceBody b = *body;
    b.device_id = "dev-0002";
    auto e = w.dev.seal(b);
    REQUIRE(e.ok());
    CHECK(w.appraise_env(*e).code() == Errc::device_mismatch);
  }
  SUBCASE("reported PCR value differs from the quoted one") {
    EvidenceBody b = *body;
    b.pcrs[HashAlg::sha256][0][0] ^= 1;
    auto e = w.dev.seal(b);  // the TPM quotes its real PCRs
    REQUIRE(e.ok());
    CHECK(w.appraise_env(*e).code() == Errc::pcr_digest_mismatch);
  }
  SUBCASE("reported PCRs are not the quoted selection") {
    Envelope e = *env;
    PcrValues fewer = body->pcrs;
    fewer[HashAlg::sha256].erase(0);
    auto q = w.dev.tpm.quote(qualifying_data(env->body), fewer);
    REQUIRE(q.ok());
    e.attest = q->first;
    e.signature = q->second;
    CHECK(w.appraise_env(e).code() == Errc::pcr_selection_mismatch);
  }
}

TEST_CASE("appraise: event log checks") {
  World w;
  w.enroll();
  auto body = w.dev.evidence_body(w.nonce);
  REQUIRE(body.ok());

  SUBCASE("event data that does not match its digest: that event's facts are unknown, the log still binds") {
    EvidenceBody b = *body;
    Bytes& log = *b.event_log;
    // EV_EFI_VARIABLE_DRIVER_CONFIG is hashed whole: change one byte of db's contents.
    const Bytes db = to_bytes("soft db v1");
    auto it = std::search(log.begin(), log.end(), db.begin(), db.end());
    REQUIRE(it != log.end());
    *it = 'S';
    auto e = w.dev.seal(b);
    REQUIRE(e.ok());
    auto a = w.appraise_env(*e);
    REQUIRE_MESSAGE(a.ok(), a.error().what());
    CHECK(a->healthy());
    const auto note = std::find_if(a->notes().begin(), a->notes().end(),
                                   [](const ResultReason& r) { return r.code == reason::kEventUnverified; });
    REQUIRE(note != a->notes().end());
    CHECK(note->message.find("EV_EFI_VARIABLE_DRIVER_CONFIG, PCR 7") != std::string::npos);
  }
  SUBCASE("the SecureBoot event's data does not match its digest: Secure Boot unknown, said in the reason") {
    EvidenceBody b = *body;
    Bytes& log = *b.event_log;
    const Bytes name = {'S', 0, 'e', 0, 'c', 0, 'u', 0, 'r', 0, 'e', 0, 'B', 0, 'o', 0, 'o', 0, 't', 0};
    auto it = std::search(log.begin(), log.end(), name.begin(), name.end());
    REQUIRE(it != log.end());
    REQUIRE(*(it + 20) == 1);
    *(it + 20) = 0;
    auto e = w.dev.seal(b);
    REQUIRE(e.ok());
    auto a = w.appraise_env(*e);
    REQUIRE_MESSAGE(a.ok(), a.error().what());
    CHECK(codes(*a) == std::vector<std::string>{"secure_boot_off"});
    CHECK(message_of(*a, reason::kSecureBootOff).find("does not match its digest") != std::string::npos);
  }
  SUBCASE("attack a: the PCR 4 events left out (the TPM's PCR 4 still holds them)") {
    auto parsed = parse_event_log(*w.dev.event_log);
    REQUIRE(parsed.ok());
    auto events = paw::test::owned_events(*parsed);
    std::erase_if(events, [](const paw::test::OwnedEvent& x) { return x.pcr == 4; });
    EvidenceBody b = *body;
    b.event_log = paw::test::write_log({HashAlg::sha256}, events);
    auto e = w.dev.seal(b);
    REQUIRE(e.ok());
    auto a = w.appraise_env(*e);
    CHECK(a.code() == Errc::eventlog_replay_mismatch);
    CHECK(a.error().detail.find("sha256 PCR4 is never extended by the log") != std::string::npos);
  }
  SUBCASE("attack b: only a bank the TPM does not quote (SHA-384)") {
    auto parsed = parse_event_log(*w.dev.event_log);
    REQUIRE(parsed.ok());
    auto events = paw::test::owned_events(*parsed);
    for (auto& x : events) x.digests = {{HashAlg::sha384, *digest(HashAlg::sha384, x.data)}};
    EvidenceBody b = *body;
    b.event_log = paw::test::write_log({HashAlg::sha384}, events);
    auto e = w.dev.seal(b);
    REQUIRE(e.ok());
    CHECK(w.appraise_env(*e).code() == Errc::eventlog_no_complete_bank);
  }
  SUBCASE("a log that does not replay to the quoted PCRs") {
    w.dev.tpm.extend(HashAlg::sha256, 4, sha256(as_bytes("unlogged bootkit")));
    auto b = w.dev.evidence_body(w.nonce);
    REQUIRE(b.ok());
    auto e = w.dev.seal(*b);
    REQUIRE(e.ok());
    CHECK(w.appraise_env(*e).code() == Errc::eventlog_replay_mismatch);
  }
  SUBCASE("a log that does not parse") {
    EvidenceBody b = *body;
    b.event_log->resize(b.event_log->size() - 3);
    auto e = w.dev.seal(b);
    REQUIRE(e.ok());
    const Errc c = w.appraise_env(*e).code();
    CHECK((c == Errc::eventlog_malformed || c == Errc::trailing_data));
  }
}

TEST_CASE("appraise: every real event log with a complete SHA-256 bank appraises healthy") {
  std::size_t healthy = 0;
  for (const auto& rl : paw::test::kRealLogs) {
    const std::string path = rl.path;
    CAPTURE(path);
    Bytes bytes = paw::test::load(paw::test::test_data(rl.path));
    auto parsed = parse_event_log(bytes);
    REQUIRE(parsed.ok());
    auto replayed = replay_event_log(*parsed);
    REQUIRE(replayed.ok());
    if (replayed->count(HashAlg::sha256) == 0) continue;  // legacy SHA-1 logs bind nothing
    World w;
    w.policy.secure_boot_required = false;  // the logs' own Secure Boot states differ
    REQUIRE(w.dev.use_event_log(bytes).ok());
    // As paw-agent does: quote every firmware PCR, also those the log never extends.
    for (std::uint32_t i = 0; i < kFirmwareLogPcrs; ++i) w.dev.selection[HashAlg::sha256][i] = {};
    w.enroll();
    auto a = w.attest();
    REQUIRE_MESSAGE(a.ok(), a.error().what());
    const std::string why = a->reasons().empty() ? std::string() : a->reasons()[0].message;
    CHECK_MESSAGE(a->healthy(), why);
    const bool noted = std::any_of(a->notes().begin(), a->notes().end(),
                                   [](const ResultReason& r) { return r.code == reason::kEventUnverified; });
    CHECK(noted == (rl.tampered_event != nullptr));  // the Arch workstation's event 24
    ++healthy;
  }
  CHECK(healthy >= 30);
}

// ---------------------------------------------------------------------------
// FIDO2 presence
// ---------------------------------------------------------------------------

TEST_CASE("appraise: FIDO2 presence — signature, credential, relying party, counter") {
  World w;
  w.enroll();
  REQUIRE(w.attest().ok());

  SUBCASE("forged assertion signature") {
    auto b = w.dev.evidence_body(w.nonce);
    REQUIRE(b.ok());
    b->fido->signature[10] ^= 1;
    auto e = w.dev.seal(*b);
    REQUIRE(e.ok());
    CHECK(w.appraise_env(*e).code() == Errc::fido_bad_signature);
  }
  SUBCASE("assertion over another challenge (replayed from an earlier attestation)") {
    Bytes old_nonce(32, 0x77);
    auto stale = w.dev.fido.get_assertion(presence_client_data_hash(old_nonce, w.dev.device_id));
    REQUIRE(stale.ok());
    auto b = w.dev.evidence_body(w.nonce);
    REQUIRE(b.ok());
    b->fido = *stale;
    auto e = w.dev.seal(*b);
    REQUIRE(e.ok());
    CHECK(w.appraise_env(*e).code() == Errc::fido_challenge_mismatch);  // it names its (old) client data hash
    b->fido->client_data_hash.reset();
    auto e2 = w.dev.seal(*b);
    REQUIRE(e2.ok());
    CHECK(w.appraise_env(*e2).code() == Errc::fido_bad_signature);
  }
  SUBCASE("unknown credential") {
    auto b = w.dev.evidence_body(w.nonce);
    REQUIRE(b.ok());
    b->fido->credential_id[0] ^= 1;
    auto e = w.dev.seal(*b);
    REQUIRE(e.ok());
    CHECK(w.appraise_env(*e).code() == Errc::fido_unknown_credential);
  }
  SUBCASE("another relying party") {
    auto e = w.dev.attest(w.nonce);
    REQUIRE(e.ok());
    AppraisalContext ctx = w.actx();
    ctx.rp_id = "other.example";
    CHECK(appraise(w.record, w.state, *e, ctx, w.policy).code() == Errc::fido_rp_mismatch);
  }
  SUBCASE("counter rollback (a clone behind the original)") {
    w.dev.fido.counter_step() = 0;
    w.dev.fido.counter() = 0;  // the next assertion carries 0; the stored counter is 1
    auto e = w.dev.attest(w.nonce);
    REQUIRE(e.ok());
    CHECK(w.appraise_env(*e).code() == Errc::fido_counter_rollback);
  }
  SUBCASE("counter frozen at a non-zero value") {
    w.dev.fido.counter_step() = 0;  // next assertion carries 1 again
    auto e = w.dev.attest(w.nonce);
    REQUIRE(e.ok());
    CHECK(w.appraise_env(*e).code() == Errc::fido_counter_frozen);
  }
  SUBCASE("the counter grows: healthy again and again") {
    w.dev.fido.counter_step() = 1000;
    auto a = w.attest();
    REQUIRE(a.ok());
    CHECK(a->healthy());
    CHECK(a->next_state().fido_sign_count == 1001);
  }
}

TEST_CASE("appraise: the first presence proof is judged against the counter seen at enrollment") {
  World w;
  w.dev.fido.counter() = 500;  // the enrollment authData carries 500
  w.enroll();
  REQUIRE(w.record.fido->sign_count == 500);
  REQUIRE(w.state.fido_sign_count == 0);  // a fresh device state knows no counter yet
  SUBCASE("lower than at enrollment: rollback") {
    w.dev.fido.counter() = 41;
    auto e = w.dev.attest(w.nonce);
    REQUIRE(e.ok());
    CHECK(w.appraise_env(*e).code() == Errc::fido_counter_rollback);
  }
  SUBCASE("equal to enrollment: frozen") {
    w.dev.fido.counter() = 499;
    auto e = w.dev.attest(w.nonce);
    REQUIRE(e.ok());
    CHECK(w.appraise_env(*e).code() == Errc::fido_counter_frozen);
  }
  SUBCASE("past it: healthy") {
    auto a = w.attest();
    REQUIRE_MESSAGE(a.ok(), a.error().what());
    CHECK(a->healthy());
    CHECK(a->next_state().fido_sign_count == 501);
  }
}

TEST_CASE("appraise: a key whose model is unproven is noted on every verdict and lowers sourced-data") {
  World w;
  w.policy.fido.allow_self_attestation = true;
  auto req = w.dev.enrollment_request(kToken, AttestationMode::self);
  REQUIRE(req.ok());
  auto v = verify_enrollment(*req, w.ctx(), w.policy);
  REQUIRE_MESSAGE(v.ok(), v.error().what());
  w.record = v->record();
  w.record.device_id = "dev-0001";
  w.dev.device_id = w.record.device_id;
  auto a = w.attest();
  REQUIRE_MESSAGE(a.ok(), a.error().what());
  CHECK(a->healthy());
  bool noted = false;
  for (const auto& n : a->notes()) noted = noted || n.code == reason::kFidoModelUnproven;
  CHECK(noted);
  CHECK(a->trust().at("sourced-data") == ar4si::kUntrustedSources);
}

TEST_CASE("appraise: a key without a counter is a policy matter") {
  World w;
  w.enroll();
  w.dev.fido.counter_step() = 0;  // always 0
  auto a = w.attest();
  REQUIRE_MESSAGE(a.ok(), a.error().what());
  CHECK_FALSE(a->healthy());
  CHECK(has_code(*a, reason::kFidoCounterFrozen));
  CHECK(a->trust().at("sourced-data") == ar4si::kUntrustedSources);
  w.policy.fido.allow_zero_counter = true;
  auto b = w.attest();
  REQUIRE(b.ok());
  CHECK(b->healthy());
}

// ---------------------------------------------------------------------------
// Policy failures → unhealthy with the right reasons
// ---------------------------------------------------------------------------

TEST_CASE("appraise: policy failures make the verdict unhealthy with stable reason codes") {
  World w;
  w.enroll();

  SUBCASE("Secure Boot off") {
    BootConfig cfg;
    cfg.secure_boot = false;
    REQUIRE(w.dev.use_event_log(make_event_log(cfg)).ok());
    auto a = w.attest();
    REQUIRE(a.ok());
    CHECK(codes(*a) == std::vector<std::string>{"secure_boot_off"});
    CHECK(a->trust().at("configuration") == ar4si::kUnsupportableConfig);
    CHECK(a->next_state().pinned_pcrs.empty());  // nothing pinned from an unhealthy boot
  }
  SUBCASE("agent reports Secure Boot off") {
    w.dev.host.secure_boot = false;
    auto a = w.attest();
    REQUIRE(a.ok());
    CHECK(codes(*a) == std::vector<std::string>{"host_secure_boot_off"});
  }
  SUBCASE("no event log") {
    w.dev.event_log.reset();
    auto a = w.attest();
    REQUIRE(a.ok());
    CHECK(has_code(*a, reason::kEventLogMissing));
    CHECK(has_code(*a, reason::kSecureBootOff));
    w.policy.event_log_required = false;
    w.policy.secure_boot_required = false;
    auto b = w.attest();
    REQUIRE(b.ok());
    CHECK(b->healthy());
    CHECK(b->trust().at("executables") == ar4si::kNoClaim);
  }
  SUBCASE("boot application not allowed") {
    w.policy.boot_applications = {sha256(to_bytes("shimx64.efi"))};
    auto a = w.attest();
    REQUIRE(a.ok());
    CHECK(codes(*a) == std::vector<std::string>{"boot_app_not_allowed"});
    CHECK(message_of(*a, reason::kBootAppNotAllowed).find(hex(sha256(to_bytes("grubx64.efi")))) != std::string::npos);
    w.policy.boot_applications.insert(sha256(to_bytes("grubx64.efi")));
    auto b = w.attest();
    REQUIRE(b.ok());
    CHECK(b->healthy());
  }
  SUBCASE("disk not encrypted, OS not allowed") {
    w.dev.host.disk_encrypted = false;
    w.policy.host.os_release_allowlist = {"Debian GNU/Linux 13 (trixie)"};
    auto a = w.attest();
    REQUIRE(a.ok());
    CHECK(codes(*a) == std::vector<std::string>{"disk_not_encrypted", "os_not_allowed"});
    CHECK(a->trust().at("storage-opaque") == ar4si::kUnencryptedSecrets);
  }
  SUBCASE("FIDO2 key not touched; user verification required") {
    auto a = w.attest(0x00);
    REQUIRE(a.ok());
    CHECK(codes(*a) == std::vector<std::string>{"fido_up_missing"});
    w.policy.fido.user_verification = true;
    auto b = w.attest(0x01);
    REQUIRE(b.ok());
    CHECK(codes(*b) == std::vector<std::string>{"fido_uv_missing"});
    auto c = w.attest(0x05);
    REQUIRE(c.ok());
    CHECK(c->healthy());
  }
  SUBCASE("no FIDO2 assertion") {
    auto a = w.attest(0xff);
    REQUIRE(a.ok());
    CHECK(codes(*a) == std::vector<std::string>{"fido_missing"});
  }
  SUBCASE("a required PCR that is not quoted") {
    w.policy.pcrs.required[HashAlg::sha256].insert(9);
    auto a = w.attest();
    REQUIRE(a.ok());
    CHECK(codes(*a) == std::vector<std::string>{"pcr_not_quoted"});
  }
  SUBCASE("an admin-set reference wins over pinning") {
    w.policy.pcrs.reference[HashAlg::sha256][0] = Bytes(32, 0xab);
    auto a = w.attest();
    REQUIRE(a.ok());
    CHECK(codes(*a) == std::vector<std::string>{"pcr_mismatch"});
    CHECK(message_of(*a, reason::kPcrMismatch) == "PCR 0 differs from reference (firmware code)");
  }
  SUBCASE("a boot application changed after pinning") {
    REQUIRE(w.attest().ok());
    BootConfig cfg;
    cfg.boot_apps.push_back(sha256(to_bytes("evil.efi")));
    REQUIRE(w.dev.use_event_log(make_event_log(cfg)).ok());
    auto a = w.attest();
    REQUIRE(a.ok());
    CHECK(codes(*a) == std::vector<std::string>{"pcr_mismatch"});
    CHECK(message_of(*a, reason::kPcrMismatch) == "PCR 4 differs from reference: boot application added");
  }
}

// ---------------------------------------------------------------------------
// Reboots and clock anomalies
// ---------------------------------------------------------------------------

TEST_CASE("appraise: reboot detection and clock anomalies") {
  World w;
  w.enroll();
  REQUIRE(w.attest().ok());

  SUBCASE("a reboot is noted, and healthy where policy allows it") {
    w.dev.tpm.reboot();
    REQUIRE(w.dev.use_event_log(*w.dev.event_log).ok());  // the firmware measures the same boot again
    auto a = w.attest();
    REQUIRE(a.ok());
    CHECK(a->healthy());
    CHECK(a->rebooted());
    bool noted = false;
    for (const auto& n : a->notes()) noted = noted || n.code == reason::kReboot;
    CHECK(noted);
  }
  SUBCASE("a reboot is unhealthy where policy forbids it") {
    w.policy.reboot_allowed = false;
    w.dev.tpm.reboot();
    REQUIRE(w.dev.use_event_log(*w.dev.event_log).ok());
    auto a = w.attest();
    REQUIRE(a.ok());
    CHECK(codes(*a) == std::vector<std::string>{"reboot"});
    CHECK(a->rebooted());
  }
  SUBCASE("a resume (restartCount) counts as a restart") {
    w.dev.tpm.clock().restart_count += 1;
    auto a = w.attest();
    REQUIRE(a.ok());
    CHECK(a->rebooted());
    CHECK(a->healthy());
  }
  SUBCASE("the clock going back within one boot") {
    w.dev.tpm.clock().clock -= 5000;
    auto a = w.attest();
    REQUIRE(a.ok());
    CHECK(codes(*a) == std::vector<std::string>{"clock_anomaly"});
    CHECK(a->trust().at("hardware") == ar4si::kUnsafeHardware);
  }
  SUBCASE("reset counters going back") {
    w.dev.tpm.clock().reset_count -= 1;
    auto a = w.attest();
    REQUIRE(a.ok());
    CHECK(codes(*a) == std::vector<std::string>{"clock_anomaly"});
  }
}

// ---------------------------------------------------------------------------
// IMA (a real measurement list: ibmtss, 362 ima-sig entries)
// ---------------------------------------------------------------------------

TEST_CASE("appraise: IMA list replayed to the quoted PCR 10, allowlist and tampering") {
  World w;
  w.enroll();
  const Bytes list = paw::test::load(paw::test::test_data("ibmtss/utils/sha1.log"));
  REQUIRE(w.dev.use_ima_log(list).ok());
  w.policy.ima.required = true;

  SUBCASE("genuine list: healthy") {
    auto a = w.attest();
    REQUIRE_MESSAGE(a.ok(), a.error().what());
    CHECK(a->healthy());
    CHECK(a->trust().at("file-system") == ar4si::kNoClaim);  // no allowlist: nothing affirmed
  }
  SUBCASE("allowlist that lacks the measured files") {
    w.policy.ima.allowlist = {Bytes(32, 0x5a)};
    auto a = w.attest();
    REQUIRE(a.ok());
    CHECK(has_code(*a, reason::kImaNotAllowed));
    CHECK(a->trust().at("file-system") == ar4si::kContraindicatedFiles);
  }
  SUBCASE("an edited entry") {
    auto b = w.dev.evidence_body(w.nonce);
    REQUIRE(b.ok());
    (*b->ima_log)[200] ^= 0x01;
    auto e = w.dev.seal(*b);
    REQUIRE(e.ok());
    const Errc c = w.appraise_env(*e).code();
    CHECK((c == Errc::ima_malformed || c == Errc::eventlog_replay_mismatch));
  }
  SUBCASE("a list the quote does not cover") {
    w.dev.selection[HashAlg::sha256].erase(10);
    auto e = w.dev.attest(w.nonce);
    REQUIRE(e.ok());
    CHECK(w.appraise_env(*e).code() == Errc::eventlog_replay_mismatch);
  }
  SUBCASE("required but absent") {
    w.dev.ima_log.reset();
    auto a = w.attest();
    REQUIRE(a.ok());
    CHECK(codes(*a) == std::vector<std::string>{"ima_missing"});
  }
}

TEST_CASE("appraise: the pre-parsed-body overload decides exactly as the parsing one") {
  World w;
  w.enroll();
  REQUIRE(w.attest().ok());
  w.nonce[0] = static_cast<std::uint8_t>(w.nonce[0] + 1);
  auto env = w.dev.attest(w.nonce);
  REQUIRE(env.ok());
  auto parsed = parse_body(env->body);
  REQUIRE(parsed.ok());
  auto a = w.appraise_env(*env);
  auto b = appraise(w.record, w.state, *env, *parsed, w.actx(), w.policy);
  REQUIRE(a.ok());
  REQUIRE(b.ok());
  CHECK(a->healthy());
  CHECK(b->healthy());
  CHECK(codes(*a) == codes(*b));
  CHECK(b->next_state().fido_sign_count == a->next_state().fido_sign_count);
  CHECK(b->body().device_id == "dev-0001");
  // The quote still guards the bytes: a broken signature fails first, body or not.
  Envelope bad = *env;
  bad.signature[bad.signature.size() - 3] ^= 0x01;
  CHECK(appraise(w.record, w.state, bad, *parsed, w.actx(), w.policy).code() == Errc::bad_signature);
  // And a body for another nonce is refused as with parsing.
  AppraisalContext other = w.actx();
  other.expected_nonce[1] ^= 0x01;
  CHECK(appraise(w.record, w.state, *env, *parsed, other, w.policy).code() == Errc::nonce_mismatch);
}

// ---------------------------------------------------------------------------
// Graded verdicts (grace.h)
// ---------------------------------------------------------------------------

TEST_CASE("appraise: a graced reason is a warning until its grace ends, then unhealthy") {
  World w;
  w.enroll();
  REQUIRE(w.attest().ok());  // pins PCRs 0, 2, 4, 7
  w.policy.enforcement.grace[std::string(reason::kPcrMismatch)] = 3600;  // one hour
  // A firmware update changes PCR 7 (Secure Boot db): the pinned reference no longer matches.
  BootConfig changed;
  changed.db = to_bytes("soft db v2 (an extra key)");
  REQUIRE(w.dev.use_event_log(make_event_log(changed)).ok());
  const std::int64_t first_seen = w.now;
  auto a = w.attest();
  REQUIRE_MESSAGE(a.ok(), a.error().what());
  CHECK(a->verdict() == Verdict::warning);
  CHECK_FALSE(a->healthy());
  CHECK(a->admits_login());
  CHECK(codes(*a) == std::vector<std::string>{"pcr_mismatch"});
  CHECK(a->reasons()[0].grace_until == first_seen + 3600);
  CHECK(a->record().grace_until == first_seen + 3600);
  CHECK(a->next_state().reason_first_seen.at("pcr_mismatch") == first_seen);
  ResultClaims c = a->claims("paw", "jti");
  CHECK(c.verdict == "warning");
  CHECK(c.grace_until == first_seen + 3600);
  CHECK(c.exp <= c.grace_until);

  // Later, still inside: the grace counts from the first sighting, not from now.
  w.now = first_seen + 3000;
  auto b = w.attest();
  REQUIRE(b.ok());
  CHECK(b->verdict() == Verdict::warning);
  CHECK(b->record().grace_until == first_seen + 3600);
  CHECK(b->claims("paw", "j").exp == first_seen + 3600);  // the token ends with the grace (ttl 600 would go past it)

  // Past the grace: unhealthy, and the token says so.
  w.now = first_seen + 3600;
  auto c2 = w.attest();
  REQUIRE(c2.ok());
  CHECK(c2->verdict() == Verdict::unhealthy);
  CHECK_FALSE(c2->admits_login());
  CHECK(c2->record().grace_until == 0);
  CHECK(c2->claims("paw", "j").grace_until == 0);

  // The stored state survives its JSON round trip with the first sighting.
  auto st = parse_device_state(serialize_device_state(c2->next_state()));
  REQUIRE(st.ok());
  CHECK(st->reason_first_seen.at("pcr_mismatch") == first_seen);
  auto rec = parse_appraisal_record(serialize_appraisal_record(b->record()));
  REQUIRE(rec.ok());
  CHECK(*rec == b->record());
}

TEST_CASE("appraise: a reason that is never graced beside a graced one denies at once") {
  World w;
  w.enroll();
  REQUIRE(w.attest().ok());
  w.policy.enforcement.grace[std::string(reason::kPcrMismatch)] = 3600;
  BootConfig changed;
  changed.db = to_bytes("soft db v2 (an extra key)");
  REQUIRE(w.dev.use_event_log(make_event_log(changed)).ok());
  auto a = w.attest(0xff);  // and no FIDO2 assertion: the owner's key is not there
  REQUIRE(a.ok());
  CHECK(a->verdict() == Verdict::unhealthy);
  CHECK(codes(*a) == std::vector<std::string>{"pcr_mismatch", "fido_missing"});
  CHECK(a->record().grace_until == 0);
  // The policy cannot grace fido_missing either.
  w.policy.enforcement.grace["fido_missing"] = 60;
  CHECK(validate_policy(w.policy).code() == Errc::malformed);
}

// ---------------------------------------------------------------------------
// Reference sets with a lifetime
// ---------------------------------------------------------------------------

TEST_CASE("appraise: reference sets — any live set matches whole, an expired one no longer does") {
  World w;
  w.enroll();
  w.policy.pcrs.pin_on_enroll = false;
  auto first = w.attest();  // no references yet: PCR values to capture from
  REQUIRE(first.ok());
  const PcrValues old_fw = first->pcrs();
  // The new firmware: a different event log changes PCR 7 (and so the set).
  BootConfig changed;
  changed.db = to_bytes("soft db v2 (an extra key)");
  REQUIRE(w.dev.use_event_log(make_event_log(changed)).ok());
  auto probe = w.attest();
  REQUIRE(probe.ok());
  const PcrValues new_fw = probe->pcrs();
  REQUIRE(old_fw != new_fw);
  auto only = [&](const PcrValues& all) {  // the required PCRs of the policy
    PcrValues out;
    for (const auto& [bank, idx] : w.policy.pcrs.required) {
      for (auto i : idx) out[bank][i] = all.at(bank).at(i);
    }
    return out;
  };
  w.policy.pcrs.reference = only(old_fw);
  SUBCASE("the old reference alone: the new firmware differs, named against it") {
    auto a = w.attest();
    REQUIRE(a.ok());
    CHECK(codes(*a) == std::vector<std::string>{"pcr_mismatch"});
    CHECK(message_of(*a, reason::kPcrMismatch).find("PCR 7 differs from reference") == 0);
  }
  SUBCASE("a live set for the new firmware: both firmwares are healthy, the note names the set") {
    w.policy.pcrs.sets.push_back({"bios-1.22", w.now + 3600, only(new_fw)});
    REQUIRE(validate_policy(w.policy).ok());
    auto a = w.attest();
    REQUIRE(a.ok());
    CHECK(a->healthy());
    bool named = false;
    for (const auto& n : a->notes()) named = named || (n.code == "pcr_reference_set" && n.message == "PCRs match reference set bios-1.22");
    CHECK(named);
    REQUIRE(w.dev.use_event_log(make_event_log(BootConfig{})).ok());  // back on the old firmware
    auto b = w.attest();
    REQUIRE(b.ok());
    CHECK(b->healthy());
  }
  SUBCASE("values are never mixed across sets") {
    PcrValues mixed = only(new_fw);
    mixed[HashAlg::sha256][0] = Bytes(32, 0x5a);  // the new set's PCR 0 is some other firmware's
    w.policy.pcrs.sets.push_back({"mixed", 0, mixed});
    auto a = w.attest();
    REQUIRE(a.ok());
    // PCR 7 matches the new set and PCR 0 the old reference, but no ONE set matches.
    CHECK(codes(*a) == std::vector<std::string>{"pcr_mismatch"});
  }
  SUBCASE("after its end a set no longer matches, and the reason says it expired") {
    w.policy.pcrs.reference.clear();
    w.policy.pcrs.sets.push_back({"bios-1.22", w.now - 1, only(new_fw)});
    auto a = w.attest();
    REQUIRE(a.ok());
    CHECK(codes(*a) == std::vector<std::string>{"pcr_mismatch"});
    CHECK(message_of(*a, reason::kPcrMismatch).find("match only reference set bios-1.22") != std::string::npos);
    // With a grace for pcr_mismatch the expiry is a warning first.
    w.policy.enforcement.grace["pcr_mismatch"] = 600;
    auto b = w.attest();
    REQUIRE(b.ok());
    CHECK(b->verdict() == Verdict::warning);
  }
}
